// Private declarations shared by the files of the proto3 JSON codec
// (protojson.h). Not for use outside src/api/protojson.
//
//   message_info.cc  per-Descriptor facts (fields, JSON names, enums, WKT kind)
//   json_string.cc   JSON strings and bytes: escaping, UTF-8, base64
//   json_number.cc   numbers: printing like protobuf's util, parsing strictly
//   well_known.cc    text forms of Timestamp, Duration and FieldMask
//   printer.cc       Print / ToJson
//   parser.cc        Parse (RapidJSON SAX handler)
//
// Printing walks the message with Descriptor/Reflection and appends to the
// output string by hand. Parsing runs RapidJSON's SAX reader in situ over a
// thread-local copy of the input and feeds a handler that keeps a stack of
// frames (message, repeated field, map, Struct, ListValue, skipped value) and
// sets fields through Reflection.
//
// Per-Descriptor facts (sorted fields, quoted JSON names, name lookup table,
// well-known-type kind) are computed once and cached; sub-message infos are
// linked lazily from the field infos, so a Print/Parse call does one cache
// lookup for the root and none for the nested messages.
//
// Output is meant to be byte-identical with protobuf 3.21's
// util::MessageToJsonString (same field order, number formatting, string
// escaping, well-known-type forms); map entries come in the map's own
// iteration order, as util's do. Parsing is stricter than util in a few
// places (see the comments marked "strict").
#pragma once

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace parley::protojson::internal {

namespace pb = google::protobuf;
using pb::Descriptor;
using pb::FieldDescriptor;
using pb::Reflection;

// ---------------------------------------------------------------------------
// Descriptor facts (message_info.cc)
// ---------------------------------------------------------------------------

enum class Wkt : uint8_t {
  kNone,
  kAny,
  kTimestamp,
  kDuration,
  kFieldMask,
  kStruct,
  kValue,
  kListValue,
  kEmpty,
  kDoubleValue,
  kFloatValue,
  kInt64Value,
  kUInt64Value,
  kInt32Value,
  kUInt32Value,
  kBoolValue,
  kStringValue,
  kBytesValue,
};

inline bool IsWrapper(Wkt w) { return w >= Wkt::kDoubleValue; }

// Appends to a std::string through a raw pointer: the string is grown (and
// its spare capacity exposed) up front, and trimmed when the sink goes away.
class Sink {
 public:
  explicit Sink(std::string* s) : s_(s) {
    size_t used = s->size();
    s->resize(std::max(s->capacity(), used + 64));
    p_ = s->data() + used;
    end_ = s->data() + s->size();
  }
  ~Sink() { s_->resize(static_cast<size_t>(p_ - s_->data())); }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  // Room for n more bytes at the returned pointer; then Commit(end).
  char* Reserve(size_t n) {
    if (ABSL_PREDICT_FALSE(static_cast<size_t>(end_ - p_) < n)) Grow(n);
    return p_;
  }
  void Commit(char* end) { p_ = end; }
  void push_back(char c) {
    if (ABSL_PREDICT_FALSE(p_ == end_)) Grow(1);
    *p_++ = c;
  }
  void append(const char* d, size_t n) {
    if (ABSL_PREDICT_FALSE(static_cast<size_t>(end_ - p_) < n)) Grow(n);
    std::memcpy(p_, d, n);
    p_ += n;
  }
  void append(std::string_view v) { append(v.data(), v.size()); }
  void append(const char* s) { append(s, std::strlen(s)); }

 private:
  ABSL_ATTRIBUTE_NOINLINE void Grow(size_t n) {
    size_t used = static_cast<size_t>(p_ - s_->data());
    s_->resize(std::max(s_->size() * 2, used + n + 64));
    p_ = s_->data() + used;
    end_ = s_->data() + s_->size();
  }
  std::string* s_;
  char* p_;
  char* end_;
};

void AppendEscaped(Sink* out, std::string_view s);

// Enum values by number (first declared name wins, as in
// EnumDescriptor::FindValueByNumber) and by name.
struct EnumInfo {
  int min = 0;
  std::vector<const std::string*> dense;  // quoted names, by number - min
  absl::flat_hash_map<int, const std::string*> sparse;
  absl::flat_hash_map<std::string_view, int> by_name;
  std::vector<std::unique_ptr<std::string>> quoted;

  explicit EnumInfo(const pb::EnumDescriptor* e) {
    int lo = 0, hi = 0;
    for (int i = 0; i < e->value_count(); ++i) {
      int n = e->value(i)->number();
      lo = i == 0 ? n : std::min(lo, n);
      hi = i == 0 ? n : std::max(hi, n);
    }
    bool use_dense = e->value_count() > 0 && static_cast<int64_t>(hi) - lo < 256;
    if (use_dense) {
      min = lo;
      dense.assign(static_cast<size_t>(hi - lo + 1), nullptr);
    }
    for (int i = 0; i < e->value_count(); ++i) {
      const pb::EnumValueDescriptor* v = e->value(i);
      by_name.try_emplace(v->name(), v->number());
      if (Name(v->number()) != nullptr) continue;
      quoted.push_back(std::make_unique<std::string>("\"" + v->name() + "\""));
      if (use_dense) {
        dense[static_cast<size_t>(v->number() - min)] = quoted.back().get();
      } else {
        sparse.emplace(v->number(), quoted.back().get());
      }
    }
  }
  // The quoted name of a number, or null.
  const std::string* Name(int n) const {
    if (!dense.empty()) {
      int64_t i = static_cast<int64_t>(n) - min;
      return i >= 0 && i < static_cast<int64_t>(dense.size()) ? dense[static_cast<size_t>(i)] : nullptr;
    }
    auto it = sparse.find(n);
    return it == sparse.end() ? nullptr : it->second;
  }
};

struct MessageInfo;

struct FieldInfo {
  const FieldDescriptor* fd = nullptr;
  int idx = 0;                    // position in MessageInfo::fields
  std::string key;                // "jsonName": (quoted, escaped, with colon)
  FieldDescriptor::CppType cpp{};
  bool repeated = false;          // repeated and not a map
  bool map = false;
  bool bytes = false;             // TYPE_BYTES
  bool null_enum = false;         // google.protobuf.NullValue
  bool closed_enum = false;       // proto2 enum: unknown numbers refused
  bool implicit = false;          // singular scalar without presence (proto3)
  std::unique_ptr<EnumInfo> enums;
  Wkt wkt = Wkt::kNone;           // of the message type
  const pb::OneofDescriptor* oneof = nullptr;  // real oneof
  const Descriptor* msg_type = nullptr;
  // Proto3 singular message fields outside oneofs of generated classes have
  // no has-bit: the field is present iff Reflection::GetMessage returns
  // something else than this default instance (checked only when the parent
  // is of its generated class; saves a HasField call per field).
  const pb::Message* msg_default = nullptr;
  mutable std::atomic<const MessageInfo*> sub{nullptr};
};

struct MessageInfo {
  const Descriptor* d = nullptr;
  Wkt wkt = Wkt::kNone;
  // The generated class of d, if any, and its Reflection: Message::
  // GetReflection() is costly for generated messages (a call_once per call),
  // so messages of that class use the cached one (see ReflOf).
  const std::type_info* gen_type = nullptr;
  const Reflection* gen_refl = nullptr;
  int n = 0;
  std::unique_ptr<FieldInfo[]> fields;  // sorted by field number
  int seen_words = 0;                   // 64-bit words for the seen-field bitset
  absl::flat_hash_map<std::string_view, const FieldInfo*> by_name;  // JSON and proto names
  const FieldInfo* Field(int number) const {
    for (int i = 0; i < n; ++i)
      if (fields[i].fd->number() == number) return &fields[i];
    return nullptr;
  }
  const FieldInfo* key_f = nullptr;     // map entry: key; Struct: `fields`
  const FieldInfo* value_f = nullptr;   // map entry: value; ListValue: `values`;
                                        // wrappers: `value`
  // google.protobuf.Value members.
  const FieldInfo* v_null = nullptr;
  const FieldInfo* v_number = nullptr;
  const FieldInfo* v_string = nullptr;
  const FieldInfo* v_bool = nullptr;
  const FieldInfo* v_struct = nullptr;
  const FieldInfo* v_list = nullptr;
  const pb::OneofDescriptor* v_kind = nullptr;
};

std::unique_ptr<MessageInfo> BuildInfo(const Descriptor* d);

// All infos ever built; never freed (descriptors of the generated pool live
// as long as the process). Infos for descriptors of a pool that is destroyed
// would dangle, so callers must not destroy pools they have used here.
class Registry {
 public:
  const MessageInfo* Get(const Descriptor* d) {
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = infos_.find(d);
      if (it != infos_.end()) return it->second.get();
    }
    auto built = BuildInfo(d);
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = infos_.try_emplace(d, std::move(built));
    return it->second.get();
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<const Descriptor*, std::unique_ptr<MessageInfo>> infos_ ABSL_GUARDED_BY(mu_);
};

Registry& GlobalRegistry();

// The info of d, through a one-entry thread-local cache.
const MessageInfo* InfoFor(const Descriptor* d);

// The info of f's message type, linked into f on first use.
inline const MessageInfo* SubInfo(const FieldInfo& f) {
  const MessageInfo* s = f.sub.load(std::memory_order_acquire);
  if (s == nullptr) {
    s = GlobalRegistry().Get(f.msg_type);
    f.sub.store(s, std::memory_order_release);
  }
  return s;
}

// type_info objects are compared by address: equal addresses mean the same
// class, and a miss only means taking the general path.
template <typename T>
inline bool IsA(const pb::Message& m) {
  return &typeid(m) == &typeid(T);
}

inline const Reflection* ReflOf(const pb::Message& m, const MessageInfo& info) {
  if (&typeid(m) == info.gen_type) return info.gen_refl;
  return m.GetReflection();
}

// ---------------------------------------------------------------------------
// JSON strings and bytes (json_string.cc)
// ---------------------------------------------------------------------------

// AppendEscaped is declared above, with Sink.
void AppendBase64(Sink* out, std::string_view in);
bool ValidUtf8(std::string_view str);
bool DecodeBase64(std::string_view in, std::string* out);
std::string Quote(std::string_view s);

// ---------------------------------------------------------------------------
// Numbers (json_number.cc)
// ---------------------------------------------------------------------------

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

template <typename T>
inline void AppendInt(Sink* out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr - buf);
}

template <typename T>
inline void AppendQuotedInt(Sink* out, T v) {
  char buf[26];
  buf[0] = '"';
  auto r = std::to_chars(buf + 1, buf + sizeof buf - 1, v);
  *r.ptr = '"';
  out->append(buf, r.ptr + 1 - buf);
}

void AppendDouble(Sink* out, double v);
void AppendFloat(Sink* out, float v);

inline bool AppendNonFinite(Sink* out, double v) {
  if (std::isfinite(v)) return false;
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  }
  return true;
}

bool LooksLikeNumber(std::string_view s);
bool TextToDouble(std::string_view s, double* out);
bool DoubleToFloat(double d, float* out);
// Defined for int32_t, uint32_t, int64_t and uint64_t.
template <typename T>
bool NumberToInt(std::string_view s, T* out);
template <typename T>
bool StringToInt(std::string_view s, T* out);

// ---------------------------------------------------------------------------
// Well-known types' text forms (well_known.cc)
// ---------------------------------------------------------------------------

void AppendTimestamp(Sink* out, int64_t seconds, int32_t nanos);
void AppendDuration(Sink* out, int64_t seconds, int32_t nanos);
void AppendCamel(std::string* out, std::string_view in);
bool ParseTimestamp(std::string_view s, int64_t* seconds, int32_t* nanos);
bool ParseDuration(std::string_view s, int64_t* seconds, int32_t* nanos);
bool ParseFieldMask(std::string_view s, std::vector<std::string>* paths);

}  // namespace parley::protojson::internal
