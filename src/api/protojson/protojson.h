// The proto3 JSON mapping used by the Google dialects, via reflection.
//
// Rules (https://protobuf.dev/programming-guides/proto3/#json):
// - field names: lowerCamelCase json_name accepted, and the original
//   snake_case name accepted too; written as lowerCamelCase;
// - enums: accepted by name or number; written as names (as numbers when
//   PrintOptions::enums_as_ints);
// - int64/uint64/fixed64: accepted as number or string; written as strings;
// - google.protobuf.Timestamp: RFC 3339 ("2024-01-02T03:04:05.123Z", offsets
//   accepted); Duration: "1.5s"; FieldMask: "a.b,c"; Struct/Value/ListValue:
//   any JSON; wrappers: the bare value;
// - `null` for a field means "absent"; unknown fields are an error;
// - fields with default values are not written (proto3 presence rules:
//   messages and `optional` fields are written when set).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace parley::protojson {

// The max_depth of ParseOptions made from now on (default 64); `parley
// serve --max-json-depth` sets it once, before serving. Values are clamped
// to [1, kMaxJsonDepth]: protobuf refuses to read back binary messages
// nested deeper than 100, which a deeper Struct would be once stored.
inline constexpr int kMaxJsonDepth = 100;
void SetDefaultMaxDepth(int depth);
int DefaultMaxDepth();

struct ParseOptions {
  bool ignore_unknown_fields = false;
  // Inputs nested deeper than this are refused.
  int max_depth = DefaultMaxDepth();
  // Refuse strings and keys holding a NUL character (a \u0000 escape): the
  // API's request bodies do, since ids, labels and texts reach logs, exports
  // and C APIs where a NUL truncates or hides what follows.
  bool refuse_nul = false;
  // Prefix of the field paths in error messages: the request field the JSON
  // body is bound to (Google: "conversation" for a CreateConversation body).
  std::string root_path;
};

// Replaces the contents of `message` with `json`. On failure returns
// INVALID_ARGUMENT with a message naming the offending field path
// in proto (snake_case) names, after options.root_path (e.g.
// `Invalid value at 'conversation.medium' (TYPE_ENUM), "FAX"`), and
// `message` is left in an unspecified state.
absl::Status Parse(std::string_view json, google::protobuf::Message* message,
                   const ParseOptions& options = {});

// The bytes this thread's Parse keeps allocated between calls (its in-situ
// copy of the input): at most 64 KiB plus a little, whatever was parsed.
size_t ThreadParseBufferBytes();

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

struct PrintOptions {
  bool enums_as_ints = false;
};

// Appends the JSON form of `message` to `out` (compact, no whitespace).
void Print(const google::protobuf::Message& message, std::string* out,
           const PrintOptions& options = {});

// Convenience: the JSON form of `message`.
std::string ToJson(const google::protobuf::Message& message, const PrintOptions& options = {});

}  // namespace parley::protojson
