#include "api/protojson/json_field_selector.h"

#include <map>
#include <memory>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "absl/strings/str_cat.h"

namespace parley::protojson {
namespace {

struct Selection {
  bool all = false;
  // name (lowerCamelCase) -> sub-selection; null: the whole field.
  std::map<std::string, std::unique_ptr<Selection>> fields;
};

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

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}
  absl::Status ParseList(Selection* sel, int depth) {
    if (depth > 32) return Error("nested too deeply");
    for (;;) {
      if (absl::Status s = ParseItem(sel, depth); !s.ok()) return s;
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
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '*' || c == '@')) {
        break;
      }
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }
  absl::Status ParseItem(Selection* sel, int depth) {
    for (;;) {
      std::string name = Name();
      if (name.empty()) return Error("expected a field name");
      if (name == "*") {
        sel->all = true;
        return absl::OkStatus();
      }
      auto& child = sel->fields[Camel(name)];
      bool more = pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == '/' || text_[pos_] == '(');
      if (!more) {
        child.reset();
        return absl::OkStatus();
      }
      if (!child) child = std::make_unique<Selection>();
      if (text_[pos_] == '(') {
        ++pos_;
        if (absl::Status s = ParseList(child.get(), depth + 1); !s.ok()) return s;
        if (pos_ >= text_.size() || text_[pos_] != ')') return Error("expected ')'");
        ++pos_;
        return absl::OkStatus();
      }
      ++pos_;
      sel = child.get();
    }
  }
  std::string_view text_;
  size_t pos_ = 0;
};

void Prune(const Selection& sel, rapidjson::Value& v) {
  if (sel.all) return;
  if (v.IsArray()) {
    for (auto& item : v.GetArray()) Prune(sel, item);
    return;
  }
  if (!v.IsObject()) return;
  for (auto it = v.MemberBegin(); it != v.MemberEnd();) {
    std::string name(it->name.GetString(), it->name.GetStringLength());
    auto found = sel.fields.find(name);
    if (name == "@type") {
      ++it;
    } else if (found == sel.fields.end()) {
      it = v.EraseMember(it);
    } else {
      if (found->second) Prune(*found->second, it->value);
      ++it;
    }
  }
}

}  // namespace

absl::StatusOr<std::string> SelectJsonFields(std::string_view selector, std::string_view json) {
  Selection sel;
  Parser parser(selector);
  if (absl::Status s = parser.ParseList(&sel, 0); !s.ok()) return s;
  if (!parser.AtEnd()) return parser.Error("unexpected character");
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return absl::InternalError("response is not a JSON object");
  Prune(sel, doc);
  // An object left with only "@type" says nothing: drop such Any values.
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace parley::protojson
