// Unit tests of the small core pieces: ids, time formats, page tokens,
// transcript-derived facts, blob URIs.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/blob_uri.h"
#include "core/ids.h"
#include "core/page_token.h"
#include "core/public_error.h"
#include "core/time_format.h"
#include "core/transcript.h"
#include "gmock/gmock.h"
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
  EXPECT_FALSE(ReadBlobUri("gs://bucket/missing.json", options).ok());
  EXPECT_FALSE(ReadBlobUri("gs://bucket/../bucket/x/t.json", options).ok());
  EXPECT_FALSE(ReadBlobUri("gs://bucket", options).ok());
  EXPECT_FALSE(ReadBlobUri("http://example.com/t.json", options).ok());
  EXPECT_FALSE(ReadBlobUri("file://relative/path", options).ok());
  // file:// is refused unless the server has a --file-root.
  auto refused = ReadBlobUri("file://" + (dir / "bucket" / "x" / "t.json").string(), options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), testing::HasSubstr("--file-root"));
  BlobOptions rooted = options;
  rooted.file_root = (dir / "bucket").string();
  EXPECT_TRUE(ReadBlobUri("file://" + (dir / "bucket" / "x" / "t.json").string(), rooted).ok());
  EXPECT_FALSE(ReadBlobUri("file:///etc/hostname", rooted).ok());
  rooted.file_root = (dir / "buck").string();  // a prefix that is not a directory boundary
  EXPECT_FALSE(ReadBlobUri("file://" + (dir / "bucket" / "x" / "t.json").string(), rooted).ok());
  options.max_bytes = 3;
  EXPECT_THAT(ReadBlobUri("gs://bucket/x/t.json", options).status().message(),
              testing::HasSubstr("larger than 3 bytes"));
  BlobOptions no_bucket;
  EXPECT_FALSE(ReadBlobUri("gs://bucket/x/t.json", no_bucket).ok());
  std::filesystem::remove_all(dir);
}

// Escapes through symbolic links, percent-encoded dot segments, FIFOs and
// directories are refused; a missing object and one outside the bucket
// directory get the same message, which never holds file contents.
TEST(BlobUri, ConfinesResolvedPathsToRegularFilesWithoutAnOracle) {
  auto dir = std::filesystem::temp_directory_path() / ("parley-blob-" + NewId());
  std::filesystem::create_directories(dir / "buckets" / "b");
  std::filesystem::create_directories(dir / "outside");
  std::ofstream(dir / "outside" / "secret.json") << "{\"secret\":1}";
  std::ofstream(dir / "buckets" / "b" / "ok.json") << "{}";
  std::filesystem::create_symlink(dir / "outside" / "secret.json", dir / "buckets" / "b" / "link.json");
  std::filesystem::create_directory_symlink(dir / "outside", dir / "buckets" / "b" / "linkdir");
  std::filesystem::create_directory_symlink(dir / "outside", dir / "buckets" / "escaped");
  // A link that stays inside the bucket directory is followed.
  std::filesystem::create_symlink(dir / "buckets" / "b" / "ok.json", dir / "buckets" / "b" / "alias.json");
  ASSERT_EQ(::mkfifo((dir / "buckets" / "b" / "fifo").c_str(), 0600), 0);
  BlobOptions options;
  options.bucket_dir = (dir / "buckets").string();
  EXPECT_EQ(*ReadBlobUri("gs://b/ok.json", options), "{}");
  EXPECT_EQ(*ReadBlobUri("gs://b/alias.json", options), "{}");

  auto message = [&](const std::string& uri) {
    auto r = ReadBlobUri(uri, options);
    EXPECT_FALSE(r.ok()) << uri;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << uri;
    EXPECT_THAT(r.status().message(), testing::Not(testing::HasSubstr("{\"secret\""))) << uri;
    return std::string(r.status().message());
  };
  EXPECT_EQ(message("gs://b/missing.json"), "transcript URI \"gs://b/missing.json\" cannot be read");
  EXPECT_EQ(message("gs://b/link.json"), "transcript URI \"gs://b/link.json\" cannot be read");
  EXPECT_EQ(message("gs://b/linkdir/secret.json"), "transcript URI \"gs://b/linkdir/secret.json\" cannot be read");
  EXPECT_EQ(message("gs://escaped/secret.json"), "transcript URI \"gs://escaped/secret.json\" cannot be read");
  EXPECT_EQ(message("gs://b/linkdir/none.json"), "transcript URI \"gs://b/linkdir/none.json\" cannot be read");
  // Not regular files: a FIFO (refused at once, not waited on) and a directory.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(message("gs://b/fifo"), "transcript URI \"gs://b/fifo\" cannot be read");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(message("gs://b/linkdir"), "transcript URI \"gs://b/linkdir\" cannot be read");
  // Dot segments, as written or percent-encoded, are malformed.
  for (const char* uri : {"gs://b/../outside/secret.json", "gs://b/%2e%2e/%2E%2E/outside/secret.json",
                          "gs://b/.%2e/x", "gs://%2e%2e/outside/secret.json", "gs://b/./ok.json"}) {
    EXPECT_THAT(message(uri), testing::HasSubstr("'..' segment")) << uri;
  }
  // file:// under a root: the same rules on the resolved path.
  BlobOptions rooted;
  rooted.file_root = (dir / "buckets").string();
  auto file_message = [&](const std::filesystem::path& p) {
    auto r = ReadBlobUri("file://" + p.string(), rooted);
    EXPECT_FALSE(r.ok()) << p;
    return std::string(r.status().message());
  };
  EXPECT_TRUE(ReadBlobUri("file://" + (dir / "buckets" / "b" / "ok.json").string(), rooted).ok());
  EXPECT_EQ(file_message(dir / "buckets" / "b" / "link.json"),
            "transcript URI \"file://" + (dir / "buckets" / "b" / "link.json").string() + "\" cannot be read");
  EXPECT_EQ(file_message(dir / "outside" / "secret.json"),
            "transcript URI \"file://" + (dir / "outside" / "secret.json").string() + "\" cannot be read");
  EXPECT_EQ(file_message(dir / "outside" / "missing.json"),
            "transcript URI \"file://" + (dir / "outside" / "missing.json").string() + "\" cannot be read");
  EXPECT_THAT(file_message(dir / "buckets" / "b" / "fifo"), testing::HasSubstr("cannot be read"));
  std::filesystem::remove_all(dir);
}

TEST(PublicError, HidesInternalDetailsAndKeepsClientMessages) {
  EXPECT_EQ(PublicErrorMessage(absl::InvalidArgumentError("bad filter")), "bad filter");
  EXPECT_EQ(PublicErrorMessage(absl::NotFoundError("gone"), "conversation c1"),
            "conversation c1: gone");
  for (const absl::Status& s :
       {absl::InternalError("sqlite: COMMIT (code 13) /var/data/parley.db"),
        absl::UnknownError("/etc/secret"), absl::DataLossError("page 7 of /x"),
        absl::UnavailableError("database or disk is full at /var/data")}) {
    std::string m = PublicErrorMessage(s, "conversation c2");
    EXPECT_THAT(m, ::testing::StartsWith("conversation c2: ")) << m;
    EXPECT_THAT(m, ::testing::ContainsRegex("Reference: [0-9a-f]{16}$")) << m;
    EXPECT_EQ(m.find('/'), std::string::npos) << m;
    EXPECT_EQ(m.find("sqlite"), std::string::npos) << m;
  }
  OperationError e;
  SetOperationError(absl::InternalError("x at /p"), {}, &e);
  EXPECT_EQ(e.code(), static_cast<int>(absl::StatusCode::kInternal));
  EXPECT_THAT(e.message(), ::testing::MatchesRegex("Internal error encountered\\. Reference: [0-9a-f]{16}"));
}

// A directory on the path swapped for a link to outside the root between
// the check and the open (renameat2 RENAME_EXCHANGE, as fast as a process on
// the server could) never leads to the outside file.
TEST(BlobUri, ALinkSwappedInAfterTheCheckIsNotFollowed) {
  auto dir = std::filesystem::temp_directory_path() / ("parley-blob-race-" + NewId());
  std::filesystem::create_directories(dir / "buckets" / "b" / "d");
  std::filesystem::create_directories(dir / "outside");
  std::ofstream(dir / "outside" / "f.json") << "SECRET";
  std::ofstream(dir / "buckets" / "b" / "d" / "f.json") << "{}";
  std::filesystem::create_directory_symlink(dir / "outside", dir / "buckets" / "b" / "alt");
  BlobOptions options;
  options.bucket_dir = (dir / "buckets").string();
  const std::string d = (dir / "buckets" / "b" / "d").string();
  const std::string alt = (dir / "buckets" / "b" / "alt").string();
  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  std::thread swapper([&] {
    while (!stop.load()) {
      if (::renameat2(AT_FDCWD, d.c_str(), AT_FDCWD, alt.c_str(), RENAME_EXCHANGE) == 0) ++swaps;
    }
  });
  int inside = 0, refused = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < until) {
    auto r = ReadBlobUri("gs://b/d/f.json", options);
    if (r.ok()) {
      ASSERT_EQ(*r, "{}");
      ++inside;
    } else {
      ++refused;
    }
  }
  stop = true;
  swapper.join();
  EXPECT_GT(swaps.load(), 100);
  EXPECT_GT(inside + refused, 100);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace parley::core
