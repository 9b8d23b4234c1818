// Printing for the proto3 JSON codec: walks the message with Descriptor and
// Reflection and appends to the output by hand (Print, ToJson).
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "api/protojson/protojson.h"
#include "api/protojson/protojson_internal.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace parley::protojson {
namespace internal {
namespace {

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

}  // namespace
}  // namespace internal

using internal::InfoFor;
using internal::Printer;
using internal::Sink;

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
