// core::ParseMultipart / MultipartBoundary: the bodies requests (the Python
// SDKs' upload) sends, and the malformed ones that must be refused.
#include "core/multipart.h"

#include <gtest/gtest.h>

namespace parley::core {
namespace {

TEST(MultipartBoundary, QuotedAndBare) {
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=abc123"), "abc123");
  EXPECT_EQ(*MultipartBoundary("Multipart/Form-Data; charset=x; boundary=\"a;b c\""), "a;b c");
  EXPECT_FALSE(MultipartBoundary("multipart/form-data").ok());
  EXPECT_FALSE(MultipartBoundary("application/json; boundary=x").ok());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
}

// What python-requests sends for files=[("", ("call.wav", f, "application/octet-stream"))].
TEST(ParseMultipart, RequestsFilePartWithEmptyName) {
  using namespace std::string_literals;
  const std::string body =
      "--b0undary\r\n"
      "Content-Disposition: form-data; name=\"\"; filename=\"call.wav\"\r\n"
      "Content-Type: application/octet-stream\r\n"
      "\r\n"
      "RIFF\r\n--not-the-boundary\x00\xff"
      "\r\n--b0undary--\r\n"s;
  auto parts = ParseMultipart(body, "b0undary");
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].name, "");
  EXPECT_EQ((*parts)[0].filename, "call.wav");
  EXPECT_EQ((*parts)[0].content_type, "application/octet-stream");
  EXPECT_EQ((*parts)[0].data, std::string_view("RIFF\r\n--not-the-boundary\x00\xff", 26));
}

TEST(ParseMultipart, PreambleSeveralPartsAndHeaderlessPart) {
  const std::string body =
      "preamble\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n"
      "--B\r\n\r\ntwo\r\n--B--";
  auto parts = ParseMultipart(body, "B");
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "a");
  EXPECT_EQ((*parts)[0].data, "one");
  EXPECT_EQ((*parts)[1].name, "");
  EXPECT_EQ((*parts)[1].data, "two");
}

TEST(ParseMultipart, RefusesMalformed) {
  for (const char* body : {"", "no delimiter", "--B\r\nContent-Disposition: x\r\n\r\ndata",  // no close
                           "--B\r\nno colon\r\n\r\nx\r\n--B--", "--Bjunk\r\n\r\nx\r\n--B--",
                           "--B\r\nContent-Type: a"}) {
    auto parts = ParseMultipart(body, "B");
    EXPECT_FALSE(parts.ok()) << body;
    if (!parts.ok()) EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ParseMultipart, PartLimit) {
  std::string body;
  for (int i = 0; i < 3; ++i) body += "--B\r\n\r\nx\r\n";
  body += "--B--";
  EXPECT_TRUE(ParseMultipart(body, "B", 3).ok());
  EXPECT_FALSE(ParseMultipart(body, "B", 2).ok());
}

}  // namespace
}  // namespace parley::core
