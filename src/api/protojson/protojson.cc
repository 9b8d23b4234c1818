// The proto3 JSON mapping via reflection (see protojson.h).
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
#include "api/protojson/protojson.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

// RapidJSON lives in a private namespace here: this file enables its SSE2
// paths, and other translation units must not see different definitions of
// the same inline functions.
#define RAPIDJSON_NAMESPACE parley_protojson_rapidjson
#define RAPIDJSON_NAMESPACE_BEGIN namespace parley_protojson_rapidjson {
#define RAPIDJSON_NAMESPACE_END }
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2) && !defined(RAPIDJSON_SSE42)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

namespace parley::protojson {
namespace {

namespace pb = google::protobuf;
namespace rj = parley_protojson_rapidjson;
using pb::Descriptor;
using pb::FieldDescriptor;
using pb::Reflection;

// ---------------------------------------------------------------------------
// Descriptor facts
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

bool IsWrapper(Wkt w) { return w >= Wkt::kDoubleValue; }

Wkt WktOf(const Descriptor* d) {
  const std::string& full = d->full_name();
  if (full.compare(0, 16, "google.protobuf.") != 0) return Wkt::kNone;
  static const auto* table = new absl::flat_hash_map<std::string_view, Wkt>{
      {"Any", Wkt::kAny},
      {"Timestamp", Wkt::kTimestamp},
      {"Duration", Wkt::kDuration},
      {"FieldMask", Wkt::kFieldMask},
      {"Struct", Wkt::kStruct},
      {"Value", Wkt::kValue},
      {"ListValue", Wkt::kListValue},
      {"Empty", Wkt::kEmpty},
      {"DoubleValue", Wkt::kDoubleValue},
      {"FloatValue", Wkt::kFloatValue},
      {"Int64Value", Wkt::kInt64Value},
      {"UInt64Value", Wkt::kUInt64Value},
      {"Int32Value", Wkt::kInt32Value},
      {"UInt32Value", Wkt::kUInt32Value},
      {"BoolValue", Wkt::kBoolValue},
      {"StringValue", Wkt::kStringValue},
      {"BytesValue", Wkt::kBytesValue},
  };
  auto it = table->find(std::string_view(full).substr(16));
  return it == table->end() ? Wkt::kNone : it->second;
}

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

std::unique_ptr<MessageInfo> BuildInfo(const Descriptor* d) {
  auto info = std::make_unique<MessageInfo>();
  info->d = d;
  info->wkt = WktOf(d);
  info->n = d->field_count();
  info->fields = std::make_unique<FieldInfo[]>(info->n);
  std::vector<const FieldDescriptor*> sorted;
  sorted.reserve(info->n);
  for (int i = 0; i < info->n; ++i) sorted.push_back(d->field(i));
  std::sort(sorted.begin(), sorted.end(),
            [](auto* a, auto* b) { return a->number() < b->number(); });
  for (int i = 0; i < info->n; ++i) {
    const FieldDescriptor* fd = sorted[i];
    FieldInfo& f = info->fields[i];
    f.fd = fd;
    f.idx = i;
    {
      Sink key(&f.key);
      AppendEscaped(&key, fd->json_name());
      key.push_back(':');
    }
    f.cpp = fd->cpp_type();
    f.map = fd->is_map();
    f.repeated = fd->is_repeated() && !f.map;
    f.bytes = fd->type() == FieldDescriptor::TYPE_BYTES;
    if (fd->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      f.null_enum = fd->enum_type()->full_name() == "google.protobuf.NullValue";
      f.closed_enum = fd->enum_type()->file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO2;
      f.enums = std::make_unique<EnumInfo>(fd->enum_type());
    }
    f.implicit = !fd->is_repeated() && !fd->has_presence();
    if (fd->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      f.msg_type = fd->message_type();
      f.wkt = WktOf(f.msg_type);
    }
    f.oneof = fd->real_containing_oneof();
  }
  for (int i = 0; i < info->n; ++i) {
    const FieldInfo* f = &info->fields[i];
    info->by_name.try_emplace(f->fd->json_name(), f);
  }
  for (int i = 0; i < info->n; ++i) {
    const FieldInfo* f = &info->fields[i];
    info->by_name.try_emplace(f->fd->name(), f);
  }
  info->seen_words = (info->n + 63) / 64;
  if (d->file()->pool() == pb::DescriptorPool::generated_pool()) {
    pb::MessageFactory* factory = pb::MessageFactory::generated_factory();
    if (const pb::Message* proto = factory->GetPrototype(d)) {
      info->gen_type = &typeid(*proto);
      info->gen_refl = proto->GetReflection();
      for (int i = 0; i < info->n; ++i) {
        FieldInfo& f = info->fields[i];
        if (f.msg_type != nullptr && !f.fd->is_repeated() && f.fd->containing_oneof() == nullptr &&
            d->file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO3 && !f.fd->is_extension()) {
          f.msg_default = factory->GetPrototype(f.msg_type);
        }
      }
    }
  }
  if (d->map_key() != nullptr) {  // a map entry
    info->key_f = info->Field(1);
    info->value_f = info->Field(2);
  }
  switch (info->wkt) {
    case Wkt::kStruct:
      info->key_f = info->Field(1);
      break;
    case Wkt::kListValue:
      info->value_f = info->Field(1);
      break;
    case Wkt::kValue:
      info->v_null = info->Field(1);
      info->v_number = info->Field(2);
      info->v_string = info->Field(3);
      info->v_bool = info->Field(4);
      info->v_struct = info->Field(5);
      info->v_list = info->Field(6);
      info->v_kind = d->FindOneofByName("kind");
      break;
    default:
      if (IsWrapper(info->wkt)) info->value_f = info->Field(1);
      break;
  }
  return info;
}

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

Registry& GlobalRegistry() {
  static Registry* r = new Registry;
  return *r;
}

const MessageInfo* InfoFor(const Descriptor* d) {
  // A one-entry thread-local cache in front of the shared registry: servers
  // print and parse the same few root types over and over.
  thread_local const Descriptor* last_d = nullptr;
  thread_local const MessageInfo* last_info = nullptr;
  if (d == last_d) return last_info;
  const MessageInfo* info = GlobalRegistry().Get(d);
  last_d = d;
  last_info = info;
  return info;
}

const MessageInfo* SubInfo(const FieldInfo& f) {
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
// Writing helpers
// ---------------------------------------------------------------------------

constexpr char kHex[] = "0123456789abcdef";

// Bytes that need a look: controls, '"', '<', '>', '\\', DEL and non-ASCII.
struct EscapeTable {
  bool special[256];
  constexpr EscapeTable() : special() {
    for (int c = 0; c < 256; ++c)
      special[c] = c < 0x20 || c == '"' || c == '<' || c == '>' || c == '\\' || c >= 0x7f;
  }
};
constexpr EscapeTable kEscape;

void AppendU16(Sink* out, uint32_t u) {
  char b[6] = {'\\', 'u', kHex[(u >> 12) & 15], kHex[(u >> 8) & 15], kHex[(u >> 4) & 15],
               kHex[u & 15]};
  out->append(b, 6);
}

// Decodes one UTF-8 sequence at s[i] (s[i] >= 0x80). Returns its length, or 0
// when it is not valid UTF-8 (overlong forms, surrogates and values above
// U+10FFFF are invalid).
inline int DecodeUtf8(const unsigned char* s, size_t n, size_t i, uint32_t* cp) {
  unsigned char c = s[i];
  if (c < 0xc2) return 0;
  if (c < 0xe0) {
    if (i + 1 >= n || (s[i + 1] & 0xc0) != 0x80) return 0;
    *cp = ((c & 0x1fu) << 6) | (s[i + 1] & 0x3fu);
    return 2;
  }
  if (c < 0xf0) {
    if (i + 2 >= n || (s[i + 1] & 0xc0) != 0x80 || (s[i + 2] & 0xc0) != 0x80) return 0;
    uint32_t v = ((c & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) | (s[i + 2] & 0x3fu);
    if (v < 0x800 || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return 3;
  }
  if (c < 0xf5) {
    if (i + 3 >= n || (s[i + 1] & 0xc0) != 0x80 || (s[i + 2] & 0xc0) != 0x80 ||
        (s[i + 3] & 0xc0) != 0x80)
      return 0;
    uint32_t v = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3fu) << 12) | ((s[i + 2] & 0x3fu) << 6) |
                 (s[i + 3] & 0x3fu);
    if (v < 0x10000 || v > 0x10ffff) return 0;
    *cp = v;
    return 4;
  }
  return 0;
}

// Code points at or above 0x80 that protobuf's JSON writer escapes (C1
// controls and invisible formatting characters), as \uXXXX.
inline bool EscapesCodePoint(uint32_t cp) {
  if (cp < 0xa0) return true;
  switch (cp) {
    case 0xfeff: case 0xfff9: case 0xfffa: case 0xfffb: case 0x00ad: case 0x06dd:
    case 0x070f: case 0x17b4: case 0x17b5:
      return true;
    default:
      break;
  }
  return (cp >= 0x0600 && cp <= 0x0603) || (cp >= 0x200b && cp <= 0x200f) ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
         (cp >= 0x206a && cp <= 0x206f) || cp == 0xe0001 || (cp >= 0x1d173 && cp <= 0x1d17a) ||
         (cp >= 0xe0020 && cp <= 0xe007f);
}

// Length of the prefix of s[i..n) that needs no escaping.
inline size_t PlainRun(const unsigned char* s, size_t i, size_t n) {
#if defined(__SSE2__)
  const __m128i lim = _mm_set1_epi8(0x20);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i bslash = _mm_set1_epi8('\\');
  const __m128i lt = _mm_set1_epi8('<');
  const __m128i gt = _mm_set1_epi8('>');
  const __m128i del = _mm_set1_epi8(0x7f);
  while (i + 16 <= n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    // Signed compare: bytes >= 0x80 are negative, so this catches both
    // controls and non-ASCII.
    __m128i m = _mm_cmplt_epi8(v, lim);
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, quote));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, bslash));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, lt));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, gt));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, del));
    int mask = _mm_movemask_epi8(m);
    if (mask != 0) return i + __builtin_ctz(mask);
    i += 16;
  }
#endif
  while (i < n && !kEscape.special[s[i]]) ++i;
  return i;
}

// Appends s as a quoted JSON string, escaping like protobuf's JSON writer.
// Invalid UTF-8 is replaced by U+FFFD.
void AppendEscaped(Sink* out, std::string_view str) {
  const auto* s = reinterpret_cast<const unsigned char*>(str.data());
  const size_t n = str.size();
  out->push_back('"');
  size_t i = 0;
  while (true) {
    size_t j = PlainRun(s, i, n);
    out->append(str.data() + i, j - i);
    i = j;
    if (i >= n) break;
    unsigned char c = s[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default: AppendU16(out, c); break;  // controls, '<', '>', DEL
      }
      ++i;
      continue;
    }
    uint32_t cp;
    int len = DecodeUtf8(s, n, i, &cp);
    if (len == 0) {
      out->append("\xef\xbf\xbd");
      ++i;
      continue;
    }
    if (EscapesCodePoint(cp)) {
      if (cp >= 0x10000) {
        uint32_t v = cp - 0x10000;
        AppendU16(out, 0xd800 + (v >> 10));
        AppendU16(out, 0xdc00 + (v & 0x3ff));
      } else {
        AppendU16(out, cp);
      }
    } else {
      out->append(str.data() + i, len);
    }
    i += len;
  }
  out->push_back('"');
}

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

// printf("%.*g", precision, v) for finite v, given v's shortest round-trip
// digits when they number at most `precision` (then %.Pg prints exactly those
// digits, in %g layout).
bool AppendGFromShortest(Sink* out, const char* sci, const char* end, int precision) {
  // sci: "[-]d[.ddd]e[+-]xx" (shortest scientific form).
  const char* p = sci;
  bool neg = *p == '-';
  if (neg) ++p;
  char digits[20];
  int k = 0;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') {
      if (k == 20) return false;
      digits[k++] = *p;
    }
  }
  if (k > precision || p == end) return false;
  ++p;  // 'e'
  bool eneg = *p == '-';
  ++p;
  int x = 0;
  for (; p < end; ++p) x = x * 10 + (*p - '0');
  if (eneg) x = -x;
  char buf[48];
  char* o = buf;
  if (neg) *o++ = '-';
  if (x < -4 || x >= precision) {
    *o++ = digits[0];
    if (k > 1) {
      *o++ = '.';
      for (int i = 1; i < k; ++i) *o++ = digits[i];
    }
    *o++ = 'e';
    *o++ = x < 0 ? '-' : '+';
    int ax = x < 0 ? -x : x;
    if (ax >= 100) {
      *o++ = static_cast<char>('0' + ax / 100);
      ax %= 100;
      *o++ = static_cast<char>('0' + ax / 10);
      *o++ = static_cast<char>('0' + ax % 10);
    } else {
      *o++ = static_cast<char>('0' + ax / 10);
      *o++ = static_cast<char>('0' + ax % 10);
    }
  } else if (x >= 0) {
    for (int i = 0; i <= x; ++i) *o++ = i < k ? digits[i] : '0';
    if (k > x + 1) {
      *o++ = '.';
      for (int i = x + 1; i < k; ++i) *o++ = digits[i];
    }
  } else {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -x - 1; ++i) *o++ = '0';
    for (int i = 0; i < k; ++i) *o++ = digits[i];
  }
  out->append(buf, o - buf);
  return true;
}

// Like protobuf's SimpleDtoa: %.15g if that round-trips, else %.17g.
//
// For normal numbers, %.15g round-trips exactly when the shortest round-trip
// form has at most 15 digits (DBL_DIG), and then prints those very digits, so
// the fast shortest conversion decides. Subnormals have fewer significant
// bits and take the slow path.
void AppendDouble(Sink* out, double v) {
  char buf[40];
  if (std::fabs(v) >= std::numeric_limits<double>::min() || v == 0) {
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    if (AppendGFromShortest(out, buf, r.ptr, 15)) return;
  } else {
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 15);
    double back;
    auto b = std::from_chars(buf, r.ptr, back);
    if (b.ec == std::errc() && back == v) {
      out->append(buf, r.ptr - buf);
      return;
    }
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 17);
  out->append(buf, r.ptr - buf);
}

// Like protobuf's SimpleFtoa: %.6g if that round-trips as a float, else %.9g
// (FLT_DIG = 6; same reasoning as above). Its round-trip check (strtof with
// errno) always fails for subnormals, so those always get %.9g.
void AppendFloat(Sink* out, float v) {
  char buf[40];
  if (std::fabs(v) >= std::numeric_limits<float>::min() || v == 0) {
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    if (AppendGFromShortest(out, buf, r.ptr, 6)) return;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, static_cast<double>(v), std::chars_format::general, 9);
  out->append(buf, r.ptr - buf);
}

inline bool AppendNonFinite(Sink* out, double v) {
  if (std::isfinite(v)) return false;
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  }
  return true;
}

void AppendBase64(Sink* out, std::string_view in) {
  static constexpr char kB64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size();
  char* o = out->Reserve(2 + (n + 2) / 3 * 4);
  *o++ = '"';
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{s[i]} << 16) | (uint32_t{s[i + 1]} << 8) | s[i + 2];
    *o++ = kB64[v >> 18];
    *o++ = kB64[(v >> 12) & 63];
    *o++ = kB64[(v >> 6) & 63];
    *o++ = kB64[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{s[i]} << 16;
    *o++ = kB64[v >> 18];
    *o++ = kB64[(v >> 12) & 63];
    *o++ = '=';
    *o++ = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t{s[i]} << 16) | (uint32_t{s[i + 1]} << 8);
    *o++ = kB64[v >> 18];
    *o++ = kB64[(v >> 12) & 63];
    *o++ = kB64[(v >> 6) & 63];
    *o++ = '=';
  }
  *o++ = '"';
  out->Commit(o);
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

constexpr int64_t kTimestampMin = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kTimestampMax = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int64_t kDurationMax = 315576000000;

inline char* Put2(char* o, unsigned v) {
  *o++ = static_cast<char>('0' + v / 10);
  *o++ = static_cast<char>('0' + v % 10);
  return o;
}

// 0, 3, 6 or 9 fraction digits (with the dot), like protobuf's util.
inline char* PutNanos(char* o, int32_t nanos) {
  if (nanos == 0) return o;
  int digits = 9;
  uint32_t v = static_cast<uint32_t>(nanos);
  if (v % 1000000 == 0) {
    digits = 3;
    v /= 1000000;
  } else if (v % 1000 == 0) {
    digits = 6;
    v /= 1000;
  }
  *o++ = '.';
  for (int i = digits - 1; i >= 0; --i) {
    o[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return o + digits;
}

void AppendTimestamp(Sink* out, int64_t seconds, int32_t nanos) {
  // Out-of-range values cannot be produced by Parse; they are written on a
  // best-effort basis (normalized nanos, years outside 1..9999 as is).
  if (nanos < 0 || nanos > 999999999) {
    seconds += nanos / 1000000000;
    nanos %= 1000000000;
    if (nanos < 0) {
      nanos += 1000000000;
      seconds -= 1;
    }
  }
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  char* o = buf;
  *o++ = '"';
  if (y >= 0 && y <= 9999) {
    unsigned yy = static_cast<unsigned>(y);
    o = Put2(o, yy / 100);
    o = Put2(o, yy % 100);
  } else {
    o = std::to_chars(o, o + 24, y).ptr;
  }
  *o++ = '-';
  o = Put2(o, m);
  *o++ = '-';
  o = Put2(o, d);
  *o++ = 'T';
  unsigned r = static_cast<unsigned>(rem);
  o = Put2(o, r / 3600);
  *o++ = ':';
  o = Put2(o, r / 60 % 60);
  *o++ = ':';
  o = Put2(o, r % 60);
  o = PutNanos(o, nanos);
  *o++ = 'Z';
  *o++ = '"';
  out->append(buf, o - buf);
}

void AppendDuration(Sink* out, int64_t seconds, int32_t nanos) {
  // Mixed signs cannot be produced by Parse; write the sum.
  __int128 total = static_cast<__int128>(seconds) * 1000000000 + nanos;
  bool neg = total < 0;
  if (neg) total = -total;
  char buf[64];
  char* o = buf;
  *o++ = '"';
  if (neg) *o++ = '-';
  o = std::to_chars(o, o + 24, static_cast<uint64_t>(total / 1000000000)).ptr;
  o = PutNanos(o, static_cast<int32_t>(total % 1000000000));
  *o++ = 's';
  *o++ = '"';
  out->append(buf, o - buf);
}

// protobuf util's ToCamelCase (field mask paths, per segment).
void AppendCamel(std::string* out, std::string_view in) {
  bool capitalize_next = false, was_cap = true, is_cap = false, first_word = true;
  size_t start = out->size();
  for (size_t i = 0; i < in.size(); ++i, was_cap = is_cap) {
    char c = in[i];
    is_cap = c >= 'A' && c <= 'Z';
    auto lower = [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch; };
    if (c == '_') {
      capitalize_next = true;
      if (out->size() > start) first_word = false;
      continue;
    } else if (first_word) {
      if (out->size() > start && is_cap &&
          (!was_cap || (i + 1 < in.size() && in[i + 1] >= 'a' && in[i + 1] <= 'z'))) {
        first_word = false;
        out->push_back(c);
      } else {
        out->push_back(lower(c));
        continue;
      }
    } else if (capitalize_next) {
      capitalize_next = false;
      out->push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
      continue;
    } else {
      out->push_back(lower(c));
    }
  }
}

// protobuf util's ToSnakeCase (field mask paths, per segment).
void AppendSnake(std::string* out, std::string_view in) {
  bool was_not_underscore = false, was_not_cap = false;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c >= 'A' && c <= 'Z') {
      if (was_not_underscore &&
          (was_not_cap || (i + 1 < in.size() && in[i + 1] >= 'a' && in[i + 1] <= 'z'))) {
        out->push_back('_');
      }
      out->push_back(static_cast<char>(c + 32));
      was_not_underscore = true;
      was_not_cap = false;
    } else {
      out->push_back(c);
      was_not_underscore = c != '_';
      was_not_cap = true;
    }
  }
}

// ---------------------------------------------------------------------------
// Printer
// ---------------------------------------------------------------------------

class Printer {
 public:
  Printer(Sink* out, const PrintOptions& options) : out_(out), opt_(options) {}

  // The JSON value of message m (object, or the WKT's special form).
  void Value(const pb::Message& m, const MessageInfo& info) {
    switch (info.wkt) {
      case Wkt::kNone:
      case Wkt::kEmpty:
        Object(m, info);
        return;
      case Wkt::kTimestamp:
        if (IsA<pb::Timestamp>(m)) {
          const auto& t = static_cast<const pb::Timestamp&>(m);
          AppendTimestamp(out_, t.seconds(), t.nanos());
        } else {
          const Reflection* r = ReflOf(m, info);
          AppendTimestamp(out_, r->GetInt64(m, info.fields[0].fd), r->GetInt32(m, info.fields[1].fd));
        }
        return;
      case Wkt::kDuration:
        if (IsA<pb::Duration>(m)) {
          const auto& d = static_cast<const pb::Duration&>(m);
          AppendDuration(out_, d.seconds(), d.nanos());
        } else {
          const Reflection* r = ReflOf(m, info);
          AppendDuration(out_, r->GetInt64(m, info.fields[0].fd), r->GetInt32(m, info.fields[1].fd));
        }
        return;
      case Wkt::kFieldMask:
        FieldMask(m, info);
        return;
      case Wkt::kStruct:
        Struct(m, info);
        return;
      case Wkt::kListValue:
        List(m, info);
        return;
      case Wkt::kValue:
        ValueMsg(m, info);
        return;
      case Wkt::kAny:
        Any(m, info);
        return;
      default:  // wrappers
        Singular(m, ReflOf(m, info), *info.value_f);
        return;
    }
  }

 private:
  void Key(const FieldInfo& f, bool* first) {
    if (!*first) out_->push_back(',');
    *first = false;
    out_->append(f.key);
  }

  void Object(const pb::Message& m, const MessageInfo& info) {
    const Reflection* r = ReflOf(m, info);
    out_->push_back('{');
    bool first = true;
    for (int i = 0; i < info.n; ++i) {
      const FieldInfo& f = info.fields[i];
      if (f.implicit) {
        Implicit(m, r, f, &first);
      } else if (f.repeated || f.map) {
        int size = r->FieldSize(m, f.fd);
        if (size == 0) continue;
        Key(f, &first);
        if (f.map) {
          Map(m, r, f, size);
        } else {
          Repeated(m, r, f, size);
        }
      } else if (f.msg_default != nullptr && r == info.gen_refl) {
        const pb::Message& sub = r->GetMessage(m, f.fd);
        if (&sub == f.msg_default) continue;
        const MessageInfo& sub_info = *SubInfo(f);
        if (f.wkt == Wkt::kValue && !HasKind(sub, sub_info)) continue;
        Key(f, &first);
        Value(sub, sub_info);
      } else {
        if (!r->HasField(m, f.fd)) continue;
        if (f.wkt == Wkt::kValue && !HasKind(r->GetMessage(m, f.fd), *SubInfo(f))) continue;
        Key(f, &first);
        Singular(m, r, f);
      }
    }
    out_->push_back('}');
  }

  // Whole-container access for repeated messages and enums: per-element
  // reflection calls on message/enum fields are costly in protobuf 3.21
  // (each resolves the field type through a call_once). The accessors are
  // deprecated in favour of RepeatedFieldRef, which has no cheap way to
  // read messages without a scratch object.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  static const pb::RepeatedPtrField<pb::Message>& Messages(const pb::Message& m, const Reflection* r,
                                                          const FieldInfo& f) {
    return r->GetRepeatedPtrField<pb::Message>(m, f.fd);
  }
  static const pb::RepeatedField<int32_t>& Enums(const pb::Message& m, const Reflection* r,
                                                 const FieldInfo& f) {
    return r->GetRepeatedField<int32_t>(m, f.fd);
  }
#pragma GCC diagnostic pop

  // A singular scalar without presence: written unless it has the default
  // value (for floating point: unless all bits are zero, so -0 is written,
  // as util does).
  void Implicit(const pb::Message& m, const Reflection* r, const FieldInfo& f, bool* first) {
    switch (f.cpp) {
      case FieldDescriptor::CPPTYPE_INT32:
        if (int32_t v = r->GetInt32(m, f.fd)) {
          Key(f, first);
          AppendInt(out_, v);
        }
        return;
      case FieldDescriptor::CPPTYPE_UINT32:
        if (uint32_t v = r->GetUInt32(m, f.fd)) {
          Key(f, first);
          AppendInt(out_, v);
        }
        return;
      case FieldDescriptor::CPPTYPE_INT64:
        if (int64_t v = r->GetInt64(m, f.fd)) {
          Key(f, first);
          AppendQuotedInt(out_, v);
        }
        return;
      case FieldDescriptor::CPPTYPE_UINT64:
        if (uint64_t v = r->GetUInt64(m, f.fd)) {
          Key(f, first);
          AppendQuotedInt(out_, v);
        }
        return;
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double v = r->GetDouble(m, f.fd);
        uint64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        if (bits == 0) return;
        Key(f, first);
        if (!AppendNonFinite(out_, v)) AppendDouble(out_, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        float v = r->GetFloat(m, f.fd);
        uint32_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        if (bits == 0) return;
        Key(f, first);
        if (!AppendNonFinite(out_, v)) AppendFloat(out_, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (r->GetBool(m, f.fd)) {
          Key(f, first);
          out_->append("true", 4);
        }
        return;
      case FieldDescriptor::CPPTYPE_ENUM:
        if (int v = r->GetEnumValue(m, f.fd)) {
          Key(f, first);
          Enum(f, v);
        }
        return;
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = r->GetStringReference(m, f.fd, &scratch);
        if (s.empty()) return;
        Key(f, first);
        if (f.bytes) {
          AppendBase64(out_, s);
        } else {
          AppendEscaped(out_, s);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return;  // messages always have presence
    }
  }

  // A google.protobuf.Value with no kind has no JSON form; like protobuf's
  // util, such values are left out (field, element or map entry).
  static bool HasKind(const pb::Message& v, const MessageInfo& vinfo) {
    return ReflOf(v, vinfo)->HasOneof(v, vinfo.v_kind);
  }

  void Singular(const pb::Message& m, const Reflection* r, const FieldInfo& f) {
    switch (f.cpp) {
      case FieldDescriptor::CPPTYPE_INT32:
        AppendInt(out_, r->GetInt32(m, f.fd));
        return;
      case FieldDescriptor::CPPTYPE_UINT32:
        AppendInt(out_, r->GetUInt32(m, f.fd));
        return;
      case FieldDescriptor::CPPTYPE_INT64:
        AppendQuotedInt(out_, r->GetInt64(m, f.fd));
        return;
      case FieldDescriptor::CPPTYPE_UINT64:
        AppendQuotedInt(out_, r->GetUInt64(m, f.fd));
        return;
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double v = r->GetDouble(m, f.fd);
        if (!AppendNonFinite(out_, v)) AppendDouble(out_, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        float v = r->GetFloat(m, f.fd);
        if (!AppendNonFinite(out_, v)) AppendFloat(out_, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        out_->append(r->GetBool(m, f.fd) ? "true" : "false");
        return;
      case FieldDescriptor::CPPTYPE_ENUM:
        Enum(f, r->GetEnumValue(m, f.fd));
        return;
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = r->GetStringReference(m, f.fd, &scratch);
        if (f.bytes) {
          AppendBase64(out_, s);
        } else {
          AppendEscaped(out_, s);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        Value(r->GetMessage(m, f.fd), *SubInfo(f));
        return;
    }
  }

  void Element(const pb::Message& m, const Reflection* r, const FieldInfo& f, int i) {
    switch (f.cpp) {
      case FieldDescriptor::CPPTYPE_INT32:
        AppendInt(out_, r->GetRepeatedInt32(m, f.fd, i));
        return;
      case FieldDescriptor::CPPTYPE_UINT32:
        AppendInt(out_, r->GetRepeatedUInt32(m, f.fd, i));
        return;
      case FieldDescriptor::CPPTYPE_INT64:
        AppendQuotedInt(out_, r->GetRepeatedInt64(m, f.fd, i));
        return;
      case FieldDescriptor::CPPTYPE_UINT64:
        AppendQuotedInt(out_, r->GetRepeatedUInt64(m, f.fd, i));
        return;
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double v = r->GetRepeatedDouble(m, f.fd, i);
        if (!AppendNonFinite(out_, v)) AppendDouble(out_, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        float v = r->GetRepeatedFloat(m, f.fd, i);
        if (!AppendNonFinite(out_, v)) AppendFloat(out_, v);
        return;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        out_->append(r->GetRepeatedBool(m, f.fd, i) ? "true" : "false");
        return;
      case FieldDescriptor::CPPTYPE_ENUM:
        Enum(f, r->GetRepeatedEnumValue(m, f.fd, i));
        return;
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = r->GetRepeatedStringReference(m, f.fd, i, &scratch);
        if (f.bytes) {
          AppendBase64(out_, s);
        } else {
          AppendEscaped(out_, s);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        Value(r->GetRepeatedMessage(m, f.fd, i), *SubInfo(f));
        return;
    }
  }

  void Repeated(const pb::Message& m, const Reflection* r, const FieldInfo& f, int size) {
    out_->push_back('[');
    if (f.cpp == FieldDescriptor::CPPTYPE_MESSAGE) {
      const MessageInfo& sub_info = *SubInfo(f);
      bool value = f.wkt == Wkt::kValue;
      bool first = true;
      for (const pb::Message& e : Messages(m, r, f)) {
        if (value && !HasKind(e, sub_info)) continue;
        if (!first) out_->push_back(',');
        first = false;
        Value(e, sub_info);
      }
    } else if (f.cpp == FieldDescriptor::CPPTYPE_ENUM) {
      bool first = true;
      for (int32_t e : Enums(m, r, f)) {
        if (!first) out_->push_back(',');
        first = false;
        Enum(f, e);
      }
    } else {
      for (int i = 0; i < size; ++i) {
        if (i > 0) out_->push_back(',');
        Element(m, r, f, i);
      }
    }
    out_->push_back(']');
  }

  // Maps are read through their repeated-field view (the map iterators of
  // Reflection are not public in protobuf 3.21).
  void Map(const pb::Message& m, const Reflection* r, const FieldInfo& f, int size) {
    const MessageInfo& entry_info = *SubInfo(f);
    const FieldInfo& kf = *entry_info.key_f;
    const FieldInfo& vf = *entry_info.value_f;
    const MessageInfo* vinfo = vf.wkt == Wkt::kValue ? SubInfo(vf) : nullptr;
    out_->push_back('{');
    bool first = true;
    for (const pb::Message& e : Messages(m, r, f)) {
      const Reflection* er = ReflOf(e, entry_info);
      if (vinfo && !HasKind(er->GetMessage(e, vf.fd), *vinfo)) continue;
      if (!first) out_->push_back(',');
      first = false;
      switch (kf.cpp) {
        case FieldDescriptor::CPPTYPE_STRING: {
          std::string scratch;
          AppendEscaped(out_, er->GetStringReference(e, kf.fd, &scratch));
          break;
        }
        case FieldDescriptor::CPPTYPE_INT32:
          AppendQuotedInt(out_, er->GetInt32(e, kf.fd));
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          AppendQuotedInt(out_, er->GetUInt32(e, kf.fd));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          AppendQuotedInt(out_, er->GetInt64(e, kf.fd));
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          AppendQuotedInt(out_, er->GetUInt64(e, kf.fd));
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          out_->append(er->GetBool(e, kf.fd) ? "\"true\"" : "\"false\"");
          break;
        default:
          out_->append("\"\"");
          break;
      }
      out_->push_back(':');
      Singular(e, er, vf);
    }
    out_->push_back('}');
  }

  void Enum(const FieldInfo& f, int number) {
    if (f.null_enum) {
      out_->append("null", 4);
      return;
    }
    if (!opt_.enums_as_ints) {
      if (const std::string* name = f.enums->Name(number)) {
        out_->append(*name);
        return;
      }
    }
    AppendInt(out_, number);
  }

  void FieldMask(const pb::Message& m, const MessageInfo& info) {
    const Reflection* r = ReflOf(m, info);
    const FieldDescriptor* paths = info.fields[0].fd;
    int n = r->FieldSize(m, paths);
    std::string joined;
    for (int i = 0; i < n; ++i) {
      if (i > 0) joined.push_back(',');
      std::string scratch;
      std::string_view p = r->GetRepeatedStringReference(m, paths, i, &scratch);
      size_t seg = 0;
      while (true) {
        size_t dot = p.find('.', seg);
        AppendCamel(&joined, p.substr(seg, dot == std::string_view::npos ? p.npos : dot - seg));
        if (dot == std::string_view::npos) break;
        joined.push_back('.');
        seg = dot + 1;
      }
    }
    AppendEscaped(out_, joined);
  }

  void Struct(const pb::Message& m, const MessageInfo& info) {
    const Reflection* r = ReflOf(m, info);
    const FieldInfo& f = *info.key_f;  // `fields`
    int size = r->FieldSize(m, f.fd);
    if (size == 0) {
      out_->append("{}", 2);
      return;
    }
    Map(m, r, f, size);
  }

  void List(const pb::Message& m, const MessageInfo& info) {
    const Reflection* r = ReflOf(m, info);
    const FieldInfo& f = *info.value_f;  // `values`
    Repeated(m, r, f, r->FieldSize(m, f.fd));
  }

  void ValueMsg(const pb::Message& m, const MessageInfo& info) {
    const Reflection* r = ReflOf(m, info);
    const FieldDescriptor* set = r->GetOneofFieldDescriptor(m, info.v_kind);
    if (set == nullptr || set == info.v_null->fd) {
      out_->append("null", 4);
    } else if (set == info.v_number->fd) {
      double v = r->GetDouble(m, set);
      if (!AppendNonFinite(out_, v)) AppendDouble(out_, v);
    } else if (set == info.v_string->fd) {
      std::string scratch;
      AppendEscaped(out_, r->GetStringReference(m, set, &scratch));
    } else if (set == info.v_bool->fd) {
      out_->append(r->GetBool(m, set) ? "true" : "false");
    } else if (set == info.v_struct->fd) {
      Struct(r->GetMessage(m, set), *SubInfo(*info.v_struct));
    } else {
      List(r->GetMessage(m, set), *SubInfo(*info.v_list));
    }
  }

  // Any: {"@type": url, ...fields} or, for a WKT payload, {"@type": url,
  // "value": <special form>}; the payload type is looked up in the pool of
  // the Any's descriptor. An unresolvable payload is written as its type URL
  // alone.
  void Any(const pb::Message& m, const MessageInfo& info) {
    const Reflection* r = ReflOf(m, info);
    const FieldDescriptor* url_fd = info.fields[0].fd;
    const FieldDescriptor* value_fd = info.fields[1].fd;
    std::string url_scratch, value_scratch;
    const std::string& url = r->GetStringReference(m, url_fd, &url_scratch);
    const std::string& value = r->GetStringReference(m, value_fd, &value_scratch);
    if (url.empty() && value.empty()) {
      out_->append("{}", 2);
      return;
    }
    out_->append("{\"@type\":");
    AppendEscaped(out_, url);
    size_t slash = url.rfind('/');
    std::string type_name = slash == std::string::npos ? url : url.substr(slash + 1);
    const Descriptor* d = info.d->file()->pool()->FindMessageTypeByName(type_name);
    const pb::Message* proto = d ? r->GetMessageFactory()->GetPrototype(d) : nullptr;
    if (proto == nullptr) {
      out_->push_back('}');
      return;
    }
    std::unique_ptr<pb::Message> payload(proto->New());
    payload->ParseFromString(value);
    const MessageInfo& pinfo = *GlobalRegistry().Get(d);
    if (pinfo.wkt == Wkt::kNone) {
      std::string body;
      {
        Sink sink(&body);
        Printer(&sink, opt_).Object(*payload, pinfo);
      }
      if (body.size() > 2) {
        out_->push_back(',');
        out_->append(std::string_view(body).substr(1));
      } else {
        out_->push_back('}');
      }
      return;
    }
    out_->append(",\"value\":");
    Value(*payload, pinfo);
    out_->push_back('}');
  }

  Sink* out_;
  const PrintOptions& opt_;
};

// ---------------------------------------------------------------------------
// Parsing helpers
// ---------------------------------------------------------------------------

// Strict UTF-8 check with an ASCII fast path.
bool ValidUtf8(std::string_view str) {
  const auto* s = reinterpret_cast<const unsigned char*>(str.data());
  const size_t n = str.size();
  size_t i = 0;
  while (i < n) {
#if defined(__SSE2__)
    while (i + 16 <= n) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      if (_mm_movemask_epi8(v) != 0) break;
      i += 16;
    }
#endif
    while (i < n && s[i] < 0x80) ++i;
    if (i >= n) break;
    uint32_t cp;
    int len = DecodeUtf8(s, n, i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// JSON number grammar, except that leading zeros are allowed.
bool LooksLikeNumber(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  size_t d = i;
  while (i < n && IsDigit(s[i])) ++i;
  if (i == d) return false;
  if (i < n && s[i] == '.') {
    ++i;
    d = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == d) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    d = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == d) return false;
  }
  return i == n;
}

bool IsIntegerLiteral(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (!IsDigit(s[i])) return false;
  return true;
}

// Text of a JSON number (validated grammar) to double. Overflow is an error;
// underflow gives (signed) zero, like strtod.
bool TextToDouble(std::string_view s, double* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return std::isfinite(*out);
  if (r.ec != std::errc::result_out_of_range) return false;
  std::string copy(s);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || std::isinf(v)) return false;
  *out = v;
  return true;
}

// protobuf util's double → float check: out-of-range values are refused,
// except those that round to ±FLT_MAX.
bool DoubleToFloat(double d, float* out) {
  if (!std::isfinite(d)) {
    *out = static_cast<float>(d);
    return true;
  }
  constexpr double kMax = std::numeric_limits<float>::max();
  if (d > kMax || d < -kMax) {
    double half = d * 0.5;
    if (half < kMax && half > -kMax) {
      const float half_fmax = std::numeric_limits<float>::max() * 0.5f;
      float half_after = static_cast<float>(half);
      if (half_after <= half_fmax && half_after >= -half_fmax) {
        *out = half_after + half_after;
        return true;
      }
    }
    return false;
  }
  *out = static_cast<float>(d);
  return true;
}

// Integer from a JSON number's text: exact integers directly, others through
// double when the value is integral and in range (1e2 → 100, 1.5 refused).
template <typename T>
bool NumberToInt(std::string_view s, T* out) {
  if (IsIntegerLiteral(s)) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return true;
    if (r.ec == std::errc::result_out_of_range) return false;
    // "-0" for unsigned types.
    if (s == "-0") {
      *out = 0;
      return true;
    }
    return false;
  }
  double d;
  if (!TextToDouble(s, &d)) return false;
  if (d != std::trunc(d)) return false;
  // Bounds as doubles: [min, 2^bits) exclusive of the top.
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
  constexpr double hi = std::is_signed_v<T> ? -lo : 2.0 * (static_cast<double>(std::numeric_limits<T>::max() / 2) + 1);
  if (d < lo || d >= hi) return false;
  *out = static_cast<T>(d);
  return true;
}

// Integer from a JSON string: an integer literal only ("12", "-3").
template <typename T>
bool StringToInt(std::string_view s, T* out) {
  if (!IsIntegerLiteral(s)) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return true;
  if (r.ec != std::errc::result_out_of_range && std::is_unsigned_v<T> &&
      s.find_first_not_of("-0") == std::string_view::npos) {
    *out = 0;  // "-0"
    return true;
  }
  return false;
}

// Base64, standard or URL-safe alphabet (not mixed), padding optional.
bool DecodeBase64(std::string_view in, std::string* out) {
  static constexpr auto kTable = [] {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 26; ++i) {
      t['A' + i] = static_cast<int8_t>(i);
      t['a' + i] = static_cast<int8_t>(26 + i);
    }
    for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<int8_t>(52 + i);
    t['+'] = 62;
    t['/'] = 63;
    t['-'] = 62;
    t['_'] = 63;
    return t;
  }();
  size_t n = in.size();
  size_t pad = 0;
  while (pad < 2 && n > 0 && in[n - 1] == '=') {
    --n;
    ++pad;
  }
  if (n % 4 == 1) return false;
  if (pad > 0 && (n + pad) % 4 != 0) return false;
  bool std_alpha = false, url_alpha = false;
  out->clear();
  out->reserve(n * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    int8_t v = kTable[c];
    if (v < 0) return false;
    if (c == '+' || c == '/') std_alpha = true;
    if (c == '-' || c == '_') url_alpha = true;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return !(std_alpha && url_alpha);
}

inline int Digits2(const char* p) {
  if (!IsDigit(p[0]) || !IsDigit(p[1])) return -1;
  return (p[0] - '0') * 10 + (p[1] - '0');
}

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM); range 0001-01-01T00:00:00Z
// to 9999-12-31T23:59:59.999999999Z.
bool ParseTimestamp(std::string_view s, int64_t* seconds, int32_t* nanos) {
  if (s.size() < 20) return false;
  const char* p = s.data();
  int y1 = Digits2(p), y2 = Digits2(p + 2);
  if (y1 < 0 || y2 < 0 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' ||
      p[16] != ':')
    return false;
  int mo = Digits2(p + 5), d = Digits2(p + 8), h = Digits2(p + 11), mi = Digits2(p + 14),
      se = Digits2(p + 17);
  if (mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
    return false;
  int year = y1 * 100 + y2;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (d > kDays[mo - 1] + (mo == 2 && leap)) return false;
  size_t i = 19;
  int32_t ns = 0;
  if (s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && IsDigit(s[i])) {
      if (++digits > 9) return false;
      ns = ns * 10 + (s[i] - '0');
      ++i;
    }
    if (digits == 0) return false;
    for (; digits < 9; ++digits) ns *= 10;
  }
  if (i >= s.size()) return false;
  int offset = 0;
  if (s[i] == 'Z') {
    if (i + 1 != s.size()) return false;
  } else if (s[i] == '+' || s[i] == '-') {
    if (i + 6 != s.size() || s[i + 3] != ':') return false;
    int oh = Digits2(p + i + 1), om = Digits2(p + i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
    offset = (oh * 60 + om) * 60;
    if (s[i] == '-') offset = -offset;
  } else {
    return false;
  }
  int64_t secs = DaysFromCivil(year, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                 h * 3600 + mi * 60 + se - offset;
  if (secs < kTimestampMin || secs > kTimestampMax) return false;
  *seconds = secs;
  *nanos = ns;
  return true;
}

// -?digits(.f{1,9})?s with |value| <= 315576000000.999999999s.
bool ParseDuration(std::string_view s, int64_t* seconds, int32_t* nanos) {
  size_t i = 0, n = s.size();
  if (n < 2 || s[n - 1] != 's') return false;
  --n;
  bool neg = s[0] == '-';
  if (neg) ++i;
  size_t start = i;
  int64_t secs = 0;
  while (i < n && IsDigit(s[i])) {
    secs = secs * 10 + (s[i] - '0');
    if (secs > kDurationMax) return false;
    ++i;
  }
  if (i == start) return false;
  int32_t ns = 0;
  if (i < n && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < n && IsDigit(s[i])) {
      if (++digits > 9) return false;
      ns = ns * 10 + (s[i] - '0');
      ++i;
    }
    if (digits == 0) return false;
    for (; digits < 9; ++digits) ns *= 10;
  }
  if (i != n) return false;
  *seconds = neg ? -secs : secs;
  *nanos = neg ? -ns : ns;
  return true;
}

// "a.bC,d" → paths {"a.b_c", "d"}; "" → no paths.
bool ParseFieldMask(std::string_view s, std::vector<std::string>* paths) {
  paths->clear();
  if (s.empty()) return true;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string_view path = s.substr(start, comma == s.npos ? s.npos : comma - start);
    std::string snake;
    size_t seg = 0;
    while (true) {
      size_t dot = path.find('.', seg);
      std::string_view part = path.substr(seg, dot == path.npos ? path.npos : dot - seg);
      if (part.empty()) return false;
      for (char c : part)
        if (!(IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
          return false;
      AppendSnake(&snake, part);
      if (dot == path.npos) break;
      snake.push_back('.');
      seg = dot + 1;
    }
    paths->push_back(std::move(snake));
    if (comma == s.npos) break;
    start = comma + 1;
  }
  return true;
}

std::string TypeLabel(const FieldDescriptor* fd) {
  if (fd->is_map()) {
    const FieldDescriptor* v = fd->message_type()->map_value();
    return absl::StrCat("map<", FieldDescriptor::TypeName(fd->message_type()->map_key()->type()), ", ",
                        v->message_type() ? v->message_type()->full_name()
                        : v->enum_type()  ? v->enum_type()->full_name()
                                          : FieldDescriptor::TypeName(v->type()),
                        ">");
  }
  switch (fd->type()) {
    case FieldDescriptor::TYPE_ENUM:
      return "TYPE_ENUM";
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP:
      return "type.googleapis.com/" + fd->message_type()->full_name();
    default: {
      std::string s = "TYPE_";
      for (const char* c = FieldDescriptor::TypeName(fd->type()); *c; ++c)
        s.push_back(static_cast<char>(*c >= 'a' && *c <= 'z' ? *c - 32 : *c));
      return s;
    }
  }
}

// A quoted, escaped, length-capped rendering of untrusted text for messages.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 200;
  std::string out;
  bool cut = s.size() > kMax;
  if (cut) {
    s = s.substr(0, kMax);
    // Do not cut inside a UTF-8 sequence.
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xc0) == 0x80) s.remove_suffix(1);
    if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xc0) s.remove_suffix(1);
  }
  {
    Sink sink(&out);
    AppendEscaped(&sink, s);
  }
  if (cut) out.insert(out.size() - 1, "...");
  return out;
}

// ---------------------------------------------------------------------------
// Parser (RapidJSON SAX handler)
// ---------------------------------------------------------------------------

enum class Tok : uint8_t { kNull, kTrue, kFalse, kNumber, kString, kObject, kArray };

struct Val {
  Tok tok;
  std::string_view text;  // number text or string contents
};

class Parser {
 public:
  // check_utf8: validate each string (when the input as a whole is not known
  // to decode to valid UTF-8).
  Parser(pb::Message* root, const ParseOptions& options, bool check_utf8)
      : root_(root), opt_(options), check_utf8_(check_utf8) {
    stack_.reserve(16);
  }

  const absl::Status& status() const { return status_; }

  // --- RapidJSON handler interface ---
  bool Null() { return OnValue({Tok::kNull, {}}); }
  bool Bool(bool b) { return OnValue({b ? Tok::kTrue : Tok::kFalse, {}}); }
  bool RawNumber(const char* s, rj::SizeType n, bool) { return OnValue({Tok::kNumber, {s, n}}); }
  bool String(const char* s, rj::SizeType n, bool) {
    std::string_view sv(s, n);
    if (check_utf8_ && !ValidUtf8(sv)) return FailUtf8();
    return OnValue({Tok::kString, sv});
  }
  // Unused with kParseNumbersAsStringsFlag.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }

  bool StartObject() {
    if (++depth_ > opt_.max_depth) return FailDepth();
    return OnValue({Tok::kObject, {}});
  }
  bool StartArray() {
    if (++depth_ > opt_.max_depth) return FailDepth();
    return OnValue({Tok::kArray, {}});
  }
  bool Key(const char* s, rj::SizeType n, bool) {
    std::string_view key(s, n);
    if (check_utf8_ && !ValidUtf8(key)) return FailUtf8();
    Frame& top = stack_.back();
    switch (top.kind) {
      case Kind::kMessage:
        return MessageKey(key);
      case Kind::kMap:
        return MapKey(key);
      case Kind::kStruct:
        return StructKey(key);
      default:  // kSkip
        return true;
    }
  }
  bool EndObject(rj::SizeType) { return EndContainer(); }
  bool EndArray(rj::SizeType) { return EndContainer(); }

  // RapidJSON refused a number as beyond the range of double before the
  // handler saw it; name the value's path and type when there is one.
  void NumberTooBig(std::string_view text) {
    if (!status_.ok() || stack_.empty()) return;
    Frame& top = stack_.back();
    const FieldDescriptor* fd = nullptr;
    switch (top.kind) {
      case Kind::kMessage:
        if (top.field != nullptr) fd = LabelField(*top.field);
        break;
      case Kind::kRepeated:
        ++top.count;
        fd = LabelField(*top.field);
        break;
      case Kind::kMap:
        fd = LabelField(*top.info->value_f);
        break;
      case Kind::kStruct:
        fd = SubInfo(*SubInfo(*top.info->key_f)->value_f)->v_number->fd;
        break;
      case Kind::kList:
        ++top.count;
        fd = SubInfo(*top.info->value_f)->v_number->fd;
        break;
      case Kind::kSkip:
        break;
    }
    if (fd != nullptr) BadValue(fd, {Tok::kNumber, text});
  }

 private:
  enum class Kind : uint8_t { kMessage, kRepeated, kMap, kStruct, kList, kSkip };
  // A map key already read: string keys by text (views into the in-situ
  // buffer, valid for the whole parse), others by value.
  using MapKeyRec = std::pair<std::string_view, uint64_t>;

  struct Frame {
    explicit Frame(Kind k) : kind(k) {}
    Kind kind;
    bool at_key = false;           // kMap: converting the key of the current entry
    pb::Message* msg = nullptr;    // message being filled, or the container's owner
    const Reflection* refl = nullptr;   // msg's
    const Reflection* cur_refl = nullptr;  // kMap: the current entry's
    const MessageInfo* info = nullptr;  // kMessage: msg's; kMap: the entry's; kStruct/kList: msg's
    const FieldInfo* field = nullptr;   // kMessage: the pending field; kRepeated/kMap: the field
    pb::Message* cur = nullptr;    // kMap: current entry; kStruct: current Value
    int count = 0;                 // elements/entries so far; kSkip: nesting
    int next = 0;                  // kMessage: index of the field expected next
    uint32_t bits = 0;             // kMessage: offset of the seen-field bitset in bits_;
                                   // kMap/kStruct: offset of the seen keys in keys_
    std::string_view key;          // kMessage: pending key as written; kStruct: current key
    // kMap/kStruct with many entries: the seen keys, hashed.
    std::unique_ptr<absl::flat_hash_set<MapKeyRec>> key_set;
  };

  // --- frames ---
  void PushMessage(pb::Message* m, const MessageInfo* info) {
    Frame f(Kind::kMessage);
    f.msg = m;
    f.refl = ReflOf(*m, *info);
    f.info = info;
    f.bits = static_cast<uint32_t>(bits_.size());
    bits_.resize(bits_.size() + info->seen_words, 0);
    stack_.push_back(std::move(f));
  }
  void PushSimple(Kind kind, pb::Message* m, const Reflection* r, const MessageInfo* info,
                  const FieldInfo* field) {
    Frame f(kind);
    f.msg = m;
    f.refl = r;
    f.info = info;
    f.field = field;
    f.bits = static_cast<uint32_t>(keys_.size());
    stack_.push_back(std::move(f));
  }

  // Records a key of the map/Struct on top; false if it was seen before.
  bool NewMapKey(Frame& top, MapKeyRec key) {
    constexpr size_t kLinear = 16;
    size_t n = keys_.size() - top.bits;
    if (top.key_set) return top.key_set->insert(key).second;
    for (size_t i = top.bits; i < keys_.size(); ++i)
      if (keys_[i] == key) return false;
    if (n + 1 < kLinear) {
      keys_.push_back(key);
      return true;
    }
    top.key_set = std::make_unique<absl::flat_hash_set<MapKeyRec>>(keys_.begin() + top.bits, keys_.end());
    top.key_set->insert(key);
    return true;
  }

  // After a complete value (scalar, or a container that just closed).
  bool ValueDone() {
    if (stack_.empty()) return true;
    Frame& top = stack_.back();
    switch (top.kind) {
      case Kind::kMessage:
        top.field = nullptr;
        top.key = {};
        return true;
      case Kind::kMap:
        top.cur = nullptr;
        return true;
      case Kind::kStruct:
        top.cur = nullptr;
        return true;
      case Kind::kSkip:
        if (top.count == 0) {
          stack_.pop_back();
          return ValueDone();
        }
        return true;
      default:
        return true;
    }
  }

  bool EndContainer() {
    --depth_;
    Frame& top = stack_.back();
    switch (top.kind) {
      case Kind::kSkip:
        if (--top.count > 0) return true;
        stack_.pop_back();
        return ValueDone();
      case Kind::kMessage:
        bits_.resize(top.bits);
        break;
      case Kind::kMap:
      case Kind::kStruct:
        keys_.resize(top.bits);
        break;
      default:
        break;
    }
    stack_.pop_back();
    return ValueDone();
  }

  // --- keys ---
  bool MessageKey(std::string_view key) {
    Frame& top = stack_.back();
    const MessageInfo& info = *top.info;
    // JSON written by protobuf-style printers lists fields by number: try
    // the field after the previous one before hashing.
    const FieldInfo* f = nullptr;
    if (top.next < info.n && info.fields[top.next].fd->json_name() == key) {
      f = &info.fields[top.next];
    } else {
      auto it = info.by_name.find(key);
      if (it != info.by_name.end()) f = it->second;
    }
    if (f == nullptr) {
      if (opt_.ignore_unknown_fields) {
        stack_.emplace_back(Kind::kSkip);
        return true;
      }
      return Fail(absl::StrCat("Invalid JSON payload received. Unknown name ", Quote(key),
                               AtPath(false), ": Cannot find field."));
    }
    top.next = f->idx + 1;
    uint64_t& word = bits_[top.bits + f->idx / 64];
    uint64_t bit = uint64_t{1} << (f->idx % 64);
    if (word & bit) {
      return Fail(absl::StrCat("Invalid JSON payload received. Duplicate name ", Quote(key),
                               AtPath(false), ": field already set."));
    }
    word |= bit;
    top.field = f;
    top.key = key;
    return true;
  }

  bool MapKey(std::string_view key) {
    Frame& top = stack_.back();
    pb::Message* entry = top.refl->AddMessage(top.msg, top.field->fd);
    const Reflection* er = ReflOf(*entry, *top.info);
    top.cur = entry;
    top.cur_refl = er;
    ++top.count;
    top.at_key = true;
    const FieldInfo& kf = *top.info->key_f;
    bool ok = true;
    MapKeyRec rec{};
    switch (kf.cpp) {
      case FieldDescriptor::CPPTYPE_STRING:
        er->SetString(entry, kf.fd, std::string(key));
        rec.first = key;
        break;
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t v;
        if ((ok = StringToInt(key, &v))) er->SetInt32(entry, kf.fd, v);
        rec.second = static_cast<uint64_t>(int64_t{v});
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t v;
        if ((ok = StringToInt(key, &v))) er->SetUInt32(entry, kf.fd, v);
        rec.second = v;
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t v;
        if ((ok = StringToInt(key, &v))) er->SetInt64(entry, kf.fd, v);
        rec.second = static_cast<uint64_t>(v);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        uint64_t v;
        if ((ok = StringToInt(key, &v))) er->SetUInt64(entry, kf.fd, v);
        rec.second = v;
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        // strict: "true"/"false" only (util also takes "1", "True", ...).
        if (key == "true") {
          er->SetBool(entry, kf.fd, true);
          rec.second = 1;
        } else if (key == "false") {
          er->SetBool(entry, kf.fd, false);
        } else {
          ok = false;
        }
        break;
      default:
        ok = false;
        break;
    }
    if (!ok) return BadValue(kf.fd, {Tok::kString, key});
    if (!NewMapKey(stack_.back(), rec)) return FailRepeatedKey(key);
    stack_.back().at_key = false;
    return true;
  }

  bool StructKey(std::string_view key) {
    Frame& top = stack_.back();
    const FieldInfo& ff = *top.info->key_f;  // Struct.fields
    const MessageInfo& entry_info = *SubInfo(ff);
    if (!NewMapKey(top, {key, 0})) return FailRepeatedKey(key);
    pb::Message* entry = top.refl->AddMessage(top.msg, ff.fd);
    const Reflection* er = ReflOf(*entry, entry_info);
    er->SetString(entry, entry_info.key_f->fd, std::string(key));
    top.cur = er->MutableMessage(entry, entry_info.value_f->fd);
    top.key = key;
    ++top.count;
    return true;
  }

  // --- values ---
  bool OnValue(const Val& v) {
    if (stack_.empty()) return Root(v);
    Frame& top = stack_.back();
    switch (top.kind) {
      case Kind::kMessage:
        return MessageFieldValue(v);
      case Kind::kRepeated: {
        ++top.count;
        const FieldInfo& f = *top.field;
        if (v.tok == Tok::kNull && f.wkt != Wkt::kValue && !f.null_enum)
          return BadValue(f.fd, v);  // strict: util skips null elements
        size_t depth = stack_.size();
        if (!Store(top.msg, top.refl, f, v, /*add=*/true)) return false;
        return stack_.size() > depth || ValueDone();
      }
      case Kind::kMap: {
        const FieldInfo& vf = *top.info->value_f;
        if (v.tok == Tok::kNull && vf.wkt != Wkt::kValue && !vf.null_enum)
          return BadValue(vf.fd, v);  // strict: util stores the default value
        size_t depth = stack_.size();
        skipped_ = false;
        if (!Store(top.cur, top.cur_refl, vf, v, /*add=*/false)) return false;
        if (skipped_) {
          Frame& t = stack_.back();
          t.refl->RemoveLast(t.msg, t.field->fd);
        }
        return stack_.size() > depth || ValueDone();
      }
      case Kind::kStruct: {
        size_t depth = stack_.size();
        if (!StoreValue(top.cur, *SubInfo(*SubInfo(*top.info->key_f)->value_f), v)) return false;
        return stack_.size() > depth || ValueDone();
      }
      case Kind::kList: {
        ++top.count;
        const FieldInfo& f = *top.info->value_f;
        pb::Message* value = top.refl->AddMessage(top.msg, f.fd);
        size_t depth = stack_.size();
        if (!StoreValue(value, *SubInfo(f), v)) return false;
        return stack_.size() > depth || ValueDone();
      }
      case Kind::kSkip:
        if (v.tok == Tok::kObject || v.tok == Tok::kArray) {
          ++top.count;
          return true;
        }
        return top.count > 0 || ValueDone();
    }
    return false;
  }

  bool Root(const Val& v) {
    const MessageInfo* info = InfoFor(root_->GetDescriptor());
    if (v.tok != Tok::kObject)
      return Fail("Invalid JSON payload received. The top-level value must be a JSON object.");
    switch (info->wkt) {
      case Wkt::kNone:
      case Wkt::kEmpty:
        PushMessage(root_, info);
        return true;
      case Wkt::kStruct:
        PushSimple(Kind::kStruct, root_, ReflOf(*root_, *info), info, nullptr);
        return true;
      case Wkt::kValue:
        return StoreValue(root_, *info, v);
      case Wkt::kAny:
        return FailAny();
      default:
        return Fail(absl::StrCat("Invalid JSON payload received. A JSON object cannot be parsed as ",
                                 info->d->full_name(), "."));
    }
  }

  bool MessageFieldValue(const Val& v) {
    Frame& top = stack_.back();
    const FieldInfo& f = *top.field;
    pb::Message* msg = top.msg;
    if (v.tok == Tok::kNull && (f.repeated || f.map || (f.wkt != Wkt::kValue && !f.null_enum))) {
      // `null` means absent.
      return ValueDone();
    }
    const Reflection* r = top.refl;
    if (f.oneof != nullptr) {
      if (r->HasOneof(*msg, f.oneof)) {
        const FieldDescriptor* other = r->GetOneofFieldDescriptor(*msg, f.oneof);
        return Fail(absl::StrCat("Invalid JSON payload received. Oneof \"", f.oneof->name(), "\"",
                                 AtParentPath(false), " has multiple oneof fields set: \"",
                                 other->json_name(), "\" and \"", f.fd->json_name(), "\"."));
      }
    }
    if (f.map) {
      if (v.tok != Tok::kObject) return BadValue(f.fd, v);
      PushSimple(Kind::kMap, msg, r, SubInfo(f), &f);
      return true;
    }
    if (f.repeated) {
      if (v.tok != Tok::kArray) return BadValue(f.fd, v);  // strict: util wraps a lone value
      PushSimple(Kind::kRepeated, msg, r, nullptr, &f);
      return true;
    }
    if (v.tok == Tok::kArray && !(f.wkt == Wkt::kValue || f.wkt == Wkt::kListValue)) {
      return Fail(absl::StrCat("Invalid JSON payload received. Unknown name ", Quote(top.key),
                               AtParentPath(false),
                               ": Proto field is not repeating, cannot start list."));
    }
    size_t depth = stack_.size();
    skipped_ = false;
    if (!Store(msg, r, f, v, /*add=*/false)) return false;
    return stack_.size() > depth || ValueDone();
  }

  // Stores v into field f of msg (set, or add when f is repeated). Container
  // values push a frame.
  bool Store(pb::Message* msg, const Reflection* r, const FieldInfo& f, const Val& v, bool add) {
    const FieldDescriptor* fd = f.fd;
    switch (f.cpp) {
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t x;
        if (!ToInt(v, &x)) return BadValue(fd, v);
        add ? r->AddInt32(msg, fd, x) : r->SetInt32(msg, fd, x);
        return true;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t x;
        if (!ToInt(v, &x)) return BadValue(fd, v);
        add ? r->AddUInt32(msg, fd, x) : r->SetUInt32(msg, fd, x);
        return true;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t x;
        if (!ToInt(v, &x)) return BadValue(fd, v);
        add ? r->AddInt64(msg, fd, x) : r->SetInt64(msg, fd, x);
        return true;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        uint64_t x;
        if (!ToInt(v, &x)) return BadValue(fd, v);
        add ? r->AddUInt64(msg, fd, x) : r->SetUInt64(msg, fd, x);
        return true;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double x;
        if (!ToDouble(v, &x)) return BadValue(fd, v);
        add ? r->AddDouble(msg, fd, x) : r->SetDouble(msg, fd, x);
        return true;
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double d;
        float x;
        if (!ToDouble(v, &d) || !DoubleToFloat(d, &x)) return BadValue(fd, v);
        add ? r->AddFloat(msg, fd, x) : r->SetFloat(msg, fd, x);
        return true;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        // strict: JSON true/false only (util also takes "true" strings).
        if (v.tok != Tok::kTrue && v.tok != Tok::kFalse) return BadValue(fd, v);
        bool x = v.tok == Tok::kTrue;
        add ? r->AddBool(msg, fd, x) : r->SetBool(msg, fd, x);
        return true;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        if (v.tok != Tok::kString) return BadValue(fd, v);
        if (f.bytes) {
          std::string decoded;
          if (!DecodeBase64(v.text, &decoded)) return BadValue(fd, v);
          add ? r->AddString(msg, fd, std::move(decoded)) : r->SetString(msg, fd, std::move(decoded));
        } else {
          add ? r->AddString(msg, fd, std::string(v.text)) : r->SetString(msg, fd, std::string(v.text));
        }
        return true;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        int x;
        if (!ToEnum(f, v, &x)) return BadValue(fd, v);
        if (skipped_) return true;
        add ? r->AddEnumValue(msg, fd, x) : r->SetEnumValue(msg, fd, x);
        return true;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return StoreMessage(msg, r, f, v, add);
    }
    return BadValue(fd, v);
  }

  bool StoreMessage(pb::Message* msg, const Reflection* r, const FieldInfo& f, const Val& v,
                    bool add) {
    auto sub = [&] { return add ? r->AddMessage(msg, f.fd) : r->MutableMessage(msg, f.fd); };
    const MessageInfo* info = SubInfo(f);
    switch (f.wkt) {
      case Wkt::kNone:
      case Wkt::kEmpty:
        if (v.tok != Tok::kObject) return BadValue(f.fd, v);
        PushMessage(sub(), info);
        return true;
      case Wkt::kAny:
        return FailAny();
      case Wkt::kStruct: {
        if (v.tok != Tok::kObject) return BadValue(f.fd, v);
        pb::Message* m = sub();
        PushSimple(Kind::kStruct, m, ReflOf(*m, *info), info, nullptr);
        return true;
      }
      case Wkt::kListValue: {
        if (v.tok != Tok::kArray) return BadValue(f.fd, v);
        pb::Message* m = sub();
        PushSimple(Kind::kList, m, ReflOf(*m, *info), info, nullptr);
        return true;
      }
      case Wkt::kValue:
        return StoreValue(sub(), *info, v);
      case Wkt::kTimestamp:
      case Wkt::kDuration: {
        int64_t seconds;
        int32_t nanos;
        if (v.tok != Tok::kString ||
            !(f.wkt == Wkt::kTimestamp ? ParseTimestamp(v.text, &seconds, &nanos)
                                       : ParseDuration(v.text, &seconds, &nanos)))
          return BadValue(f.fd, v);
        pb::Message* m = sub();
        if (IsA<pb::Timestamp>(*m)) {
          static_cast<pb::Timestamp*>(m)->set_seconds(seconds);
          static_cast<pb::Timestamp*>(m)->set_nanos(nanos);
        } else if (IsA<pb::Duration>(*m)) {
          static_cast<pb::Duration*>(m)->set_seconds(seconds);
          static_cast<pb::Duration*>(m)->set_nanos(nanos);
        } else {
          const Reflection* mr = ReflOf(*m, *info);
          mr->SetInt64(m, info->fields[0].fd, seconds);
          mr->SetInt32(m, info->fields[1].fd, nanos);
        }
        return true;
      }
      case Wkt::kFieldMask: {
        std::vector<std::string> paths;
        if (v.tok != Tok::kString || !ParseFieldMask(v.text, &paths)) return BadValue(f.fd, v);
        pb::Message* m = sub();
        const Reflection* mr = ReflOf(*m, *info);
        for (auto& p : paths) mr->AddString(m, info->fields[0].fd, std::move(p));
        return true;
      }
      default: {  // wrappers: the bare value
        if (v.tok == Tok::kObject || v.tok == Tok::kArray || v.tok == Tok::kNull)
          return BadValue(f.fd, v);
        // A bad value is reported at the wrapper field's path, with the
        // wrapped scalar's type.
        pb::Message* m = sub();
        return Store(m, ReflOf(*m, *info), *info->value_f, v, /*add=*/false);
      }
    }
  }

  // google.protobuf.Value from any JSON value.
  bool StoreValue(pb::Message* m, const MessageInfo& info, const Val& v) {
    const Reflection* r = ReflOf(*m, info);
    switch (v.tok) {
      case Tok::kNull:
        r->SetEnumValue(m, info.v_null->fd, 0);
        return true;
      case Tok::kTrue:
      case Tok::kFalse:
        r->SetBool(m, info.v_bool->fd, v.tok == Tok::kTrue);
        return true;
      case Tok::kNumber: {
        double d;
        if (!TextToDouble(v.text, &d)) return BadValue(info.v_number->fd, v);
        r->SetDouble(m, info.v_number->fd, d);
        return true;
      }
      case Tok::kString:
        r->SetString(m, info.v_string->fd, std::string(v.text));
        return true;
      case Tok::kObject: {
        pb::Message* s = r->MutableMessage(m, info.v_struct->fd);
        const MessageInfo* sinfo = SubInfo(*info.v_struct);
        PushSimple(Kind::kStruct, s, ReflOf(*s, *sinfo), sinfo, nullptr);
        return true;
      }
      case Tok::kArray: {
        pb::Message* l = r->MutableMessage(m, info.v_list->fd);
        const MessageInfo* linfo = SubInfo(*info.v_list);
        PushSimple(Kind::kList, l, ReflOf(*l, *linfo), linfo, nullptr);
        return true;
      }
    }
    return false;
  }

  // The field whose type a bad number is reported against.
  static const FieldDescriptor* LabelField(const FieldInfo& f) {
    if (f.wkt == Wkt::kValue) return SubInfo(f)->v_number->fd;
    if (IsWrapper(f.wkt)) return SubInfo(f)->value_f->fd;
    return f.fd;
  }

  template <typename T>
  static bool ToInt(const Val& v, T* out) {
    if (v.tok == Tok::kNumber) return NumberToInt(v.text, out);
    if (v.tok == Tok::kString) return StringToInt(v.text, out);
    return false;
  }

  static bool ToDouble(const Val& v, double* out) {
    if (v.tok == Tok::kNumber) return TextToDouble(v.text, out);
    if (v.tok != Tok::kString) return false;
    if (v.text == "NaN") {
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    if (v.text == "Infinity") {
      *out = std::numeric_limits<double>::infinity();
      return true;
    }
    if (v.text == "-Infinity") {
      *out = -std::numeric_limits<double>::infinity();
      return true;
    }
    // strict: the string must hold a JSON number (util's strtod also takes
    // hex, "+1", " 1", ...).
    return LooksLikeNumber(v.text) && TextToDouble(v.text, out);
  }

  bool ToEnum(const FieldInfo& f, const Val& v, int* out) {
    skipped_ = false;
    if (v.tok == Tok::kNull && f.null_enum) {
      *out = 0;
      return true;
    }
    if (v.tok == Tok::kString) {
      auto it = f.enums->by_name.find(v.text);
      if (it != f.enums->by_name.end()) {
        *out = it->second;
        return true;
      }
      if (opt_.ignore_unknown_fields) {
        skipped_ = true;  // like util: unknown enum names are dropped
        return true;
      }
      return false;  // strict: a number in a string is refused
    }
    if (v.tok == Tok::kNumber) {
      int32_t n;
      if (!NumberToInt(v.text, &n)) return false;
      if (f.closed_enum && f.enums->Name(n) == nullptr) {
        if (opt_.ignore_unknown_fields) {
          skipped_ = true;
          return true;
        }
        return false;
      }
      *out = n;
      return true;
    }
    return false;
  }

  // --- errors ---
  // The path of the value being read: proto names (json_names = false) as
  // in "Invalid value at ..." or JSON names for "Unknown name ... at".
  std::string Path(bool json_names, size_t frames) const {
    std::string p = opt_.root_path;
    for (size_t i = 0; i < frames; ++i) {
      const Frame& fr = stack_[i];
      switch (fr.kind) {
        case Kind::kMessage:
          if (fr.field != nullptr) {
            if (!p.empty()) p.push_back('.');
            p.append(json_names ? fr.field->fd->json_name() : fr.field->fd->name());
          }
          break;
        case Kind::kRepeated:
        case Kind::kList:
          if (fr.count > 0) absl::StrAppend(&p, "[", fr.count - 1, "]");
          break;
        case Kind::kMap:
          if (fr.count > 0) absl::StrAppend(&p, "[", fr.count - 1, "]", fr.at_key ? ".key" : ".value");
          break;
        case Kind::kStruct:
          if (fr.cur != nullptr) {
            if (!p.empty()) p.push_back('.');
            p.append(fr.key);
          }
          break;
        case Kind::kSkip:
          break;
      }
    }
    return p;
  }
  // " at 'path'" for the message on top of the stack (empty at the root).
  std::string AtPath(bool json_names) const {
    std::string p = Path(json_names, stack_.size());
    return p.empty() ? std::string() : absl::StrCat(" at '", p, "'");
  }
  // Like AtPath, but without the pending field of the top frame.
  std::string AtParentPath(bool json_names) const {
    std::string p = Path(json_names, stack_.size() - 1);
    return p.empty() ? std::string() : absl::StrCat(" at '", p, "'");
  }

  bool Fail(std::string message) {
    if (status_.ok()) status_ = absl::InvalidArgumentError(std::move(message));
    return false;
  }

  bool BadValue(const FieldDescriptor* fd, const Val& v) {
    std::string shown;
    switch (v.tok) {
      case Tok::kNull: shown = "null"; break;
      case Tok::kTrue: shown = "true"; break;
      case Tok::kFalse: shown = "false"; break;
      case Tok::kNumber: shown = std::string(v.text.substr(0, 200)); break;
      case Tok::kString: shown = Quote(v.text); break;
      case Tok::kObject:
        shown = fd->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ? "{...}"
                                                                  : "Starting an object on a scalar field";
        break;
      case Tok::kArray: shown = "[...]"; break;
    }
    return Fail(absl::StrCat("Invalid value at '", Path(false, stack_.size()), "' (", TypeLabel(fd),
                             "), ", shown));
  }

  bool FailUtf8() {
    return Fail(absl::StrCat("Invalid JSON payload received. Invalid UTF-8 in a string",
                             AtPath(false), "."));
  }
  bool FailDepth() {
    return Fail(absl::StrCat("Invalid JSON payload received. Nesting deeper than ", opt_.max_depth,
                             " levels", AtPath(false), "."));
  }
  bool FailAny() {
    return Fail(absl::StrCat("Invalid JSON payload received. Any is not supported",
                             AtPath(false), "."));
  }
  // At a repeated key of the map or Struct on top of the stack.
  bool FailRepeatedKey(std::string_view key) {
    const Frame& top = stack_.back();
    if (top.kind == Kind::kMap) --stack_.back().count;  // the path names the map itself
    std::string at = Path(false, top.kind == Kind::kMap ? stack_.size() - 1 : stack_.size());
    if (top.kind == Kind::kStruct && top.cur != nullptr) at = Path(false, stack_.size() - 1);
    return Fail(absl::StrCat("Invalid JSON payload received. Repeated map key ", Quote(key),
                             at.empty() ? "" : absl::StrCat(" at '", at, "'"),
                             ": key is already set."));
  }

  pb::Message* root_;
  const ParseOptions& opt_;
  std::vector<Frame> stack_;
  std::vector<uint64_t> bits_;
  std::vector<MapKeyRec> keys_;
  int depth_ = 0;
  const bool check_utf8_;
  bool skipped_ = false;  // the last enum value was unknown and ignored
  absl::Status status_;
};

// Above this depth the recursive RapidJSON parser could exhaust the stack;
// the iterative one is used instead.
constexpr int kRecursiveDepthLimit = 256;

}  // namespace

absl::Status Parse(std::string_view json, google::protobuf::Message* message,
                   const ParseOptions& options) {
  message->Clear();
  // In-situ parsing needs a mutable, NUL-terminated copy; keep one per thread.
  // RapidJSON's SSE2 scans read aligned 16-byte blocks, up to 15 bytes past
  // the terminating NUL: keep that inside the allocation.
  thread_local std::string buffer;
  if (buffer.capacity() < json.size() + 64) buffer.reserve(json.size() + 64);
  buffer.assign(json.data(), json.size());
  // Strings need their own UTF-8 check only if the input is not valid UTF-8
  // as a whole, or may hold an escaped lone low surrogate (\uDC00..\uDFFF),
  // which RapidJSON turns into bytes that are not UTF-8.
  bool check_utf8 = !ValidUtf8(json);
  for (size_t i = json.find('\\'); !check_utf8 && i != std::string_view::npos;
       i = json.find('\\', i + 1)) {
    check_utf8 = i + 2 < json.size() && json[i + 1] == 'u' && (json[i + 2] == 'd' || json[i + 2] == 'D');
  }
  Parser handler(message, options, check_utf8);
  rj::GenericReader<rj::UTF8<>, rj::UTF8<>> reader;
  rj::InsituStringStream stream(buffer.data());
  rj::ParseResult result;
  constexpr unsigned kFlags = rj::kParseInsituFlag | rj::kParseNumbersAsStringsFlag;
  if (options.max_depth <= kRecursiveDepthLimit) {
    result = reader.Parse<kFlags>(stream, handler);
  } else {
    result = reader.Parse<kFlags | rj::kParseIterativeFlag>(stream, handler);
  }
  size_t consumed = stream.Tell();
  if (buffer.capacity() > (size_t{1} << 20)) std::string().swap(buffer);
  if (result.Code() == rj::kParseErrorNumberTooBig && result.Offset() < json.size()) {
    size_t end = json.find_first_not_of("+-.0123456789eE", result.Offset());
    handler.NumberTooBig(json.substr(result.Offset(), std::min(end, json.size()) - result.Offset()));
  }
  if (!handler.status().ok()) return handler.status();
  if (result.IsError()) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid JSON payload received. ",
                                                   rj::GetParseError_En(result.Code()),
                                                   " (at byte ", result.Offset(), ")"));
  }
  // A NUL byte inside the input ends RapidJSON's view of it early.
  if (consumed != json.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Invalid JSON payload received. Unexpected data after the JSON value (at byte ", consumed,
        ")"));
  }
  return absl::OkStatus();
}

void Print(const google::protobuf::Message& message, std::string* out, const PrintOptions& options) {
  Sink sink(out);
  Printer(&sink, options).Value(message, *InfoFor(message.GetDescriptor()));
}

std::string ToJson(const google::protobuf::Message& message, const PrintOptions& options) {
  std::string out;
  out.reserve(256);
  Print(message, &out, options);
  return out;
}

}  // namespace parley::protojson
