// Parsing for the proto3 JSON codec (Parse): a RapidJSON SAX handler that
// sets fields through Reflection, with Google's error texts and the path of
// the offending field.
#include "api/protojson/protojson.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "api/protojson/protojson_internal.h"
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

namespace rj = parley_protojson_rapidjson;

namespace internal {
namespace {

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

enum class Tok : uint8_t { kNull, kTrue, kFalse, kNumber, kString, kObject, kArray };

struct Val {
  Tok tok;
  std::string_view text;  // number text or string contents
};

class Parser {
 public:
  // check_utf8: validate each string (when the input as a whole is not known
  // to decode to valid UTF-8).
  // check_nul: refuse NUL characters in strings (ParseOptions::refuse_nul,
  // when the input holds a \u0000 escape).
  Parser(pb::Message* root, const ParseOptions& options, bool check_utf8, bool check_nul)
      : root_(root), opt_(options), check_utf8_(check_utf8), check_nul_(check_nul) {
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
    if (check_nul_ && sv.find('\0') != std::string_view::npos) return FailNul();
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
    if (check_nul_ && key.find('\0') != std::string_view::npos) return FailNul();
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
  bool FailNul() {
    return Fail(absl::StrCat("Invalid JSON payload received. A NUL character (\\u0000) in a string",
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
  const bool check_nul_;
  bool skipped_ = false;  // the last enum value was unknown and ignored
  absl::Status status_;
};

// Above this depth the recursive RapidJSON parser could exhaust the stack;
// the iterative one is used instead.
constexpr int kRecursiveDepthLimit = 256;

}  // namespace
}  // namespace internal

using internal::kRecursiveDepthLimit;
using internal::Parser;
using internal::ValidUtf8;

namespace {
std::atomic<int> default_max_depth{64};

// In-situ parsing needs a mutable, NUL-terminated copy; each thread keeps
// one for the next parse, but only up to kKeptBufferBytes: a larger body's
// copy is freed after its parse, so a pool thread does not hold its largest
// request's copy for ever (an allocation is cheap beside parsing that much).
constexpr size_t kKeptBufferBytes = 64 * 1024;
thread_local std::string parse_buffer;
}  // namespace

size_t ThreadParseBufferBytes() { return parse_buffer.capacity(); }

void SetDefaultMaxDepth(int depth) {
  default_max_depth.store(std::clamp(depth, 1, kMaxJsonDepth), std::memory_order_relaxed);
}

int DefaultMaxDepth() { return default_max_depth.load(std::memory_order_relaxed); }

absl::Status Parse(std::string_view json, google::protobuf::Message* message,
                   const ParseOptions& options) {
  message->Clear();
  // RapidJSON's SSE2 scans read aligned 16-byte blocks, up to 15 bytes past
  // the terminating NUL: keep that inside the allocation.
  std::string& buffer = parse_buffer;
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
  Parser handler(message, options, check_utf8, options.refuse_nul && json.find("\\u0000") != std::string_view::npos);
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
  if (buffer.capacity() > kKeptBufferBytes) std::string().swap(buffer);
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

}  // namespace parley::protojson
