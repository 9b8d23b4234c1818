// Tests of the proto3 JSON codec, with protobuf 3.21's util JSON functions
// as the oracle: printing must match util's output, parsing must give the
// message util gives, over many random messages; plus explicit accepted
// forms, error messages and the places where the codec is deliberately
// stricter than util.
#include "api/protojson/protojson.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/reader.h>

#include "api/protojson/random_message.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "insights_v1/insights.pb.h"
#include "parley/conversation.pb.h"
#include "tests/api/protojson/testdata.pb.h"

namespace parley::protojson {
namespace {

namespace pb = google::protobuf;
using ::parley::protojson::test::Nested;
using ::parley::protojson::test::Recursive;
using ::parley::protojson::test::TestAll;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

std::string UtilPrint(const pb::Message& m, bool enums_as_ints = false) {
  pb::util::JsonPrintOptions o;
  o.always_print_enums_as_ints = enums_as_ints;
  std::string out;
  auto st = pb::util::MessageToJsonString(m, &out, o);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

bool UtilParse(const std::string& json, pb::Message* m, bool ignore_unknown = false) {
  pb::util::JsonParseOptions o;
  o.ignore_unknown_fields = ignore_unknown;
  return pb::util::JsonStringToMessage(json, m, o).ok();
}

// Replaces -0.0 by +0.0 in all float/double fields (protobuf's util reads
// the JSON number -0 as an integer, so it parses to +0.0).
void PositiveZeros(pb::Message* m) {
  const pb::Reflection* r = m->GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        if (f->is_repeated()) {
          for (int i = 0; i < r->FieldSize(*m, f); ++i)
            if (r->GetRepeatedDouble(*m, f, i) == 0) r->SetRepeatedDouble(m, f, i, 0.0);
        } else if (r->GetDouble(*m, f) == 0) {
          r->SetDouble(m, f, 0.0);
        }
        break;
      case pb::FieldDescriptor::CPPTYPE_FLOAT:
        if (f->is_repeated()) {
          for (int i = 0; i < r->FieldSize(*m, f); ++i)
            if (r->GetRepeatedFloat(*m, f, i) == 0) r->SetRepeatedFloat(m, f, i, 0.0f);
        } else if (r->GetFloat(*m, f) == 0) {
          r->SetFloat(m, f, 0.0f);
        }
        break;
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        if (f->is_repeated()) {
          for (int i = 0; i < r->FieldSize(*m, f); ++i) PositiveZeros(r->MutableRepeatedMessage(m, f, i));
        } else {
          PositiveZeros(r->MutableMessage(m, f));
        }
        break;
      default:
        break;
    }
  }
}

// Equality with NaN == NaN; `diff` describes the differences.
bool Same(const pb::Message& a, const pb::Message& b, std::string* diff) {
  pb::util::DefaultFieldComparator cmp;
  cmp.set_treat_nan_as_equal(true);
  pb::util::MessageDifferencer d;
  d.set_field_comparator(&cmp);
  diff->clear();
  d.ReportDifferencesToString(diff);
  return d.Compare(a, b);
}

#define EXPECT_SAME(a, b)                              \
  do {                                                 \
    std::string diff_;                                 \
    EXPECT_TRUE(Same((a), (b), &diff_)) << diff_;      \
  } while (0)

std::string TextOf(const pb::Message& m) {
  std::string s;
  pb::TextFormat::PrintToString(m, &s);
  return s;
}

// A JSON tree, to compare documents whose objects list members in
// different orders (map entries follow the map's iteration order).
struct JsonNode {
  enum Type { kNull, kBool, kNumber, kString, kObject, kArray } type = kNull;
  std::string text;  // bool/number/string
  std::vector<std::pair<std::string, JsonNode>> members;
  std::vector<JsonNode> elems;
};

class TreeBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TreeBuilder> {
 public:
  explicit TreeBuilder(JsonNode* root) : root_(root) {}
  bool Null() { return Put(JsonNode::kNull, ""); }
  bool Bool(bool b) { return Put(JsonNode::kBool, b ? "true" : "false"); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return Put(JsonNode::kNumber, std::string(s, n)); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return Put(JsonNode::kString, std::string(s, n)); }
  bool StartObject() { return Open(JsonNode::kObject); }
  bool StartArray() { return Open(JsonNode::kArray); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    stack_.back()->members.emplace_back(std::string(s, n), JsonNode{});
    return true;
  }
  bool EndObject(rapidjson::SizeType) { stack_.pop_back(); return true; }
  bool EndArray(rapidjson::SizeType) { stack_.pop_back(); return true; }

 private:
  // Where the next value goes. Open nodes stay put: siblings are added only
  // after a node closes.
  JsonNode* Next() {
    if (stack_.empty()) return root_;
    JsonNode* top = stack_.back();
    if (top->type == JsonNode::kArray) {
      top->elems.emplace_back();
      return &top->elems.back();
    }
    return &top->members.back().second;
  }
  bool Put(JsonNode::Type t, std::string text) {
    JsonNode* n = Next();
    n->type = t;
    n->text = std::move(text);
    return true;
  }
  bool Open(JsonNode::Type t) {
    JsonNode* n = Next();
    n->type = t;
    stack_.push_back(n);
    return true;
  }
  JsonNode* root_;
  std::vector<JsonNode*> stack_;
};

void Canon(const JsonNode& n, std::string* out) {
  switch (n.type) {
    case JsonNode::kNull: *out += "null"; break;
    case JsonNode::kBool:
    case JsonNode::kNumber: *out += n.text; break;
    case JsonNode::kString: {
      *out += '"';
      for (char c : n.text) {
        if (c == '"' || c == '\\') *out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
          *out += "\\x" + std::to_string(static_cast<int>(c));
        } else {
          *out += c;
        }
      }
      *out += '"';
      break;
    }
    case JsonNode::kObject: {
      std::vector<std::string> parts;
      for (const auto& [k, v] : n.members) {
        std::string part;
        Canon(JsonNode{JsonNode::kString, k, {}, {}}, &part);
        part += ':';
        Canon(v, &part);
        parts.push_back(std::move(part));
      }
      std::sort(parts.begin(), parts.end());
      *out += '{';
      for (size_t i = 0; i < parts.size(); ++i) *out += (i ? "," : "") + parts[i];
      *out += '}';
      break;
    }
    case JsonNode::kArray:
      *out += '[';
      for (size_t i = 0; i < n.elems.size(); ++i) {
        if (i) *out += ',';
        Canon(n.elems[i], out);
      }
      *out += ']';
      break;
  }
}

// The document with object members sorted; numbers as written.
std::string Canonical(const std::string& json) {
  JsonNode root;
  TreeBuilder b(&root);
  rapidjson::Reader reader;
  rapidjson::StringStream ss(json.c_str());
  auto r = reader.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseValidateEncodingFlag>(ss, b);
  if (r.IsError()) return "<invalid JSON: " + json + ">";
  std::string out;
  Canon(root, &out);
  return out;
}

// "...context..." around the first difference of a and b.
std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  size_t from = i < 60 ? 0 : i - 60;
  return "at " + std::to_string(i) + ":\n  " + a.substr(from, 120) + "\n  " + b.substr(from, 120);
}

template <typename T>
T ParseText(const std::string& text) {
  T m;
  EXPECT_TRUE(pb::TextFormat::ParseFromString(text, &m)) << text;
  return m;
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

TEST(ProtoJsonPrint, DoublesLikeUtil) {
  std::mt19937_64 rng(1);
  std::vector<double> values = {0.1, 0.3333333333333333, 1e30, 1e-5, 1e-4, 123456789012345678.0,
                                1e14, 1e15, 1e16, 1e17, 5e-324, 2.2250738585072014e-308,
                                2.225073858507201e-308, 1.7976931348623157e308, -1.5, 100, 1e21,
                                1e100, 1e-100, 123.456, 0.000123, 9007199254740993.0};
  for (int i = 0; i < 15000; ++i) {
    double v;
    uint64_t bits = rng();
    std::memcpy(&v, &bits, sizeof v);
    values.push_back(v);
    values.push_back(static_cast<double>(rng() % 100000) / std::pow(10.0, rng() % 10));
  }
  TestAll m;
  for (double v : values) {
    m.set_f_double(v);
    ASSERT_EQ(ToJson(m), UtilPrint(m)) << v;
  }
}

TEST(ProtoJsonPrint, FloatsLikeUtil) {
  std::mt19937_64 rng(2);
  std::vector<float> values = {0.1f, 1e-5f, 16777216.f, 123456789.f, 1e-45f, 1.17549435e-38f,
                               1.1754942e-38f, 3.4028234663852886e38f, 0.85f, 0.9234567f};
  for (int i = 0; i < 15000; ++i) {
    float v;
    uint32_t bits = static_cast<uint32_t>(rng());
    std::memcpy(&v, &bits, sizeof v);
    values.push_back(v);
    values.push_back(static_cast<float>(static_cast<double>(rng() % 100000) / std::pow(10.0, rng() % 7)));
  }
  TestAll m;
  for (float v : values) {
    m.set_f_float(v);
    ASSERT_EQ(ToJson(m), UtilPrint(m)) << v;
  }
}

TEST(ProtoJsonPrint, StringEscapingLikeUtil) {
  // Every code point (surrogates excluded), 2000 to a message.
  TestAll m;
  auto flush = [&] {
    ASSERT_EQ(ToJson(m), UtilPrint(m));
    m.clear_r_string();
  };
  for (uint32_t cp = 0; cp <= 0x10ffff; ++cp) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    std::string s = "a";
    if (cp < 0x80) {
      s.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      s.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      s.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
    s += "bcdefghijklmnopqrstuvwxyz";  // exercise the 16-byte scan too
    m.add_r_string(s);
    if (m.r_string_size() == 2000) flush();
  }
  flush();
}

TEST(ProtoJsonPrint, InvalidUtf8BecomesReplacementCharacter) {
  TestAll m;
  m.set_f_string("a\xff" "b\xc3");
  EXPECT_EQ(ToJson(m), "{\"fString\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd\"}");
}

TEST(ProtoJsonPrint, Presence) {
  TestAll m;
  EXPECT_EQ(ToJson(m), "{}");
  m.set_o_int32(0);
  m.set_o_string("");
  m.set_o_enum(test::COLOR_UNSPECIFIED);
  m.mutable_nested();
  m.set_c_int32(0);
  m.set_f_int32(0);
  m.set_f_enum(test::COLOR_UNSPECIFIED);
  EXPECT_EQ(ToJson(m), "{\"oInt32\":0,\"oString\":\"\",\"oEnum\":\"COLOR_UNSPECIFIED\",\"nested\":{},\"cInt32\":0}");
  EXPECT_EQ(ToJson(m), UtilPrint(m));
  m.Clear();
  m.set_f_double(-0.0);
  EXPECT_EQ(ToJson(m), "{\"fDouble\":-0}");
  EXPECT_EQ(ToJson(m), UtilPrint(m));
}

TEST(ProtoJsonPrint, WellKnownTypes) {
  struct Case {
    const char* text;
    const char* json;
  } cases[] = {
      {"timestamp {seconds: 1 nanos: 1000}", R"({"timestamp":"1970-01-01T00:00:01.000001Z"})"},
      {"timestamp {seconds: 1 nanos: 10000000}", R"({"timestamp":"1970-01-01T00:00:01.010Z"})"},
      {"timestamp {seconds: -1 nanos: 500000000}", R"({"timestamp":"1969-12-31T23:59:59.500Z"})"},
      {"timestamp {seconds: -62135596800}", R"({"timestamp":"0001-01-01T00:00:00Z"})"},
      {"timestamp {seconds: 253402300799 nanos: 999999999}",
       R"({"timestamp":"9999-12-31T23:59:59.999999999Z"})"},
      {"duration {seconds: 1 nanos: 500000000}", R"({"duration":"1.500s"})"},
      {"duration {seconds: -1 nanos: -500000000}", R"({"duration":"-1.500s"})"},
      {"duration {nanos: -1000}", R"({"duration":"-0.000001s"})"},
      {"duration {}", R"({"duration":"0s"})"},
      {"field_mask {paths: 'foo_bar.baz_qux' paths: 'a'}", R"({"fieldMask":"fooBar.bazQux,a"})"},
      {"field_mask {}", R"({"fieldMask":""})"},
      {"struct_value {}", R"({"structValue":{}})"},
      {"struct_value {fields {key: 'a' value {number_value: 1}}}", R"({"structValue":{"a":1}})"},
      {"value {number_value: nan}", R"({"value":"NaN"})"},
      {"value {list_value {}}", R"({"value":[]})"},
      {"value {struct_value {}}", R"({"value":{}})"},
      {"value {string_value: '<x>'}", R"({"value":"\u003cx\u003e"})"},
      {"list_value {values {} values {number_value: 1}}", R"({"listValue":[1]})"},
      {"w_int32 {}", R"({"wInt32":0})"},
      {"w_string {}", R"({"wString":""})"},
      {"w_bytes {value: 'ab'}", R"({"wBytes":"YWI="})"},
      {"w_int64 {value: 5}", R"({"wInt64":"5"})"},
      {"w_uint64 {value: 5}", R"({"wUint64":"5"})"},
      {"empty {}", R"({"empty":{}})"},
      {"r_null_value: [NULL_VALUE, 3]", R"({"rNullValue":[null,null]})"},
      {"null_value: 3", R"({"nullValue":null})"},
      {"r_value {} r_value {null_value: NULL_VALUE}", R"({"rValue":[null]})"},
      {"c_value {}", R"({})"},
      {"m_string_value {key: 'a'}", R"({"mStringValue":{}})"},
      {"m_string_timestamp {key: 'a'}", R"({"mStringTimestamp":{"a":"1970-01-01T00:00:00Z"}})"},
      {"m_string_int32_wrapper {key: 'a'}", R"({"mStringInt32Wrapper":{"a":0}})"},
      {"any {type_url: 'type.googleapis.com/parley.protojson.test.Nested' value: '\\x08\\x05'}",
       R"({"any":{"@type":"type.googleapis.com/parley.protojson.test.Nested","a":5}})"},
      {"any {type_url: 'type.googleapis.com/google.protobuf.Duration' value: '\\x08\\x05'}",
       R"({"any":{"@type":"type.googleapis.com/google.protobuf.Duration","value":"5s"}})"},
      {"any {}", R"({"any":{}})"},
      {"f_aliased: PRIMERO", R"({"fAliased":"FIRST"})"},
      {"f_enum: 42", R"({"fEnum":42})"},
      {"m_bool_string {key: true value: 't'}", R"({"mBoolString":{"true":"t"}})"},
      {"m_int64_string {key: -9223372036854775808 value: 'x'}",
       R"({"mInt64String":{"-9223372036854775808":"x"}})"},
      {"custom_named: 'x' field_with_2_digits: 1 _leading_underscore: 2 trailing_: 3",
       R"({"renamedField":"x","fieldWith2Digits":1,"LeadingUnderscore":2,"trailing":3})"},
  };
  for (const Case& c : cases) {
    TestAll m = ParseText<TestAll>(c.text);
    EXPECT_EQ(ToJson(m), c.json) << c.text;
    EXPECT_EQ(ToJson(m), UtilPrint(m)) << c.text;
  }
}

TEST(ProtoJsonPrint, RootWellKnownTypes) {
  pb::Timestamp ts;
  ts.set_seconds(1);
  EXPECT_EQ(ToJson(ts), "\"1970-01-01T00:00:01Z\"");
  EXPECT_EQ(ToJson(ts), UtilPrint(ts));
  pb::Value v;
  v.set_string_value("x");
  EXPECT_EQ(ToJson(v), UtilPrint(v));
  pb::Struct s;
  (*s.mutable_fields())["k"].set_bool_value(true);
  EXPECT_EQ(ToJson(s), "{\"k\":true}");
  EXPECT_EQ(ToJson(s), UtilPrint(s));
  pb::Int32Value w;
  w.set_value(7);
  EXPECT_EQ(ToJson(w), "7");
  EXPECT_EQ(ToJson(w), UtilPrint(w));
}

TEST(ProtoJsonPrint, AppendsToOutput) {
  TestAll m;
  m.set_f_int32(1);
  std::string out = "prefix:";
  Print(m, &out);
  EXPECT_EQ(out, "prefix:{\"fInt32\":1}");
}

TEST(ProtoJsonPrint, EnumsAsInts) {
  TestAll m = ParseText<TestAll>("f_enum: RED r_enum: [BLUE, GREEN] m_fixed64_enum {key: 1 value: BLUE} null_value: NULL_VALUE r_null_value: NULL_VALUE");
  PrintOptions o;
  o.enums_as_ints = true;
  EXPECT_EQ(ToJson(m, o), R"({"fEnum":1,"rEnum":[-3,2],"mFixed64Enum":{"1":-3},"rNullValue":[null]})");
  EXPECT_EQ(ToJson(m, o), UtilPrint(m, /*enums_as_ints=*/true));
}

template <typename T>
void RandomPrintMatchesUtil(uint64_t seed, int n, const testing::FillOptions& fill, bool exact) {
  std::mt19937_64 rng(seed);
  for (int i = 0; i < n; ++i) {
    T m;
    testing::FillRandom(&m, rng, fill);
    std::string mine = ToJson(m);
    std::string util = UtilPrint(m);
    if (exact) {
      ASSERT_EQ(mine, util) << "seed " << seed << " #" << i << " " << FirstDifference(mine, util);
    } else {
      std::string a = Canonical(mine), b = Canonical(util);
      ASSERT_EQ(a, b) << "seed " << seed << " #" << i << " " << FirstDifference(a, b);
    }
    PrintOptions o;
    o.enums_as_ints = true;
    ASSERT_EQ(Canonical(ToJson(m, o)), Canonical(UtilPrint(m, true))) << TextOf(m);
  }
}

TEST(ProtoJsonPrint, RandomMessagesMatchUtil) {
  testing::FillOptions fill;
  RandomPrintMatchesUtil<TestAll>(10, 3000, fill, /*exact=*/false);
  RandomPrintMatchesUtil<insights_v1::Conversation>(11, 500, fill, false);
  RandomPrintMatchesUtil<core::Conversation>(12, 500, fill, false);
}

TEST(ProtoJsonPrint, RandomMessagesMatchUtilByteForByte) {
  // At most one entry per map/Struct, so member order is fixed.
  testing::FillOptions fill;
  fill.max_map_entries = 1;
  RandomPrintMatchesUtil<TestAll>(20, 3000, fill, /*exact=*/true);
  RandomPrintMatchesUtil<insights_v1::Conversation>(21, 500, fill, true);
  RandomPrintMatchesUtil<core::Conversation>(22, 500, fill, true);
}

// ---------------------------------------------------------------------------
// Parsing: random messages
// ---------------------------------------------------------------------------

template <typename T>
void RandomParseMatchesUtil(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  testing::FillOptions fill;
  for (int i = 0; i < n; ++i) {
    T original;
    testing::FillRandom(&original, rng, fill);
    std::string json = UtilPrint(original);
    T by_util, mine;
    ASSERT_TRUE(UtilParse(json, &by_util)) << json;
    absl::Status st = Parse(json, &mine);
    ASSERT_TRUE(st.ok()) << st << "\n" << json;
    std::string diff;
    ASSERT_TRUE(Same(original, mine, &diff)) << diff << "\n" << json;
    T mine_positive = mine;
    PositiveZeros(&mine_positive);
    ASSERT_TRUE(Same(by_util, mine_positive, &diff)) << diff << "\n" << json;
    // Our own output reads back to the same message.
    T again;
    st = Parse(ToJson(original), &again);
    ASSERT_TRUE(st.ok()) << st;
    ASSERT_TRUE(Same(original, again, &diff)) << diff;
    // Enums as numbers read back too.
    PrintOptions o;
    o.enums_as_ints = true;
    st = Parse(ToJson(original, o), &again);
    ASSERT_TRUE(st.ok()) << st;
    ASSERT_TRUE(Same(original, again, &diff)) << diff;
  }
}

TEST(ProtoJsonParse, RandomMessagesMatchUtil) {
  RandomParseMatchesUtil<TestAll>(30, 3000);
  RandomParseMatchesUtil<insights_v1::Conversation>(31, 500);
  RandomParseMatchesUtil<core::Conversation>(32, 500);
}

// Pretty-printed input (whitespace everywhere) parses the same.
TEST(ProtoJsonParse, RandomMessagesWithWhitespace) {
  std::mt19937_64 rng(40);
  for (int i = 0; i < 300; ++i) {
    TestAll original;
    testing::FillRandom(&original, rng);
    pb::util::JsonPrintOptions o;
    o.add_whitespace = true;
    std::string json;
    ASSERT_TRUE(pb::util::MessageToJsonString(original, &json, o).ok());
    TestAll mine;
    absl::Status st = Parse(" \t\r\n" + json + "\n ", &mine);
    ASSERT_TRUE(st.ok()) << st;
    EXPECT_SAME(original, mine);
  }
}

// ---------------------------------------------------------------------------
// Parsing: accepted forms
// ---------------------------------------------------------------------------

struct Accepted {
  const char* json;
  const char* text;       // expected message, text format
  bool util_agrees = true;  // protobuf util parses it to the same message
};

TEST(ProtoJsonParse, AcceptedForms) {
  const Accepted cases[] = {
      {R"({"f_int32": 5})", "f_int32: 5"},
      {R"({"fInt32": 1.0})", "f_int32: 1"},
      {R"({"fInt32": 1e2})", "f_int32: 100"},
      {R"({"fInt32": 1.0e0})", "f_int32: 1"},
      {R"({"fInt32": "12"})", "f_int32: 12"},
      {R"({"fInt32": "012"})", "f_int32: 12"},
      {R"({"fInt32": -2147483648})", "f_int32: -2147483648"},
      {R"({"fInt32": -0})", ""},
      {R"({"fInt32": -0.0})", ""},
      {R"({"fInt32": "-0"})", ""},
      {R"({"fUint32": 4294967295})", "f_uint32: 4294967295"},
      {R"({"fInt64": 9223372036854775807})", "f_int64: 9223372036854775807"},
      {R"({"fInt64": "-9223372036854775808"})", "f_int64: -9223372036854775808"},
      {R"({"fInt64": 1e18})", "f_int64: 1000000000000000000"},
      {R"({"fInt64": 1.5e18})", "f_int64: 1500000000000000000"},
      {R"({"fUint64": 18446744073709551615})", "f_uint64: 18446744073709551615"},
      {R"({"fSint64": "-5", "fFixed64": "7", "fSfixed32": -9})", "f_sint64: -5 f_fixed64: 7 f_sfixed32: -9"},
      {R"({"fFloat": "1.5"})", "f_float: 1.5"},
      {R"({"fFloat": 3.4028235e38})", "f_float: 3.4028234663852886e38"},
      {R"({"fFloat": 1e-50})", ""},
      {R"({"fFloat": "NaN", "fDouble": "-Infinity", "oFloat": "Infinity"})",
       "f_float: nan f_double: -inf o_float: inf"},
      {R"({"fDouble": 1e-400})", ""},
      {R"({"fDouble": -1e-400})", "f_double: -0.0"},
      {R"({"fDouble": "1e5"})", "f_double: 100000"},
      {R"({"fDouble": 0.1})", "f_double: 0.1"},
      {R"({"fDouble": 0.001e309})", "f_double: 1e306"},
      {R"({"fDouble": 1.7976931348623157e308})", "f_double: 1.7976931348623157e308"},
      {R"({"fDouble": -0.0})", "f_double: -0.0"},
      {R"({"fDouble": -0})", "f_double: -0.0", /*util_agrees=*/false},  // util: +0
      {R"({"fBool": true})", "f_bool: true"},
      {R"({"fBytes": "aGVsbG8="})", "f_bytes: 'hello'"},
      {R"({"fBytes": "aGVsbG8"})", "f_bytes: 'hello'"},
      {R"({"fBytes": "-_-_"})", "f_bytes: '\\373\\377\\277'"},
      {R"({"fBytes": "+/+/"})", "f_bytes: '\\373\\377\\277'"},
      {R"({"fBytes": ""})", ""},
      {R"({"fEnum": "RED"})", "f_enum: RED"},
      {R"({"fEnum": 1})", "f_enum: RED"},
      {R"({"fEnum": 1.0})", "f_enum: RED"},
      {R"({"fEnum": -3})", "f_enum: BLUE"},
      {R"({"fEnum": 42})", "f_enum: 42"},
      {R"({"fAliased": "PRIMERO"})", "f_aliased: FIRST"},
      {R"({"fString": "\u00e9\ud83d\ude00\u0000x"})", "f_string: '\\303\\251\\360\\237\\230\\200\\000x'"},
      {R"({"renamedField": "a"})", "custom_named: 'a'"},
      {R"({"custom_named": "a"})", "custom_named: 'a'"},
      {R"({"LeadingUnderscore": 1, "trailing_": 2, "fieldWith2Digits": 3})",
       "_leading_underscore: 1 trailing_: 2 field_with_2_digits: 3"},
      // null
      {R"({"fInt32": null, "nested": null, "rInt32": null, "mStringString": null, "timestamp": null})", ""},
      {R"({"value": null})", "value {null_value: NULL_VALUE}"},
      {R"({"cValue": null})", "c_value {null_value: NULL_VALUE}"},
      {R"({"cString": null, "cInt32": 1})", "c_int32: 1"},
      {R"({"nullValue": null})", ""},
      {R"({"rNullValue": [null, "NULL_VALUE", 0]})", "r_null_value: [NULL_VALUE, NULL_VALUE, NULL_VALUE]"},
      {R"({"rValue": [null, 1]})", "r_value {null_value: NULL_VALUE} r_value {number_value: 1}"},
      {R"({"mStringValue": {"a": null}})", "m_string_value {key: 'a' value {null_value: NULL_VALUE}}"},
      {R"({"wInt32": null})", ""},
      // oneofs, optional
      {R"({"cString": ""})", "c_string: ''"},
      {R"({"oInt32": 0, "oString": "", "oEnum": "COLOR_UNSPECIFIED"})",
       "o_int32: 0 o_string: '' o_enum: COLOR_UNSPECIFIED"},
      // repeated, maps
      {R"({"rInt32": [], "rNested": [{}, {"a": 1}]})", "r_nested {} r_nested {a: 1}"},
      {R"({"mBoolString": {"true": "x", "false": "y"}})",
       "m_bool_string {key: true value: 'x'} m_bool_string {key: false value: 'y'}"},
      {R"({"mInt32Int32": {"-1": 2, "01": 3}})",
       "m_int32_int32 {key: -1 value: 2} m_int32_int32 {key: 1 value: 3}"},
      {R"({"mUint64Double": {"18446744073709551615": 1}})",
       "m_uint64_double {key: 18446744073709551615 value: 1}"},
      {R"({"mFixed64Enum": {"1": "RED", "2": 77}})",
       "m_fixed64_enum {key: 1 value: RED} m_fixed64_enum {key: 2 value: 77}"},
      {R"({"mStringNested": {"k": {}}})", "m_string_nested {key: 'k' value {}}"},
      // well-known types
      {R"({"timestamp": "2024-01-02T03:04:05Z"})", "timestamp {seconds: 1704164645}"},
      {R"({"timestamp": "2024-01-02T03:04:05.1Z"})", "timestamp {seconds: 1704164645 nanos: 100000000}"},
      {R"({"timestamp": "2024-01-02T03:04:05.123456789Z"})",
       "timestamp {seconds: 1704164645 nanos: 123456789}"},
      {R"({"timestamp": "2024-01-02T03:04:05+01:30"})", "timestamp {seconds: 1704159245}"},
      {R"({"timestamp": "2024-01-02T03:04:05.5-08:00"})",
       "timestamp {seconds: 1704193445 nanos: 500000000}"},
      {R"({"timestamp": "2024-02-29T00:00:00Z"})", "timestamp {seconds: 1709164800}"},
      {R"({"timestamp": "0001-01-01T00:00:00Z"})", "timestamp {seconds: -62135596800}"},
      {R"({"timestamp": "9999-12-31T23:59:59.999999999Z"})",
       "timestamp {seconds: 253402300799 nanos: 999999999}"},
      {R"({"timestamp": "1970-01-01T00:00:00Z"})", "timestamp {}"},
      {R"({"duration": "1.5s"})", "duration {seconds: 1 nanos: 500000000}"},
      {R"({"duration": "-0.000001s"})", "duration {nanos: -1000}"},
      {R"({"duration": "-1.5s"})", "duration {seconds: -1 nanos: -500000000}"},
      {R"({"duration": "0s"})", "duration {}"},
      {R"({"duration": "-0s"})", "duration {}"},
      {R"({"duration": "315576000000.999999999s"})", "duration {seconds: 315576000000 nanos: 999999999}"},
      {R"({"duration": "-315576000000s"})", "duration {seconds: -315576000000}"},
      {R"({"fieldMask": "a.b,cD"})", "field_mask {paths: 'a.b' paths: 'c_d'}"},
      {R"({"fieldMask": "fooBar.bazQux,x1Y"})", "field_mask {paths: 'foo_bar.baz_qux' paths: 'x1_y'}"},
      {R"({"fieldMask": "foo_bar"})", "field_mask {paths: 'foo_bar'}"},
      {R"({"fieldMask": ""})", "field_mask {}"},
      {R"({"empty": {}})", "empty {}"},
      {R"({"structValue": {"a": [1, "x", null, true, {"b": {}}], "c": 1.5}})",
       R"(struct_value {
            fields {key: "a" value {list_value {values {number_value: 1} values {string_value: "x"}
              values {null_value: NULL_VALUE} values {bool_value: true}
              values {struct_value {fields {key: "b" value {struct_value {}}}}}}}}
            fields {key: "c" value {number_value: 1.5}}})"},
      {R"({"structValue": {}})", "struct_value {}"},
      {R"({"value": {"x": [[]]}})",
       "value {struct_value {fields {key: 'x' value {list_value {values {list_value {}}}}}}}"},
      {R"({"value": -0.0})", "value {number_value: -0.0}"},
      {R"({"value": "s"})", "value {string_value: 's'}"},
      {R"({"listValue": [1, "a"]})", "list_value {values {number_value: 1} values {string_value: 'a'}}"},
      {R"({"wInt32": 0, "wString": "", "wBool": false})", "w_int32 {} w_string {} w_bool {}"},
      {R"({"wInt32": "5", "wUint64": 5, "wInt64": "-5", "wUint32": 5})",
       "w_int32 {value: 5} w_uint64 {value: 5} w_int64 {value: -5} w_uint32 {value: 5}"},
      {R"({"wBytes": "YWI=", "wFloat": 0.1, "wDouble": "NaN"})",
       "w_bytes {value: 'ab'} w_float {value: 0.1} w_double {value: nan}"},
      {R"({"rTimestamp": ["1970-01-01T00:00:01Z"], "rDuration": ["1s"], "rWString": ["a"],
           "rFieldMask": ["a"], "rEmpty": [{}], "rStruct": [{}]})",
       R"(r_timestamp {seconds: 1} r_duration {seconds: 1} r_w_string {value: "a"}
          r_field_mask {paths: "a"} r_empty {} r_struct {})"},
      {R"({"mStringTimestamp": {"a": "1970-01-01T00:00:01Z"}, "mStringInt32Wrapper": {"b": 3}})",
       R"(m_string_timestamp {key: "a" value {seconds: 1}}
          m_string_int32_wrapper {key: "b" value {value: 3}})"},
  };
  for (const Accepted& c : cases) {
    TestAll expected = ParseText<TestAll>(c.text);
    TestAll mine;
    absl::Status st = Parse(c.json, &mine);
    ASSERT_TRUE(st.ok()) << c.json << ": " << st;
    std::string diff;
    EXPECT_TRUE(Same(expected, mine, &diff)) << c.json << "\n" << diff;
    if (c.util_agrees) {
      TestAll by_util;
      ASSERT_TRUE(UtilParse(c.json, &by_util)) << c.json;
      EXPECT_TRUE(Same(by_util, mine, &diff)) << c.json << "\n" << diff;
    }
  }
}

TEST(ProtoJsonParse, ReplacesContents) {
  TestAll m;
  m.set_f_int32(5);
  m.add_r_int32(1);
  ASSERT_TRUE(Parse(R"({"rInt32": [2]})", &m).ok());
  EXPECT_EQ(m.f_int32(), 0);
  ASSERT_EQ(m.r_int32_size(), 1);
  EXPECT_EQ(m.r_int32(0), 2);
}

TEST(ProtoJsonParse, RootWellKnownTypes) {
  pb::Struct s;
  ASSERT_TRUE(Parse(R"({"a": 1, "b": [true]})", &s).ok());
  EXPECT_EQ(s.fields().at("a").number_value(), 1);
  EXPECT_TRUE(s.fields().at("b").list_value().values(0).bool_value());
  pb::Value v;
  ASSERT_TRUE(Parse(R"({"a": "x"})", &v).ok());
  EXPECT_EQ(v.struct_value().fields().at("a").string_value(), "x");
  pb::Empty e;
  EXPECT_TRUE(Parse("{}", &e).ok());
  EXPECT_FALSE(Parse(R"({"a": 1})", &e).ok());
  pb::Timestamp ts;
  absl::Status st = Parse(R"({"seconds": 1})", &ts);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  pb::Any any;
  EXPECT_THAT(Parse("{}", &any).message(), HasSubstr("Any is not supported"));
}

TEST(ProtoJsonParse, IgnoreUnknownFields) {
  ParseOptions o;
  o.ignore_unknown_fields = true;
  TestAll m;
  absl::Status st = Parse(
      R"({"unknown": {"a": [1, {"b": null}], "c": "x"}, "fInt32": 5, "alsoUnknown": [[], {}],
          "fEnum": "PURPLE", "rEnum": ["RED", "PURPLE", "GREEN"],
          "mFixed64Enum": {"1": "PURPLE", "2": "RED"}, "more": 1, "nested": {"zz": true, "a": 2}})",
      &m, o);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_SAME(m, ParseText<TestAll>(
                     "f_int32: 5 r_enum: [RED, GREEN] m_fixed64_enum {key: 2 value: RED} nested {a: 2}"));
  // Without the option the same input fails on the first unknown name.
  EXPECT_THAT(Parse(R"({"fInt32": 5, "unknown": 1})", &m).message(),
              HasSubstr("Unknown name \"unknown\""));
}

TEST(ProtoJsonParse, DepthLimit) {
  auto nested = [](int levels) {
    std::string s;
    for (int i = 0; i < levels - 1; ++i) s += "{\"child\":";
    s += "{\"depth\":1}";
    for (int i = 0; i < levels - 1; ++i) s += "}";
    return s;
  };
  Recursive r;
  EXPECT_TRUE(Parse(nested(64), &r).ok());
  absl::Status st = Parse(nested(65), &r);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("Nesting deeper than 64"));
  ParseOptions o;
  o.max_depth = 3;
  EXPECT_TRUE(Parse(nested(3), &r, o).ok());
  EXPECT_FALSE(Parse(nested(4), &r, o).ok());
  // Arrays count too; hostile depth fails fast.
  TestAll m;
  EXPECT_FALSE(Parse("{\"value\":" + std::string(100000, '[') + std::string(100000, ']') + "}", &m).ok());
  // A large limit switches to RapidJSON's iterative parser.
  o.max_depth = 5000;
  std::string deep = "{\"value\":" + std::string(2000, '[') + std::string(2000, ']') + "}";
  EXPECT_TRUE(Parse(deep, &m, o).ok());
  o.max_depth = 1000;
  EXPECT_FALSE(Parse(deep, &m, o).ok());
}

TEST(ProtoJsonParse, DefaultDepthIsSettableAndClamped) {
  auto nested = [](int levels) {
    std::string s;
    for (int i = 0; i < levels - 1; ++i) s += "{\"child\":";
    s += "{\"depth\":1}";
    for (int i = 0; i < levels - 1; ++i) s += "}";
    return s;
  };
  Recursive r;
  SetDefaultMaxDepth(5);
  EXPECT_EQ(DefaultMaxDepth(), 5);
  EXPECT_TRUE(Parse(nested(5), &r).ok());
  absl::Status st = Parse(nested(6), &r);
  EXPECT_THAT(st.message(), HasSubstr("Nesting deeper than 5"));
  SetDefaultMaxDepth(100000);
  EXPECT_EQ(DefaultMaxDepth(), kMaxJsonDepth);
  SetDefaultMaxDepth(0);
  EXPECT_EQ(DefaultMaxDepth(), 1);
  SetDefaultMaxDepth(64);
  EXPECT_TRUE(Parse(nested(64), &r).ok());
}

// A thread keeps a modest copy buffer between parses, not its largest
// input's (a pool thread would hold it for ever).
TEST(ProtoJsonParse, LargeInputsDoNotStayInTheThreadsBuffer) {
  std::thread([] {
    TestAll m;
    ASSERT_TRUE(Parse(R"({"fString": "small"})", &m).ok());
    const size_t small = ThreadParseBufferBytes();
    EXPECT_GT(small, 0u);  // kept for the next parse
    std::string big = R"({"fString": ")" + std::string(900 * 1024, 'x') + R"("})";
    ASSERT_TRUE(Parse(big, &m).ok());
    EXPECT_EQ(m.f_string().size(), 900u * 1024);
    EXPECT_LE(ThreadParseBufferBytes(), 64u * 1024 + 64);
    ASSERT_TRUE(Parse(R"({"fString": "again"})", &m).ok());
    EXPECT_EQ(m.f_string(), "again");
    EXPECT_LE(ThreadParseBufferBytes(), 64u * 1024 + 64);
  }).join();
}

TEST(ProtoJsonParse, NulCharactersAreRefusedOnRequest) {
  TestAll m;
  ParseOptions o;
  o.refuse_nul = true;
  for (const char* json : {R"({"fString": "a\u0000b"})", R"({"fString": "\u0000"})",
                           R"({"mStringString": {"k\u0000": "v"}})",
                           R"({"mStringString": {"k": "\u0000"}})",
                           R"({"mStringValue": {"k": {"x": "\u0000"}}})"}) {
    absl::Status st = Parse(json, &m, o);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_THAT(st.message(), HasSubstr("NUL character")) << json;
    EXPECT_TRUE(Parse(json, &m).ok()) << json;  // by default the codec keeps them
  }
  absl::Status st = Parse(R"({"fString": "a\u0000b"})", &m, o);
  EXPECT_THAT(st.message(), HasSubstr("f_string"));
  // Other escapes and bytes fields (base64 of a NUL) are fine.
  EXPECT_TRUE(Parse(R"({"fString": "a\u0001b\u00e9"})", &m, o).ok());
  EXPECT_TRUE(Parse(R"({"fBytes": "AA=="})", &m, o).ok());
  EXPECT_EQ(m.f_bytes(), std::string(1, '\0'));
}

TEST(ProtoJsonUtf8, IsValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
}

// ---------------------------------------------------------------------------
// Parsing: errors
// ---------------------------------------------------------------------------

struct Refused {
  std::string json;
  const char* message;       // expected substring
  bool util_refuses = true;  // false: util accepts it; we are stricter
};

TEST(ProtoJsonParse, Errors) {
  const Refused cases[] = {
      // Names.
      {R"({"fooBar": 1})", R"(Invalid JSON payload received. Unknown name "fooBar": Cannot find field.)"},
      {R"({"nested": {"fooBar": 1}})", R"(Unknown name "fooBar" at 'nested': Cannot find field.)"},
      {R"({"rNested": [{}, {"child": {"x": 1}}]})", R"(Unknown name "x" at 'r_nested[1].child': Cannot find field.)"},
      {R"({"mStringNested": {"k": {"x": 1}}})", R"(Unknown name "x" at 'm_string_nested[0].value': Cannot find field.)"},
      {R"({"customNamed": "a"})", R"(Unknown name "customNamed")"},
      {R"({"empty": {"a": 1}})", R"(Unknown name "a" at 'empty')"},
      {R"({"nested": [1]})", R"(Unknown name "nested": Proto field is not repeating, cannot start list.)"},
      {R"({"nested": {"child": {"b": []}}})", R"(Unknown name "b" at 'nested.child': Proto field is not repeating, cannot start list.)"},
      {R"({"fieldMask": ["a"]})", "Proto field is not repeating, cannot start list."},
      // Scalars.
      {R"({"nested": {"a": "x"}})", R"(Invalid value at 'nested.a' (TYPE_INT32), "x")"},
      {R"({"rNested": [{}, {"a": 1.5}]})", R"(Invalid value at 'r_nested[1].a' (TYPE_INT32), 1.5)"},
      {R"({"fInt32": 2147483648})", "Invalid value at 'f_int32' (TYPE_INT32), 2147483648"},
      {R"({"fInt32": "1.0"})", R"(Invalid value at 'f_int32' (TYPE_INT32), "1.0")"},
      {R"({"fInt32": "1e2"})", R"((TYPE_INT32), "1e2")"},
      {R"({"fInt32": " 12"})", R"((TYPE_INT32), " 12")"},
      {R"({"fInt32": "abc"})", R"((TYPE_INT32), "abc")"},
      {R"({"fInt32": true})", "(TYPE_INT32), true"},
      {R"({"fInt32": 1e-2})", "(TYPE_INT32), 1e-2"},
      {R"({"fUint32": -1})", "Invalid value at 'f_uint32' (TYPE_UINT32), -1"},
      {R"({"fUint32": 4294967296})", "(TYPE_UINT32), 4294967296"},
      {R"({"fInt64": "9223372036854775808"})", R"(Invalid value at 'f_int64' (TYPE_INT64), "9223372036854775808")"},
      {R"({"fInt64": 9223372036854775808})", "(TYPE_INT64), 9223372036854775808"},
      {R"({"fInt64": 9.2233720368547758e18})", "(TYPE_INT64), 9.2233720368547758e18"},
      {R"({"fUint64": 18446744073709551616})", "(TYPE_UINT64), 18446744073709551616"},
      {R"({"fUint64": -1})", "(TYPE_UINT64), -1"},
      {R"({"fSint32": 2147483648})", "Invalid value at 'f_sint32' (TYPE_SINT32), 2147483648"},
      {R"({"fFixed64": "-1"})", R"(Invalid value at 'f_fixed64' (TYPE_FIXED64), "-1")"},
      {R"({"fFloat": 3.5e38})", "Invalid value at 'f_float' (TYPE_FLOAT), 3.5e38"},
      {R"({"fFloat": "nan"})", R"((TYPE_FLOAT), "nan")"},
      {R"({"fFloat": "1e400"})", R"((TYPE_FLOAT), "1e400")"},
      {R"({"fDouble": 1e400})", "Invalid value at 'f_double' (TYPE_DOUBLE), 1e400"},
      {R"({"fDouble": "1.5 "})", R"((TYPE_DOUBLE), "1.5 ")"},
      {R"({"fDouble": true})", "(TYPE_DOUBLE), true"},
      {R"({"fBool": 1})", "Invalid value at 'f_bool' (TYPE_BOOL), 1"},
      {R"({"fString": 1})", "Invalid value at 'f_string' (TYPE_STRING), 1"},
      {R"({"fString": {}})", "Invalid value at 'f_string' (TYPE_STRING), Starting an object on a scalar field"},
      {R"({"fBytes": "a"})", R"(Invalid value at 'f_bytes' (TYPE_BYTES), "a")"},
      {R"({"fBytes": "aGVsbG8=="})", R"((TYPE_BYTES), "aGVsbG8==")"},
      {R"({"fBytes": "aG Vs"})", R"((TYPE_BYTES), "aG Vs")"},
      {R"({"fEnum": "PURPLE"})", R"(Invalid value at 'f_enum' (TYPE_ENUM), "PURPLE")"},
      {R"({"fEnum": "red"})", R"((TYPE_ENUM), "red")"},
      {R"({"fEnum": 1.5})", "(TYPE_ENUM), 1.5"},
      {R"({"nested": {"color": "PURPLE"}})", R"(Invalid value at 'nested.color' (TYPE_ENUM), "PURPLE")"},
      {R"({"rEnum": ["RED", "PURPLE"]})", R"(Invalid value at 'r_enum[1]' (TYPE_ENUM), "PURPLE")"},
      // Messages, maps, repeated.
      {R"({"nested": 5})", "Invalid value at 'nested' (type.googleapis.com/parley.protojson.test.Nested), 5"},
      {R"({"mStringString": []})", "Invalid value at 'm_string_string' (map<string, string>), [...]"},
      {R"({"mStringString": {"a": 1}})", "Invalid value at 'm_string_string[0].value' (TYPE_STRING), 1"},
      {R"({"mInt32Int32": {"1": 1, "x": 1}})", R"(Invalid value at 'm_int32_int32[1].key' (TYPE_INT32), "x")"},
      {R"({"mInt32Int32": {"1.0": 1}})", R"((TYPE_INT32), "1.0")"},
      {R"({"mInt32Int32": {"2147483648": 1}})", R"((TYPE_INT32), "2147483648")"},
      {R"({"mUint64Double": {"-1": 1}})", R"(Invalid value at 'm_uint64_double[0].key' (TYPE_UINT64), "-1")"},
      {R"({"mStringNested": {"k": {"a": "x"}}})", R"(Invalid value at 'm_string_nested[0].value.a' (TYPE_INT32), "x")"},
      {R"({"rInt32": [1, "x"]})", R"(Invalid value at 'r_int32[1]' (TYPE_INT32), "x")"},
      // Duplicates and oneofs.
      {R"({"cString": "a", "cInt32": 1})", R"(Invalid JSON payload received. Oneof "choice" has multiple oneof fields set: "cString" and "cInt32".)"},
      {R"({"nested": {}, "cValue": null, "cTimestamp": "1970-01-01T00:00:00Z"})", R"(Oneof "choice" has multiple oneof fields set: "cValue" and "cTimestamp".)"},
      {R"({"cString": "a", "c_string": "b"})", R"(Duplicate name "c_string")"},
      {R"({"mStringString": {"a": "1", "a": "2"}})", R"(Invalid JSON payload received. Repeated map key "a" at 'm_string_string': key is already set.)"},
      {R"({"structValue": {"a": 1, "a": 2}})", R"(Repeated map key "a" at 'struct_value')"},
      {R"({"mStringNested": {"x": {"a": 1}, "k": {"a": 2}, "k": {}}})", R"(Repeated map key "k" at 'm_string_nested')"},
      // Well-known types.
      {R"({"timestamp": "2024-13-01T00:00:00Z"})", R"(Invalid value at 'timestamp' (type.googleapis.com/google.protobuf.Timestamp), "2024-13-01T00:00:00Z")"},
      {R"({"timestamp": "2024-02-30T00:00:00Z"})", "(type.googleapis.com/google.protobuf.Timestamp)"},
      {R"({"timestamp": "2023-02-29T00:00:00Z"})", "(type.googleapis.com/google.protobuf.Timestamp)"},
      {R"({"timestamp": "2024-01-02T03:04:05"})", "(type.googleapis.com/google.protobuf.Timestamp)"},
      {R"({"timestamp": "2024-01-02 03:04:05Z"})", "(type.googleapis.com/google.protobuf.Timestamp)"},
      {R"({"timestamp": "2024-01-02t03:04:05z"})", "(type.googleapis.com/google.protobuf.Timestamp)"},
      {R"({"timestamp": "2024-01-01T24:00:00Z"})", "(type.googleapis.com/google.protobuf.Timestamp)"},
      {R"({"timestamp": "2024-01-01T23:59:60Z"})", "(type.googleapis.com/google.protobuf.Timestamp)"},
      {R"({"timestamp": "2024-01-01T00:00:00.Z"})", "(type.googleapis.com/google.protobuf.Timestamp)"},
      {R"({"timestamp": "2024-01-01T00:00:00+24:00"})", "(type.googleapis.com/google.protobuf.Timestamp)"},
      {R"({"timestamp": "2024-01-01T00:00:00+0100"})", "(type.googleapis.com/google.protobuf.Timestamp)"},
      {R"({"timestamp": "10000-01-01T00:00:00Z"})", "(type.googleapis.com/google.protobuf.Timestamp)"},
      {R"({"timestamp": 5})", "Invalid value at 'timestamp' (type.googleapis.com/google.protobuf.Timestamp), 5"},
      {R"({"rTimestamp": ["x"]})", R"(Invalid value at 'r_timestamp[0]' (type.googleapis.com/google.protobuf.Timestamp), "x")"},
      {R"({"duration": "1"})", R"(Invalid value at 'duration' (type.googleapis.com/google.protobuf.Duration), "1")"},
      {R"({"duration": "1S"})", "(type.googleapis.com/google.protobuf.Duration)"},
      {R"({"duration": ".5s"})", "(type.googleapis.com/google.protobuf.Duration)"},
      {R"({"duration": "1e3s"})", "(type.googleapis.com/google.protobuf.Duration)"},
      {R"({"duration": "315576000001s"})", "(type.googleapis.com/google.protobuf.Duration)"},
      {R"({"duration": "1.0000000001s"})", "(type.googleapis.com/google.protobuf.Duration)"},
      {R"({"duration": 1})", "(type.googleapis.com/google.protobuf.Duration), 1"},
      {R"({"structValue": 5})", "Invalid value at 'struct_value' (type.googleapis.com/google.protobuf.Struct), 5"},
      {R"({"structValue": []})", "Proto field is not repeating, cannot start list."},
      {R"({"value": 1e400})", "Invalid value at 'value' (TYPE_DOUBLE), 1e400"},
      {R"({"value": {"a": [1, 1e400]}})", "Invalid value at 'value.a[1]' (TYPE_DOUBLE), 1e400"},
      {R"({"wInt32": "x"})", R"(Invalid value at 'w_int32' (TYPE_INT32), "x")"},
      {R"({"wBool": 1})", "Invalid value at 'w_bool' (TYPE_BOOL), 1"},
      // Document level.
      {"[]", "Invalid JSON payload received. The top-level value must be a JSON object."},
      {"5", "The top-level value must be a JSON object."},
      {"null", "The top-level value must be a JSON object."},
      {"\"x\"", "The top-level value must be a JSON object."},
      {"", "Invalid JSON payload received. The document is empty."},
      {"{} x", "Invalid JSON payload received. The document root must not be followed by other values."},
      {"{}{}", "The document root must not be followed by other values."},
      {std::string("{}\0", 3), "Unexpected data after the JSON value (at byte 2)"},
      {R"({"fInt32": 1)", "Invalid JSON payload received."},
      {R"({"fInt32": 01})", "Invalid JSON payload received."},
      {R"({"fInt32": NaN})", "Invalid JSON payload received."},
      {R"({"fString": "\ud800"})", "Invalid JSON payload received."},
      {R"({"fString": "\udc00"})", "Invalid JSON payload received. Invalid UTF-8 in a string at 'f_string'."},
      {"{\"fString\": \"\xff\"}", "Invalid UTF-8 in a string at 'f_string'."},
      {"{\"fString\": \"\xc0\x80\"}", "Invalid UTF-8 in a string"},
      {"{\"fString\": \"\xed\xa0\x80\"}", "Invalid UTF-8 in a string"},
      {"{\"mStringString\": {\"\xff\": \"a\"}}", "Invalid UTF-8 in a string"},
      {"{\"\xff\": 1}", "Invalid UTF-8 in a string"},

      // --- Stricter than protobuf's util (deliberate) ---
      {R"({"fInt32": 1, "fInt32": 2})", R"(Invalid JSON payload received. Duplicate name "fInt32": field already set.)", false},
      {R"({"fInt32": 1, "f_int32": 2})", R"(Duplicate name "f_int32")", false},
      {R"({"nested": {"a": 1}, "nested": {"b": "x"}})", R"(Duplicate name "nested")", false},
      {R"({"rInt32": [1], "rInt32": [2]})", R"(Duplicate name "rInt32")", false},
      {R"({"rInt32": 5})", "Invalid value at 'r_int32' (TYPE_INT32), 5", false},
      {R"({"rNested": {}})", "Invalid value at 'r_nested' (type.googleapis.com/parley.protojson.test.Nested), {...}", false},
      {R"({"rInt32": [1, null]})", "Invalid value at 'r_int32[1]' (TYPE_INT32), null", false},
      {R"({"rNested": [null]})", "Invalid value at 'r_nested[0]' (type.googleapis.com/parley.protojson.test.Nested), null", false},
      {R"({"rWString": ["a", null]})", "Invalid value at 'r_w_string[1]' (type.googleapis.com/google.protobuf.StringValue), null", false},
      {R"({"mStringString": {"a": null}})", "Invalid value at 'm_string_string[0].value' (TYPE_STRING), null", false},
      {R"({"mStringNested": {"a": null}})", "Invalid value at 'm_string_nested[0].value'", false},
      {R"({"mInt32Int32": {"1": 1, "01": 2}})", R"(Repeated map key "01" at 'm_int32_int32')", false},
      {R"({"mBoolString": {"1": "x"}})", R"(Invalid value at 'm_bool_string[0].key' (TYPE_BOOL), "1")", false},
      {R"({"mBoolString": {"True": "x"}})", R"((TYPE_BOOL), "True")", false},
      {R"({"fBool": "true"})", R"(Invalid value at 'f_bool' (TYPE_BOOL), "true")", false},
      {R"({"fEnum": "1"})", R"(Invalid value at 'f_enum' (TYPE_ENUM), "1")", false},
      {R"({"fInt32": "+5"})", R"((TYPE_INT32), "+5")", false},
      {R"({"fDouble": "0x10"})", R"((TYPE_DOUBLE), "0x10")", false},
      {R"({"timestamp": "2024-01-02T03:04:05.1234567891Z"})", "(type.googleapis.com/google.protobuf.Timestamp)", false},
      {R"({"timestamp": "2024-1-01T00:00:00Z"})", "(type.googleapis.com/google.protobuf.Timestamp)", false},
      {R"({"timestamp": "2024-01-01T00:00:00+1:00"})", "(type.googleapis.com/google.protobuf.Timestamp)", false},
      {R"({"timestamp": "0001-01-01T00:00:00+01:00"})", "(type.googleapis.com/google.protobuf.Timestamp)", false},
      {R"({"timestamp": {"seconds": 5}})", "Invalid value at 'timestamp' (type.googleapis.com/google.protobuf.Timestamp), {...}", false},
      {R"({"duration": "1.s"})", "(type.googleapis.com/google.protobuf.Duration)", false},
      {R"({"duration": "+1s"})", "(type.googleapis.com/google.protobuf.Duration)", false},
      {R"({"duration": " 1s"})", "(type.googleapis.com/google.protobuf.Duration)", false},
      {R"({"fieldMask": "a,,b"})", "(type.googleapis.com/google.protobuf.FieldMask)", false},
      {R"({"fieldMask": "a b"})", "(type.googleapis.com/google.protobuf.FieldMask)", false},
      {R"({"listValue": {}})", "Invalid value at 'list_value' (type.googleapis.com/google.protobuf.ListValue), {...}", false},
      {R"({"wInt32": {"value": 5}})", "Invalid value at 'w_int32' (type.googleapis.com/google.protobuf.Int32Value), {...}", false},
      {R"({"rInt32": [[1]]})", "Invalid value at 'r_int32[0]' (TYPE_INT32), [...]", false},
      {R"({"any": {}})", "Invalid JSON payload received. Any is not supported at 'any'.", false},
      {R"({"any": {"@type": "type.googleapis.com/google.protobuf.Empty"}})", "Any is not supported", false},
      {std::string("{\"fString\": \"a\0b\"}", 18), "Invalid JSON payload received.", false},
      {R"({"fInt32": 1,})", "Invalid JSON payload received.", false},
      {R"({'fInt32': 1})", "Invalid JSON payload received.", false},
      // RapidJSON refuses numbers with more than 308 integer digits even
      // when an exponent brings them back into range.
      {R"({"value": {"a": [1, 1)" + std::string(320, '0') + R"(e-300]}})", "Invalid value at 'value.a[1]' (TYPE_DOUBLE), 1000", false},
      {R"({"rDouble": [1, 1e999], "fInt32": 1})", "Invalid value at 'r_double[1]' (TYPE_DOUBLE), 1e999"},
      {R"({"mStringInt32Wrapper": {"a": 1e999}})", "Invalid value at 'm_string_int32_wrapper[0].value' (TYPE_INT32), 1e999"},
  };
  for (const Refused& c : cases) {
    TestAll m;
    absl::Status st = Parse(c.json, &m);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(std::string(st.message()), HasSubstr(c.message)) << c.json;
    TestAll by_util;
    EXPECT_EQ(!UtilParse(c.json, &by_util), c.util_refuses) << c.json;
  }
}

TEST(ProtoJsonParse, LongValuesAreCutInMessages) {
  TestAll m;
  absl::Status st = Parse("{\"fInt32\": \"" + std::string(10000, 'x') + "\"}", &m);
  EXPECT_LT(st.message().size(), 400u);
  EXPECT_THAT(std::string(st.message()), HasSubstr("xxx...\""));
}

TEST(ProtoJsonParse, InsightsConversation) {
  const std::string json = R"({
    "name": "projects/p/locations/l/conversations/c1",
    "medium": "PHONE_CALL",
    "labels": {"team": "blue"},
    "callMetadata": {"customerChannel": 1, "agentChannel": 2},
    "startTime": "2024-05-01T10:00:00.250+02:00",
    "duration": "61.500s",
    "transcript": {"transcriptSegments": [
      {"text": "hello", "confidence": 0.93, "channelTag": 1, "languageCode": "en-US",
       "words": [{"word": "hello", "startOffset": "0s", "endOffset": "0.400s", "confidence": 0.9}],
       "segmentParticipant": {"role": "END_USER", "userId": "u1"}}]}
  })";
  insights_v1::Conversation mine, by_util;
  ASSERT_TRUE(Parse(json, &mine).ok());
  ASSERT_TRUE(UtilParse(json, &by_util));
  EXPECT_SAME(mine, by_util);
  EXPECT_EQ(ToJson(mine), UtilPrint(mine));
  absl::Status st = Parse(R"({"transcript": {"transcriptSegments": [{"channelTag": "abc"}]}})", &mine);
  EXPECT_EQ(st.message(),
            R"(Invalid value at 'transcript.transcript_segments[0].channel_tag' (TYPE_INT32), "abc")");
  st = Parse(R"({"medium": "FAX"})", &mine);
  EXPECT_EQ(st.message(), R"(Invalid value at 'medium' (TYPE_ENUM), "FAX")");
  st = Parse(R"({"transcript": {"fooBar": 1}})", &mine);
  EXPECT_EQ(st.message(),
            R"(Invalid JSON payload received. Unknown name "fooBar" at 'transcript': Cannot find field.)");
  st = Parse(R"({"callMetadata": {}, "ttl": "1s", "expireTime": "2024-01-01T00:00:00Z"})", &mine);
  EXPECT_EQ(st.message(),
            R"(Invalid JSON payload received. Oneof "expiration" has multiple oneof fields set: "ttl" and "expireTime".)");
}

// ---------------------------------------------------------------------------
// DynamicMessage: the general reflection paths (no generated-class shortcuts).
// ---------------------------------------------------------------------------

TEST(ProtoJson, DynamicMessagesMatchUtil) {
  pb::DynamicMessageFactory factory;
  const pb::Message* prototype = factory.GetPrototype(TestAll::descriptor());
  std::mt19937_64 rng(50);
  for (int i = 0; i < 500; ++i) {
    std::unique_ptr<pb::Message> m(prototype->New());
    testing::FillRandom(m.get(), rng);
    ASSERT_NE(&typeid(*m), &typeid(TestAll));
    std::string mine = ToJson(*m), util = UtilPrint(*m);
    ASSERT_EQ(Canonical(mine), Canonical(util)) << FirstDifference(Canonical(mine), Canonical(util));
    std::unique_ptr<pb::Message> back(prototype->New());
    absl::Status st = Parse(util, back.get());
    ASSERT_TRUE(st.ok()) << st;
    EXPECT_SAME(*m, *back);
    // Same contents as the generated class.
    TestAll generated;
    ASSERT_TRUE(generated.ParseFromString(m->SerializeAsString()));
    EXPECT_EQ(Canonical(ToJson(generated)), Canonical(mine));
  }
  // Presence after Clear() and re-use.
  std::unique_ptr<pb::Message> m(prototype->New());
  ASSERT_TRUE(Parse(R"({"nested": {"a": 1}, "timestamp": "1970-01-01T00:00:01Z"})", m.get()).ok());
  ASSERT_TRUE(Parse(R"({"fInt32": 1})", m.get()).ok());
  EXPECT_EQ(ToJson(*m), R"({"fInt32":1})");
  TestAll g;
  ASSERT_TRUE(Parse(R"({"nested": {"a": 1}, "timestamp": "1970-01-01T00:00:01Z"})", &g).ok());
  g.Clear();
  EXPECT_EQ(ToJson(g), "{}");
}

// ---------------------------------------------------------------------------
// Concurrency: the descriptor cache is shared.
// ---------------------------------------------------------------------------

TEST(ProtoJson, ConcurrentUse) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      std::mt19937_64 rng(100 + t);
      for (int i = 0; i < 200; ++i) {
        std::unique_ptr<pb::Message> m;
        switch (i % 3) {
          case 0: m = std::make_unique<TestAll>(); break;
          case 1: m = std::make_unique<insights_v1::Conversation>(); break;
          default: m = std::make_unique<core::Conversation>(); break;
        }
        testing::FillRandom(m.get(), rng);
        std::unique_ptr<pb::Message> back(m->New());
        std::string diff;
        if (!Parse(ToJson(*m), back.get()).ok() || !Same(*m, *back, &diff)) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace parley::protojson

namespace parley::protojson {
namespace {

TEST(ProtoJsonParse, RootPathPrefixesErrorPaths) {
  ParseOptions options;
  options.root_path = "conversation";
  parley::insights_v1::Conversation c;
  absl::Status s = Parse(R"({"fooBar": 1})", &c, options);
  EXPECT_EQ(s.message(), "Invalid JSON payload received. Unknown name \"fooBar\" at 'conversation': Cannot find field.");
  s = Parse(R"({"transcript": {"transcriptSegments": [{"speaker": 1}]}})", &c, options);
  EXPECT_EQ(s.message(),
            "Invalid JSON payload received. Unknown name \"speaker\" at "
            "'conversation.transcript.transcript_segments[0]': Cannot find field.");
  s = Parse(R"({"medium": "FAX"})", &c, options);
  EXPECT_EQ(s.message(), "Invalid value at 'conversation.medium' (TYPE_ENUM), \"FAX\"");
}

}  // namespace
}  // namespace parley::protojson
