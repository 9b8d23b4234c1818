// Per-Descriptor facts of the proto3 JSON codec: fields sorted by number,
// quoted JSON names, the name lookup table, enum tables and the well-known
// type kind, built once per Descriptor and kept for the life of the process.
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "api/protojson/protojson_internal.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace parley::protojson::internal {
namespace {

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

}  // namespace

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

}  // namespace parley::protojson::internal
