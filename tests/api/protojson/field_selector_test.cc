// The `fields` parameter: one parser (field_paths.h), applied to protobuf
// messages (field_selector.h) and to JSON text (json_field_selector.h).
#include <gtest/gtest.h>

#include "api/protojson/field_paths.h"
#include "api/protojson/field_selector.h"
#include "api/protojson/json_field_selector.h"
#include "tests/api/protojson/testdata.pb.h"

namespace parley::protojson {
namespace {

TEST(FieldPaths, ParsesPathsGroupsAndStars) {
  auto tree = ParseFieldSelector("a.b,c(d,e/f),*");
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_TRUE(tree->all);
  ASSERT_EQ(tree->fields.size(), 2u);
  ASSERT_NE(tree->fields.at("a"), nullptr);
  EXPECT_EQ(tree->fields.at("a")->fields.count("b"), 1u);
  EXPECT_EQ(tree->fields.at("a")->fields.at("b"), nullptr);  // all of b
  EXPECT_EQ(tree->fields.at("c")->fields.at("e")->fields.count("f"), 1u);
  for (const char* bad : {"", "a,", "a(b", "a)b", "a..b", "a(b))"}) {
    auto t = ParseFieldSelector(bad);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(FieldSelector, KeepsOnlyTheSelectedFieldsAndMergesSpellings) {
  test::TestAll m;
  m.set_f_string("s");
  m.set_f_int32(7);
  m.mutable_nested()->set_a(1);
  m.mutable_nested()->set_b("x");
  m.mutable_nested()->mutable_child()->set_a(2);
  // fString and f_string name one field; nested.a and nested(child) merge.
  ASSERT_TRUE(ApplyFieldSelector("fString,f_string,nested.a,nested(child)", &m).ok());
  EXPECT_EQ(m.f_string(), "s");
  EXPECT_EQ(m.f_int32(), 0);
  EXPECT_EQ(m.nested().a(), 1);
  EXPECT_EQ(m.nested().b(), "");
  EXPECT_EQ(m.nested().child().a(), 2);
  // Names are checked against the schema.
  test::TestAll n;
  EXPECT_EQ(ApplyFieldSelector("nope", &n).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyFieldSelector("fString.a", &n).code(), absl::StatusCode::kInvalidArgument);
}

TEST(JsonFieldSelector, SelectsMembersEitherSpellingAndKeepsType) {
  auto out = SelectJsonFields(
      "done,response.analysis_result",
      R"({"name":"n","done":true,"response":{"@type":"t","name":"a","analysisResult":{"x":1}}})");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, R"({"done":true,"response":{"@type":"t","analysisResult":{"x":1}}})");
  EXPECT_EQ(SelectJsonFields("done(", "{}").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace parley::protojson
