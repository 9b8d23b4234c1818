// Unit tests of the small core pieces: ids, time formats, page tokens,
// transcript-derived facts, blob URIs.
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/blob_uri.h"
#include "core/ids.h"
#include "core/page_token.h"
#include "core/time_format.h"
#include "core/transcript.h"
#include "gtest/gtest.h"
#include "parley/conversation.pb.h"

namespace parley::core {
namespace {

TEST(Ids, GeneratedIdsAreNineteenDigitsAndDistinct) {
  std::string a = NewId(), b = NewId();
  EXPECT_EQ(a.size(), 19u);
  EXPECT_NE(a[0], '0');
  EXPECT_NE(a, b);
  EXPECT_TRUE(IsValidClientId(a));
  // Increasing (as numbers and as text: same length), unique across threads.
  std::vector<std::string> ids;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < 10000; ++i) mine.push_back(NewId());
      for (size_t i = 1; i < mine.size(); ++i) EXPECT_LT(mine[i - 1], mine[i]);
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(ids.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  EXPECT_LT(b, NewId());
}

// The core rule (ADR 0010): 1-128 of [A-Za-z0-9_.~-], starting with a
// letter or digit. Vendors' stricter rules are the dialects' business.
TEST(Ids, ClientIdRule) {
  EXPECT_TRUE(IsValidClientId("a"));
  EXPECT_TRUE(IsValidClientId("7"));
  EXPECT_TRUE(IsValidClientId("abcd"));
  EXPECT_TRUE(IsValidClientId("conv-01"));
  EXPECT_TRUE(IsValidClientId("Order_42"));                              // Dialogflow
  EXPECT_TRUE(IsValidClientId("3f2504e0-4f89-11d3-9a0c-0305e82c3301"));  // ElevateAI GUID
  EXPECT_TRUE(IsValidClientId("a.b~c_d-E"));
  EXPECT_TRUE(IsValidClientId(std::string(128, 'a')));
  EXPECT_FALSE(IsValidClientId(""));
  EXPECT_FALSE(IsValidClientId(std::string(129, 'a')));
  EXPECT_FALSE(IsValidClientId("-abc"));
  EXPECT_FALSE(IsValidClientId("_abc"));
  EXPECT_FALSE(IsValidClientId(".abc"));
  EXPECT_FALSE(IsValidClientId("~abc"));
  EXPECT_FALSE(IsValidClientId("conv/1"));
  EXPECT_FALSE(IsValidClientId("conv 1"));
  EXPECT_FALSE(IsValidClientId("conv:1"));
  EXPECT_FALSE(IsValidClientId("conv%2F1"));
  EXPECT_FALSE(IsValidClientId("caf\xc3\xa9"));  // ASCII only
  // Every id the Insights rule (4-64 of [a-z0-9-]) accepted that starts with
  // a letter or digit is still accepted.
  EXPECT_TRUE(IsValidClientId(std::string(64, 'a')));
  EXPECT_TRUE(IsValidClientId("0---"));
}

TEST(TimeFormat, ParsesRfc3339WithOffsetsAndFractions) {
  EXPECT_EQ(*ParseTimestampMicros("1970-01-01T00:00:01Z"), 1'000'000);
  EXPECT_EQ(*ParseTimestampMicros("1970-01-01T00:00:01.5Z"), 1'500'000);
  EXPECT_EQ(*ParseTimestampMicros("1970-01-01T02:00:00+02:00"), 0);
  EXPECT_FALSE(ParseTimestampMicros("yesterday").ok());
  EXPECT_FALSE(ParseTimestampMicros("2024-13-01T00:00:00Z").ok());
}

TEST(TimeFormat, ParsesDurations) {
  EXPECT_EQ(*ParseDurationMicros("12.5s"), 12'500'000);
  EXPECT_EQ(*ParseDurationMicros("90"), 90'000'000);
  EXPECT_EQ(*ParseDurationMicros("-0.000001s"), -1);
  EXPECT_FALSE(ParseDurationMicros("s").ok());
  EXPECT_FALSE(ParseDurationMicros("5m").ok());
  EXPECT_FALSE(ParseDurationMicros("1e400s").ok());
}

TEST(TimeFormat, FormatsWithMinimalFractions) {
  EXPECT_EQ(FormatTimestampMicros(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestampMicros(1'120'000), "1970-01-01T00:00:01.120Z");
  EXPECT_EQ(FormatTimestampMicros(1'000'001), "1970-01-01T00:00:01.000001Z");
}

TEST(PageToken, RoundTripsAndRejectsTamperingAndOtherQueries) {
  PageTokenCodec codec(std::string(32, 'k'));
  ListCursor cursor{123456789, "conv-9"};
  std::string token = codec.Encode(cursor, "filter-a");
  auto back = codec.Decode(token, "filter-a");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->sort_value, 123456789);
  EXPECT_EQ(back->id, "conv-9");

  EXPECT_EQ(codec.Decode(token, "filter-b").status().code(), absl::StatusCode::kInvalidArgument);
  std::string tampered = token;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(codec.Decode(tampered, "filter-a").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(codec.Decode("not a token!", "filter-a").ok());
  EXPECT_FALSE(codec.Decode("", "filter-a").ok());
  PageTokenCodec other(std::string(32, 'x'));
  EXPECT_FALSE(other.Decode(token, "filter-a").ok());
}

Conversation WithSpeakers(std::initializer_list<const char*> speakers) {
  Conversation c;
  for (const char* s : speakers) c.add_messages()->set_participant_id(s);
  return c;
}

TEST(Transcript, TurnsAreRunsOfTheSameSpeaker) {
  EXPECT_EQ(CountTurns(Conversation()), 0);
  EXPECT_EQ(CountTurns(WithSpeakers({"a"})), 1);
  EXPECT_EQ(CountTurns(WithSpeakers({"a", "a", "b", "a", "a"})), 3);
  Conversation by_channel;
  for (int ch : {1, 1, 2, 1}) by_channel.add_messages()->set_channel(ch);
  EXPECT_EQ(CountTurns(by_channel), 3);
}

TEST(Transcript, DurationFromMessageTimesOrWordOffsets) {
  Conversation chat;
  chat.add_messages()->set_time_us(10'000'000);
  chat.add_messages()->set_time_us(40'000'000);
  EXPECT_EQ(*TranscriptDurationMicros(chat), 30'000'000);
  chat.set_start_time_us(0);
  EXPECT_EQ(*TranscriptDurationMicros(chat), 40'000'000);

  Conversation call;
  auto* w = call.add_messages()->add_words();
  w->set_end_offset_us(7'500'000);
  EXPECT_EQ(*TranscriptDurationMicros(call), 7'500'000);

  EXPECT_FALSE(TranscriptDurationMicros(WithSpeakers({"a"})).has_value());
}

// ADR 0010: the model changes are additive or keep field numbers, so a row
// written by the old schema parses into the new one unchanged.
TEST(CoreModel, RowsWrittenBeforeAdr10KeepParsing) {
  // Old schema: source = 4 (STUDIO_SYNTHETIC), input_types = [1, 2] and
  // channel_type = 3 as int32, one event with detail_json (field 5).
  const std::string old_row(
      "\x28\x04"                              // source = 4
      "\x82\x02\x02\x01\x02"               // input_types (32), packed [1, 2]
      "\x88\x02\x03"                         // channel_type (33) = 3
      "\xda\x01\x08\x0a\x02" "e1" "\x2a\x02" "{}",  // events (27): id "e1", field 5 "{}"
      21);
  Conversation c;
  ASSERT_TRUE(c.ParseFromString(old_row));
  EXPECT_EQ(c.source(), STUDIO_SYNTHETIC_ANNOTATION);
  ASSERT_EQ(c.input_types_size(), 2);
  EXPECT_EQ(c.input_types(0), INPUT_TYPE_TEXT);
  EXPECT_EQ(c.input_types(1), INPUT_TYPE_AUDIO);
  EXPECT_EQ(c.channel_type(), CHANNEL_MULTIMODAL);
  ASSERT_EQ(c.events_size(), 1);
  EXPECT_EQ(c.events(0).id(), "e1");
  EXPECT_EQ(c.events(0).payload_case(), Event::PAYLOAD_NOT_SET);
  // Renamed values keep their numbers.
  EXPECT_EQ(static_cast<int>(OPERA_SIMULATION), 6);
  EXPECT_EQ(static_cast<int>(OPERA_SYNTHETIC), 8);
}

TEST(BlobUri, ReadsBucketsAndFilesAndRefusesEscapes) {
  auto dir = std::filesystem::temp_directory_path() / ("parley-blob-" + NewId());
  std::filesystem::create_directories(dir / "bucket" / "x");
  std::ofstream(dir / "bucket" / "x" / "t.json") << "{\"a\":1}";
  BlobOptions options;
  options.bucket_dir = dir.string();
  EXPECT_EQ(*ReadBlobUri("gs://bucket/x/t.json", options), "{\"a\":1}");
  EXPECT_EQ(*ReadBlobUri("file://" + (dir / "bucket" / "x" / "t.json").string(), options), "{\"a\":1}");
  EXPECT_FALSE(ReadBlobUri("gs://bucket/missing.json", options).ok());
  EXPECT_FALSE(ReadBlobUri("gs://bucket/../bucket/x/t.json", options).ok());
  EXPECT_FALSE(ReadBlobUri("gs://bucket", options).ok());
  EXPECT_FALSE(ReadBlobUri("http://example.com/t.json", options).ok());
  EXPECT_FALSE(ReadBlobUri("file://relative/path", options).ok());
  BlobOptions rooted = options;
  rooted.file_root = (dir / "bucket").string();
  EXPECT_TRUE(ReadBlobUri("file://" + (dir / "bucket" / "x" / "t.json").string(), rooted).ok());
  EXPECT_FALSE(ReadBlobUri("file:///etc/hostname", rooted).ok());
  rooted.file_root = (dir / "buck").string();  // a prefix that is not a directory boundary
  EXPECT_FALSE(ReadBlobUri("file://" + (dir / "bucket" / "x" / "t.json").string(), rooted).ok());
  options.max_bytes = 3;
  EXPECT_FALSE(ReadBlobUri("gs://bucket/x/t.json", options).ok());
  BlobOptions no_bucket;
  EXPECT_FALSE(ReadBlobUri("gs://bucket/x/t.json", no_bucket).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace parley::core
