#include "core/filter.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"

namespace parley::core {
namespace {

// Bounds on hostile input: the parser recurses once per parenthesis level, so
// the depth limit is what keeps deep nesting from exhausting the stack.
std::atomic<size_t> max_filter_bytes{FilterLimits{}.max_bytes};
std::atomic<int> max_filter_depth{FilterLimits{}.max_depth};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

bool IsQuote(char c) { return c == '"' || c == '\''; }

// Shows a character in an error message; raw control or non-ASCII bytes would
// make the message unreadable or invalid UTF-8.
std::string Describe(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return absl::StrCat("'", std::string(1, c), "'");
  return absl::StrCat("byte 0x", absl::Hex(u, absl::kZeroPad2));
}

absl::Status Error(std::string_view what, size_t pos) {
  return absl::InvalidArgumentError(
      absl::StrCat("Invalid filter: ", Sv(what), " at position ", pos));
}

FilterExpr Combine(FilterExpr::Kind kind, std::vector<FilterExpr> parts) {
  if (parts.size() == 1) return std::move(parts.front());
  FilterExpr out;
  out.kind = kind;
  for (FilterExpr& p : parts) {
    // (a AND b) AND c means the same as a AND b AND c; flattening keeps the
    // tree shallow and gives dialects one shape to translate.
    if (p.kind == kind) {
      for (FilterExpr& c : p.children) out.children.push_back(std::move(c));
    } else {
      out.children.push_back(std::move(p));
    }
  }
  return out;
}

// Recursive descent over the AIP-160 grammar:
//   expression : sequence {WS AND WS sequence}
//   sequence   : factor {WS factor}            (implicit AND)
//   factor     : term {WS OR WS term}          (OR binds tighter than AND)
//   term       : [NOT WS | '-'] simple
//   simple     : restriction | '(' expression ')'
//   restriction: comparable [comparator arg]
// Lexing is done on demand because what a token is depends on where it is:
// an argument like 2024-01-01T00:00:00Z contains ':' and '-', which are
// operators elsewhere.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<FilterExpr> Parse() {
    SkipSpace();
    if (AtEnd()) return Error("empty expression", pos_);
    absl::StatusOr<FilterExpr> expr = Expression();
    if (!expr.ok()) return expr;
    SkipSpace();
    if (!AtEnd()) {
      // Expression() only stops early at a ')' with no partner.
      if (Peek() == ')') return Error("unbalanced parenthesis", pos_);
      return Error(absl::StrCat("unexpected ", Describe(Peek())), pos_);
    }
    return expr;
  }

 private:
  // ---- tokenizer ----------------------------------------------------------
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }

  // A keyword only counts as a whole word: `ORDER=1` and `OR=1` are fields.
  // A parenthesis may follow directly so that `NOT(a=1)` reads naturally and
  // `(a=1 OR)` is reported as a dangling OR.
  bool AtKeyword(std::string_view kw) const {
    if (text_.substr(pos_, kw.size()) != kw) return false;
    size_t after = pos_ + kw.size();
    return after == text_.size() || IsSpace(text_[after]) || text_[after] == '(' ||
           text_[after] == ')';
  }
  std::string_view KeywordHere() const {
    for (std::string_view kw : {"AND", "OR", "NOT"}) {
      if (AtKeyword(kw)) return kw;
    }
    return {};
  }

  // Reads a "..." or '...' string at pos_, resolving escapes.
  absl::StatusOr<std::string> QuotedString() {
    const size_t start = pos_;
    const char quote = text_[pos_++];
    std::string out;
    while (!AtEnd()) {
      char c = text_[pos_++];
      if (c == quote) return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (AtEnd()) break;
      char e = text_[pos_++];
      switch (e) {
        case '\\': case '"': case '\'': case '`': case '?': out.push_back(e); break;
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'v': out.push_back('\v'); break;
        default:
          // Refused rather than passed through, so `\*` can never be mistaken
          // for a literal or a wildcard by a dialect.
          return Error(absl::StrCat("unknown escape sequence '\\", std::string(1, e),
                                    "'"),
                       pos_ - 2);
      }
    }
    return Error("unterminated string starting", start);
  }

  // Tries to read a comparator at pos_.
  bool Comparator(CompareOp* op, std::string_view* spelled) {
    static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
        // Two-character operators first so `<=` is not read as `<`.
        {"<=", CompareOp::kLe}, {">=", CompareOp::kGe}, {"!=", CompareOp::kNe},
        {"<", CompareOp::kLt},  {">", CompareOp::kGt},  {"=", CompareOp::kEq},
        {":", CompareOp::kHas},
    };
    for (const auto& [text, o] : kOps) {
      if (text_.substr(pos_, text.size()) == text) {
        pos_ += text.size();
        *op = o;
        *spelled = text;
        return true;
      }
    }
    return false;
  }

  // ---- grammar ------------------------------------------------------------
  absl::StatusOr<FilterExpr> Expression() {
    std::vector<FilterExpr> parts;
    while (true) {
      absl::StatusOr<FilterExpr> seq = Sequence();
      if (!seq.ok()) return seq;
      parts.push_back(*std::move(seq));
      SkipSpace();
      if (!AtKeyword("AND")) break;
      const size_t and_pos = pos_;
      pos_ += 3;
      SkipSpace();
      if (AtEnd() || Peek() == ')') {
        return Error("expected an expression after 'AND'", and_pos);
      }
    }
    return Combine(FilterExpr::Kind::kAnd, std::move(parts));
  }

  absl::StatusOr<FilterExpr> Sequence() {
    std::vector<FilterExpr> parts;
    while (true) {
      absl::StatusOr<FilterExpr> factor = Factor();
      if (!factor.ok()) return factor;
      parts.push_back(*std::move(factor));
      SkipSpace();
      if (AtEnd() || Peek() == ')' || AtKeyword("AND")) break;
    }
    return Combine(FilterExpr::Kind::kAnd, std::move(parts));
  }

  absl::StatusOr<FilterExpr> Factor() {
    std::vector<FilterExpr> parts;
    while (true) {
      absl::StatusOr<FilterExpr> term = Term();
      if (!term.ok()) return term;
      parts.push_back(*std::move(term));
      const size_t before_space = pos_;
      SkipSpace();
      if (!AtKeyword("OR")) {
        pos_ = before_space;
        break;
      }
      const size_t or_pos = pos_;
      pos_ += 2;
      SkipSpace();
      if (AtEnd() || Peek() == ')') {
        return Error("expected a term after 'OR'", or_pos);
      }
    }
    return Combine(FilterExpr::Kind::kOr, std::move(parts));
  }

  absl::StatusOr<FilterExpr> Term() {
    SkipSpace();
    bool negate = false;
    if (AtKeyword("NOT")) {
      const size_t not_pos = pos_;
      pos_ += 3;
      SkipSpace();
      if (AtEnd() || Peek() == ')') {
        return Error("expected a restriction after 'NOT'", not_pos);
      }
      negate = true;
    } else if (Peek() == '-') {
      ++pos_;
      // `a=1 - b=2` reads like arithmetic; the minus must touch its operand.
      if (AtEnd() || IsSpace(Peek())) {
        return Error("expected a restriction right after '-'", pos_ - 1);
      }
      negate = true;
    }
    absl::StatusOr<FilterExpr> simple = Simple();
    if (!simple.ok() || !negate) return simple;
    FilterExpr out;
    out.kind = FilterExpr::Kind::kNot;
    out.children.push_back(*std::move(simple));
    return out;
  }

  absl::StatusOr<FilterExpr> Simple() {
    if (Peek() != '(') return Restriction();
    const size_t open = pos_;
    if (const int max_depth = max_filter_depth.load(std::memory_order_relaxed); depth_ >= max_depth) {
      return Error(absl::StrCat("parentheses nested deeper than ", max_depth,
                                " levels"),
                   open);
    }
    ++pos_;
    SkipSpace();
    if (Peek() == ')') return Error("empty parentheses", open);
    if (AtEnd()) return Error("unbalanced parenthesis", open);
    ++depth_;
    absl::StatusOr<FilterExpr> inner = Expression();
    --depth_;
    if (!inner.ok()) return inner;
    SkipSpace();
    if (Peek() != ')') return Error("unbalanced parenthesis", open);
    ++pos_;
    return inner;
  }

  absl::StatusOr<FilterExpr> Restriction() {
    const size_t start = pos_;
    if (AtEnd()) return Error("expected a restriction", pos_);
    if (Peek() == ')') {
      if (depth_ == 0) return Error("unbalanced parenthesis", pos_);
      return Error("expected a restriction before ')'", pos_);
    }
    if (std::string_view kw = KeywordHere(); !kw.empty()) {
      return Error(absl::StrCat("unexpected '", Sv(kw), "'"), pos_);
    }

    FilterExpr out;
    out.position = start;
    while (true) {
      const size_t seg_start = pos_;
      if (IsQuote(Peek())) {
        absl::StatusOr<std::string> s = QuotedString();
        if (!s.ok()) return s.status();
        out.field.push_back(*std::move(s));
      } else if (IsNameChar(Peek())) {
        while (!AtEnd() && IsNameChar(Peek())) ++pos_;
        out.field.emplace_back(text_.substr(seg_start, pos_ - seg_start));
      } else if (out.field.empty()) {
        if (AtEnd()) return Error("expected a restriction", pos_);
        return Error(absl::StrCat("unexpected ", Describe(Peek())), pos_);
      } else {
        return Error("expected a field name after '.'", pos_);
      }
      if (Peek() != '.') break;
      ++pos_;
    }
    const std::string_view comparable = text_.substr(start, pos_ - start);

    const size_t after_comparable = pos_;
    SkipSpace();
    CompareOp op = CompareOp::kEq;
    std::string_view op_text;
    if (!Comparator(&op, &op_text)) {
      if (!AtEnd() && Peek() != ')' && pos_ == after_comparable) {
        return Error(absl::StrCat("unexpected ", Describe(Peek())), pos_);
      }
      // A bare word whose lowercase spelling is a keyword is almost always a
      // lowercase operator; say so rather than only "no comparator".
      for (std::string_view kw : {"and", "or", "not"}) {
        if (comparable == kw) {
          return Error(absl::StrCat("'", Sv(comparable),
                                    "' is not an operator (AND, OR and NOT "
                                    "must be uppercase)"),
                       start);
        }
      }
      return Error(absl::StrCat("'", Sv(comparable),
                                "' has no comparator; global restrictions are "
                                "not supported"),
                   start);
    }
    out.op = op;

    SkipSpace();
    const size_t value_pos = pos_;
    const std::string expected = absl::StrCat("expected a value after '", Sv(op_text), "'");
    if (AtEnd() || Peek() == ')') return Error(expected, value_pos);
    if (Peek() == '(') {
      return Error(absl::StrCat(expected, " (parenthesized values are not supported)"),
                   value_pos);
    }
    if (std::string_view kw = KeywordHere(); !kw.empty()) {
      return Error(absl::StrCat(expected, ", found '", Sv(kw), "'"), value_pos);
    }
    if (IsQuote(Peek())) {
      absl::StatusOr<std::string> s = QuotedString();
      if (!s.ok()) return s.status();
      out.value = *std::move(s);
      out.value_quoted = true;
    } else {
      // `a==1` or `a<>1` is a typo, not a comparison with the value "=1".
      char c = Peek();
      if (c == '=' || c == '<' || c == '>' || c == '!') {
        return Error(absl::StrCat("unexpected ", Describe(c)), value_pos);
      }
      // Unquoted text runs to whitespace or a parenthesis so that timestamps
      // (2024-01-01T00:00:00Z), durations and negative numbers need no quotes.
      while (!AtEnd() && !IsSpace(Peek()) && Peek() != '(' && Peek() != ')' &&
             !IsQuote(Peek())) {
        ++pos_;
      }
      out.value = std::string(text_.substr(value_pos, pos_ - value_pos));
    }

    // Terms must be separated by whitespace: `a="x"b="y"` is a typo.
    if (!AtEnd() && !IsSpace(Peek()) && Peek() != ')') {
      return Error(absl::StrCat("unexpected ", Describe(Peek())), pos_);
    }
    return out;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

void SetFilterLimits(FilterLimits limits) {
  max_filter_bytes.store(limits.max_bytes, std::memory_order_relaxed);
  max_filter_depth.store(std::clamp(limits.max_depth, 1, kMaxFilterDepth),
                         std::memory_order_relaxed);
}

FilterLimits GetFilterLimits() {
  return {max_filter_bytes.load(std::memory_order_relaxed),
          max_filter_depth.load(std::memory_order_relaxed)};
}

absl::StatusOr<FilterExpr> ParseFilter(std::string_view text) {
  if (const size_t max_bytes = max_filter_bytes.load(std::memory_order_relaxed);
      text.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Invalid filter: filter is ", text.size(), " bytes long; the limit is ", max_bytes));
  }
  return Parser(text).Parse();
}

std::string_view CompareOpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "=";
    case CompareOp::kNe: return "!=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
    case CompareOp::kHas: return ":";
  }
  return "?";
}

}  // namespace parley::core
