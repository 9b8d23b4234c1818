#include "api/protojson/field_paths.h"

#include "absl/strings/str_cat.h"

namespace parley::protojson {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::Status ParseList(FieldTree* tree, int depth) {
    if (depth > 32) return Error("nested too deeply");
    for (;;) {
      if (absl::Status s = ParseItem(tree, depth); !s.ok()) return s;
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

  absl::Status ParseItem(FieldTree* tree, int depth) {
    for (;;) {
      std::string name = Name();
      if (name.empty()) return Error("expected a field name");
      if (name == "*") {
        tree->all = true;
        return absl::OkStatus();
      }
      auto& child = tree->fields[name];
      bool more = pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == '/' || text_[pos_] == '(');
      if (!more) {
        child.reset();  // the whole field
        return absl::OkStatus();
      }
      if (!child) child = std::make_unique<FieldTree>();
      if (text_[pos_] == '(') {
        ++pos_;
        if (absl::Status s = ParseList(child.get(), depth + 1); !s.ok()) return s;
        if (pos_ >= text_.size() || text_[pos_] != ')') return Error("expected ')'");
        ++pos_;
        return absl::OkStatus();
      }
      ++pos_;  // '.' or '/'
      tree = child.get();
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<FieldTree> ParseFieldSelector(std::string_view selector) {
  FieldTree tree;
  Parser parser(selector);
  if (absl::Status s = parser.ParseList(&tree, 0); !s.ok()) return s;
  if (!parser.AtEnd()) return parser.Error("unexpected character");
  return tree;
}

}  // namespace parley::protojson
