#include "api/protojson/json_field_selector.h"


#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "absl/strings/str_cat.h"
#include "api/protojson/field_paths.h"

namespace parley::protojson {
namespace {

std::string Camel(const std::string& name) {
  std::string out;
  bool upper = false;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

// The child of `tree` that selects JSON member `name`, written either way;
// false if none does. `*sub` is null when the whole member is selected.
bool Selected(const FieldTree& tree, const std::string& name, const FieldTree** sub) {
  for (const auto& [selected, child] : tree.fields) {
    if (selected == name || Camel(selected) == name) {
      *sub = child.get();
      return true;
    }
  }
  return false;
}

void Prune(const FieldTree& tree, rapidjson::Value& v) {
  if (tree.all) return;
  if (v.IsArray()) {
    for (auto& item : v.GetArray()) Prune(tree, item);
    return;
  }
  if (!v.IsObject()) return;
  for (auto it = v.MemberBegin(); it != v.MemberEnd();) {
    std::string name(it->name.GetString(), it->name.GetStringLength());
    const FieldTree* sub = nullptr;
    if (name == "@type") {
      ++it;
    } else if (!Selected(tree, name, &sub)) {
      it = v.EraseMember(it);
    } else {
      if (sub != nullptr) Prune(*sub, it->value);
      ++it;
    }
  }
}

}  // namespace

absl::StatusOr<std::string> SelectJsonFields(std::string_view selector, std::string_view json) {
  absl::StatusOr<FieldTree> tree = ParseFieldSelector(selector);
  if (!tree.ok()) return tree.status();
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return absl::InternalError("response is not a JSON object");
  Prune(*tree, doc);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace parley::protojson
