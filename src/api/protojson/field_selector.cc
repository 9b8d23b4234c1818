#include "api/protojson/field_selector.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/protojson/field_paths.h"
#include "google/protobuf/descriptor.h"

namespace parley::protojson {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A selection at one message level: field -> selection inside it (null: all of it).
struct Selection {
  bool all = false;
  std::map<const FieldDescriptor*, std::unique_ptr<Selection>> fields;
};

const FieldDescriptor* FindField(const Descriptor* d, std::string_view name) {
  std::string n(name);
  if (const FieldDescriptor* f = d->FindFieldByName(n)) return f;
  return d->FindFieldByCamelcaseName(n);
}

// The message type a sub-selection applies to (map fields: the value type).
const Descriptor* Inner(const FieldDescriptor* f) {
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return nullptr;
  const Descriptor* d = f->message_type();
  if (f->is_map()) {
    const FieldDescriptor* value = d->map_value();
    return value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ? value->message_type() : nullptr;
  }
  return d;
}

// Resolves the names of `tree` against message type `d` into `sel`, merging
// paths that name one field twice (as "agentId" and "agent_id").
absl::Status Resolve(std::string_view selector, const FieldTree& tree, const Descriptor* d,
                     Selection* sel) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid field selector \"", std::string(selector),
                                                   "\": ", std::string(why)));
  };
  if (tree.all) sel->all = true;
  for (const auto& [name, sub] : tree.fields) {
    const FieldDescriptor* f = FindField(d, name);
    if (f == nullptr) return bad(absl::StrCat("unknown field \"", name, "\""));
    auto [it, added] = sel->fields.try_emplace(f);
    if (!sub) {
      it->second.reset();  // the whole field
      continue;
    }
    const Descriptor* inner = Inner(f);
    if (inner == nullptr) return bad(absl::StrCat("\"", name, "\" has no fields to select"));
    if (!added && !it->second) continue;  // already the whole field
    if (!it->second) it->second = std::make_unique<Selection>();
    if (absl::Status s = Resolve(selector, *sub, inner, it->second.get()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void Prune(const Selection& sel, Message* m) {
  if (sel.all) return;
  const Reflection* r = m->GetReflection();
  std::vector<const FieldDescriptor*> set;
  r->ListFields(*m, &set);
  for (const FieldDescriptor* f : set) {
    auto it = sel.fields.find(f);
    if (it == sel.fields.end()) {
      r->ClearField(m, f);
      continue;
    }
    if (!it->second || f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_map()) {
      const FieldDescriptor* value = f->message_type()->map_value();
      if (value->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
      for (int i = 0; i < r->FieldSize(*m, f); ++i) {
        Message* entry = r->MutableRepeatedMessage(m, f, i);
        Prune(*it->second, entry->GetReflection()->MutableMessage(entry, value));
      }
    } else if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(*m, f); ++i) Prune(*it->second, r->MutableRepeatedMessage(m, f, i));
    } else {
      Prune(*it->second, r->MutableMessage(m, f));
    }
  }
}

}  // namespace

absl::Status ApplyFieldSelector(std::string_view selector, Message* message) {
  absl::StatusOr<FieldTree> tree = ParseFieldSelector(selector);
  if (!tree.ok()) return tree.status();
  Selection sel;
  if (absl::Status s = Resolve(selector, *tree, message->GetDescriptor(), &sel); !s.ok()) return s;
  Prune(sel, message);
  return absl::OkStatus();
}

}  // namespace parley::protojson
