#include "api/protojson/field_selector.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::Status ParseList(const Descriptor* d, Selection* sel, int depth) {
    if (depth > 32) return Error("nested too deeply");
    while (true) {
      if (absl::Status s = ParseItem(d, sel, depth); !s.ok()) return s;
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      return absl::OkStatus();
    }
  }
  bool AtEnd() const { return pos_ == text_.size(); }
  absl::Status Error(std::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat("Invalid field selector \"", std::string(text_),
                                                   "\": ", std::string(why), " at position ", pos_));
  }

 private:
  std::string Name() {
    size_t start = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '*';
      if (!ok) break;
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  absl::Status ParseItem(const Descriptor* d, Selection* sel, int depth) {
    while (true) {
      std::string name = Name();
      if (name.empty()) return Error("expected a field name");
      if (name == "*") {
        sel->all = true;
        return absl::OkStatus();
      }
      if (d == nullptr) return Error(absl::StrCat("\"", name, "\" selects inside a scalar field"));
      const FieldDescriptor* f = FindField(d, name);
      if (f == nullptr) return Error(absl::StrCat("unknown field \"", name, "\""));
      auto& child = sel->fields[f];
      bool more = pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == '/' || text_[pos_] == '(');
      if (!more) {
        child.reset();  // the whole field
        return absl::OkStatus();
      }
      if (!child) child = std::make_unique<Selection>();
      const Descriptor* inner = Inner(f);
      if (text_[pos_] == '(') {
        ++pos_;
        if (inner == nullptr) return Error(absl::StrCat("\"", name, "\" has no fields to select"));
        if (absl::Status s = ParseList(inner, child.get(), depth + 1); !s.ok()) return s;
        if (pos_ >= text_.size() || text_[pos_] != ')') return Error("expected ')'");
        ++pos_;
        return absl::OkStatus();
      }
      ++pos_;  // '.' or '/'
      d = inner;
      sel = child.get();
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

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
  Selection sel;
  Parser parser(selector);
  if (absl::Status s = parser.ParseList(message->GetDescriptor(), &sel, 0); !s.ok()) return s;
  if (!parser.AtEnd()) return parser.Error("unexpected character");
  Prune(sel, message);
  return absl::OkStatus();
}

}  // namespace parley::protojson
