#include "core/filter.h"

#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/filter_tree.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Kind = FilterExpr::Kind;

FilterExpr MustParse(std::string_view text) {
  absl::StatusOr<FilterExpr> r = ParseFilter(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status();
  return r.ok() ? *std::move(r) : FilterExpr{};
}

// Compact rendering of a tree so structure can be asserted in one line:
// AND(...), OR(...), NOT(...), and comparisons as field<op>value, with quoted
// values shown in double quotes.
std::string Show(const FilterExpr& e) {
  auto list = [&](std::string_view name) {
    std::string s(name);
    s += "(";
    for (size_t i = 0; i < e.children.size(); ++i) {
      if (i) s += ", ";
      s += Show(e.children[i]);
    }
    return s + ")";
  };
  switch (e.kind) {
    case Kind::kAnd: return list("AND");
    case Kind::kOr: return list("OR");
    case Kind::kNot: return list("NOT");
    case Kind::kCompare: break;
  }
  std::string s;
  for (size_t i = 0; i < e.field.size(); ++i) {
    if (i) s += ".";
    s += e.field[i];
  }
  s += CompareOpText(e.op);
  s += e.value_quoted ? "\"" + e.value + "\"" : e.value;
  return s;
}

std::string ShowParse(std::string_view text) { return Show(MustParse(text)); }

// Expects INVALID_ARGUMENT whose message contains `fragment`.
void ExpectError(std::string_view text, std::string_view fragment) {
  absl::StatusOr<FilterExpr> r = ParseFilter(text);
  ASSERT_FALSE(r.ok()) << "parsed: " << text << " as " << Show(*r);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << text;
  const std::string message(r.status().message());
  EXPECT_THAT(message, HasSubstr("Invalid filter: ")) << text;
  EXPECT_THAT(message, HasSubstr(std::string(fragment))) << text;
}

TEST(FilterTest, SimpleComparison) {
  FilterExpr e = MustParse("agent_id = \"a\"");
  EXPECT_EQ(e.kind, Kind::kCompare);
  EXPECT_THAT(e.field, ElementsAre("agent_id"));
  EXPECT_EQ(e.op, CompareOp::kEq);
  EXPECT_EQ(e.value, "a");
  EXPECT_TRUE(e.value_quoted);
  EXPECT_EQ(e.position, 0u);
  EXPECT_TRUE(e.children.empty());
}

TEST(FilterTest, EachOperator) {
  struct Case {
    const char* text;
    CompareOp op;
  } cases[] = {
      {"a=1", CompareOp::kEq},  {"a!=1", CompareOp::kNe}, {"a<1", CompareOp::kLt},
      {"a<=1", CompareOp::kLe}, {"a>1", CompareOp::kGt},  {"a>=1", CompareOp::kGe},
      {"a:1", CompareOp::kHas},
  };
  for (const Case& c : cases) {
    FilterExpr e = MustParse(c.text);
    EXPECT_EQ(e.kind, Kind::kCompare) << c.text;
    EXPECT_THAT(e.field, ElementsAre("a")) << c.text;
    EXPECT_EQ(e.op, c.op) << c.text;
    EXPECT_EQ(e.value, "1") << c.text;
    EXPECT_FALSE(e.value_quoted) << c.text;
    // Same result with spaces around the comparator.
    std::string spaced = std::string("a ") + std::string(CompareOpText(c.op)) + " 1";
    EXPECT_EQ(ShowParse(spaced), Show(e)) << spaced;
  }
}

TEST(FilterTest, CompareOpTextRoundTrips) {
  EXPECT_EQ(CompareOpText(CompareOp::kEq), "=");
  EXPECT_EQ(CompareOpText(CompareOp::kNe), "!=");
  EXPECT_EQ(CompareOpText(CompareOp::kLt), "<");
  EXPECT_EQ(CompareOpText(CompareOp::kLe), "<=");
  EXPECT_EQ(CompareOpText(CompareOp::kGt), ">");
  EXPECT_EQ(CompareOpText(CompareOp::kGe), ">=");
  EXPECT_EQ(CompareOpText(CompareOp::kHas), ":");
}

TEST(FilterTest, ImplicitAndAndExplicitAnd) {
  EXPECT_EQ(ShowParse("a=1 b=2"), "AND(a=1, b=2)");
  EXPECT_EQ(ShowParse("a=1 AND b=2"), "AND(a=1, b=2)");
  EXPECT_EQ(ShowParse("a=1 b=2 AND c=3 d=4"), "AND(a=1, b=2, c=3, d=4)");
  EXPECT_EQ(ShowParse("a=1 OR b=2"), "OR(a=1, b=2)");
  EXPECT_EQ(ShowParse("a=1 OR b=2 OR c=3"), "OR(a=1, b=2, c=3)");
}

TEST(FilterTest, OrBindsTighterThanAnd) {
  EXPECT_EQ(ShowParse("a=1 b=2 OR c=3"), "AND(a=1, OR(b=2, c=3))");
  EXPECT_EQ(ShowParse("a=1 AND b=2 OR c=3"), "AND(a=1, OR(b=2, c=3))");
  EXPECT_EQ(ShowParse("a=1 OR b=2 AND c=3"), "AND(OR(a=1, b=2), c=3)");
  EXPECT_EQ(ShowParse("a=1 OR b=2 c=3 OR d=4"), "AND(OR(a=1, b=2), OR(c=3, d=4))");
}

TEST(FilterTest, Negation) {
  EXPECT_EQ(ShowParse("NOT a=1"), "NOT(a=1)");
  EXPECT_EQ(ShowParse("-a=1"), "NOT(a=1)");
  EXPECT_EQ(ShowParse("NOT (a=1 OR b=2)"), "NOT(OR(a=1, b=2))");
  EXPECT_EQ(ShowParse("NOT(a=1)"), "NOT(a=1)");
  EXPECT_EQ(ShowParse("-(a=1 b=2)"), "NOT(AND(a=1, b=2))");
  // NOT applies to one term only.
  EXPECT_EQ(ShowParse("NOT a=1 OR b=2"), "OR(NOT(a=1), b=2)");
  EXPECT_EQ(ShowParse("a=1 -b=2"), "AND(a=1, NOT(b=2))");
  // A leading minus inside a value is part of the value, not negation.
  EXPECT_EQ(ShowParse("a=-2.5"), "a=-2.5");
  EXPECT_EQ(ShowParse("a >= -2"), "a>=-2");
}

TEST(FilterTest, Parentheses) {
  EXPECT_EQ(ShowParse("(a=1 OR b=2) c=3"), "AND(OR(a=1, b=2), c=3)");
  EXPECT_EQ(ShowParse("(a=1 AND b=2) OR c=3"), "OR(AND(a=1, b=2), c=3)");
  EXPECT_EQ(ShowParse("((a=1))"), "a=1");
  EXPECT_EQ(ShowParse("( a=1 )"), "a=1");
  EXPECT_EQ(ShowParse("(a=1)(b=2)"), "AND(a=1, b=2)");
  // Nested groups of the same kind flatten.
  EXPECT_EQ(ShowParse("a=1 AND (b=2 AND c=3)"), "AND(a=1, b=2, c=3)");
  EXPECT_EQ(ShowParse("(a=1 OR b=2) OR c=3"), "OR(a=1, b=2, c=3)");
}

TEST(FilterTest, QuotedValuesAndEscapes) {
  FilterExpr e = MustParse(R"(title = "say \"hi\" \\ now\n\tok")");
  EXPECT_EQ(e.value, "say \"hi\" \\ now\n\tok");
  EXPECT_TRUE(e.value_quoted);

  e = MustParse(R"(title='it\'s "fine"')");
  EXPECT_EQ(e.value, "it's \"fine\"");
  EXPECT_TRUE(e.value_quoted);

  // Operators and keywords inside quotes are plain text.
  e = MustParse(R"(title="a AND b OR (c) = d")");
  EXPECT_EQ(e.value, "a AND b OR (c) = d");

  e = MustParse(R"(title="")");
  EXPECT_EQ(e.value, "");
  EXPECT_TRUE(e.value_quoted);

  // UTF-8 passes through untouched.
  e = MustParse("title=\"caf\xC3\xA9\"");
  EXPECT_EQ(e.value, "caf\xC3\xA9");
}

TEST(FilterTest, UnquotedTimestampsDurationsAndNames) {
  FilterExpr e = MustParse("create_time>2024-01-01T00:00:00Z");
  EXPECT_THAT(e.field, ElementsAre("create_time"));
  EXPECT_EQ(e.op, CompareOp::kGt);
  EXPECT_EQ(e.value, "2024-01-01T00:00:00Z");
  EXPECT_FALSE(e.value_quoted);

  e = MustParse("create_time > \"2024-01-01T00:00:00Z\"");
  EXPECT_EQ(e.value, "2024-01-01T00:00:00Z");
  EXPECT_TRUE(e.value_quoted);

  EXPECT_EQ(ShowParse("create_time>=2024-01-01T00:00:00.5+02:00 duration<60s"),
            "AND(create_time>=2024-01-01T00:00:00.5+02:00, duration<60s)");
  EXPECT_EQ(ShowParse("(medium=PHONE_CALL OR medium=CHAT)"),
            "OR(medium=PHONE_CALL, medium=CHAT)");
  EXPECT_EQ(ShowParse("turn_count>3 has_issues=true"), "AND(turn_count>3, has_issues=true)");
  // Only the first ':' after the comparable is the comparator.
  EXPECT_EQ(ShowParse("create_time:2024-01-01T00:00:00Z"), "create_time:2024-01-01T00:00:00Z");
}

TEST(FilterTest, FieldPaths) {
  FilterExpr e = MustParse("labels.env = \"prod\"");
  EXPECT_THAT(e.field, ElementsAre("labels", "env"));
  EXPECT_EQ(e.value, "prod");

  e = MustParse("quality_metadata.agent_info.team=support");
  EXPECT_THAT(e.field, ElementsAre("quality_metadata", "agent_info", "team"));

  e = MustParse("labels:env");
  EXPECT_THAT(e.field, ElementsAre("labels"));
  EXPECT_EQ(e.op, CompareOp::kHas);
  EXPECT_EQ(e.value, "env");
  EXPECT_FALSE(e.value_quoted);

  e = MustParse("labels:\"env\"");
  EXPECT_THAT(e.field, ElementsAre("labels"));
  EXPECT_EQ(e.value, "env");
  EXPECT_TRUE(e.value_quoted);

  e = MustParse("labels.env:*");
  EXPECT_THAT(e.field, ElementsAre("labels", "env"));
  EXPECT_EQ(e.op, CompareOp::kHas);
  EXPECT_EQ(e.value, "*");

  e = MustParse("labels.\"my key\" = 'x'");
  EXPECT_THAT(e.field, ElementsAre("labels", "my key"));
  EXPECT_EQ(e.value, "x");

  e = MustParse("labels.'a.b\\'c'=1");
  EXPECT_THAT(e.field, ElementsAre("labels", "a.b'c"));
}

TEST(FilterTest, KeywordsAreCaseSensitiveWholeWords) {
  // Fields that merely start with, or equal, a keyword are fields.
  EXPECT_EQ(ShowParse("ORDER=1 ANDROID=2 NOTE=3"), "AND(ORDER=1, ANDROID=2, NOTE=3)");
  EXPECT_EQ(ShowParse("OR=1"), "OR=1");
  EXPECT_EQ(ShowParse("labels.AND=1"), "labels.AND=1");
  // Quoted keywords are values.
  EXPECT_EQ(ShowParse("a=\"OR\""), "a=\"OR\"");
  // Lowercase is not an operator.
  ExpectError("a=1 and b=2", "AND, OR and NOT must be uppercase");
  ExpectError("a=1 or b=2", "'or' is not an operator");
}

TEST(FilterTest, PositionsAreByteOffsetsOfRestrictions) {
  FilterExpr e = MustParse("a=1  (b=2 OR  NOT c=3)");
  ASSERT_EQ(e.kind, Kind::kAnd);
  EXPECT_EQ(e.children[0].position, 0u);
  const FilterExpr& ors = e.children[1];
  ASSERT_EQ(ors.kind, Kind::kOr);
  EXPECT_EQ(ors.children[0].position, 6u);
  ASSERT_EQ(ors.children[1].kind, Kind::kNot);
  EXPECT_EQ(ors.children[1].children[0].position, 18u);
}

TEST(FilterTest, WhitespaceVariants) {
  EXPECT_EQ(ShowParse("  a=1\t\n AND\r\nb = 2  "), "AND(a=1, b=2)");
}

TEST(FilterTest, MalformedInputs) {
  ExpectError("", "empty expression");
  ExpectError("   \t ", "empty expression");
  ExpectError("agent_id=", "expected a value after '=' at position 9");
  ExpectError("a != ", "expected a value after '!=' at position 5");
  ExpectError("(a=1 b=2", "unbalanced parenthesis at position 0");
  ExpectError("a=1 OR (b=2 c=3", "unbalanced parenthesis at position 7");
  ExpectError("a=1) ", "unbalanced parenthesis at position 3");
  ExpectError(")", "unbalanced parenthesis at position 0");
  ExpectError("()", "empty parentheses at position 0");
  ExpectError("a=\"abc", "unterminated string starting at position 2");
  ExpectError("labels.\"key=1", "unterminated string starting at position 7");
  ExpectError("a=\"abc\\\"", "unterminated string starting at position 2");
  ExpectError("a=\"x\\qy\"", "unknown escape sequence '\\q' at position 4");
  ExpectError("prod", "'prod' has no comparator; global restrictions are not supported");
  ExpectError("a=1 prod", "global restrictions are not supported at position 4");
  ExpectError("\"hello world\"", "global restrictions are not supported");
  ExpectError("a=1 AND", "expected an expression after 'AND' at position 4");
  ExpectError("a=1 OR", "expected a term after 'OR' at position 4");
  ExpectError("(a=1 OR)", "expected a term after 'OR' at position 5");
  ExpectError("NOT", "expected a restriction after 'NOT' at position 0");
  ExpectError("a=1 -", "expected a restriction right after '-' at position 4");
  ExpectError("- a=1", "expected a restriction right after '-' at position 0");
  ExpectError("AND a=1", "unexpected 'AND' at position 0");
  ExpectError("a=1 OR OR b=2", "unexpected 'OR' at position 7");
  ExpectError("NOT NOT a=1", "unexpected 'NOT' at position 4");
  ExpectError("a=AND", "expected a value after '=', found 'AND' at position 2");
  ExpectError("a==1", "unexpected '=' at position 2");
  ExpectError("a<>1", "unexpected '>' at position 2");
  ExpectError("a=(1 OR 2)", "parenthesized values are not supported");
  ExpectError("labels.=1", "expected a field name after '.' at position 7");
  ExpectError(".a=1", "unexpected '.' at position 0");
  ExpectError("a#1", "unexpected '#' at position 1");
  ExpectError("a!1", "unexpected '!' at position 1");
  ExpectError("a=\"x\"b=1", "unexpected 'b' at position 5");
  ExpectError("f(x)", "unexpected '(' at position 1");
  ExpectError("a=1 \x01", "unexpected byte 0x01 at position 4");
}

TEST(FilterTest, LengthLimit) {
  std::string ok = "a=\"" + std::string(4096 - 4, 'x') + "\"";
  ASSERT_EQ(ok.size(), 4096u);
  EXPECT_TRUE(ParseFilter(ok).ok());
  std::string too_long = "a=\"" + std::string(4096 - 3, 'x') + "\"";
  ExpectError(too_long, "4097 bytes long; the limit is 4096");
}

TEST(FilterTest, DepthLimit) {
  auto nested = [](int depth) {
    return std::string(depth, '(') + "a=1" + std::string(depth, ')');
  };
  EXPECT_EQ(ShowParse(nested(32)), "a=1");
  ExpectError(nested(33), "parentheses nested deeper than 32 levels at position 32");
  // Hostile input well past the limit fails cleanly (the length limit guards
  // the rest).
  ExpectError(std::string(2000, '(') + "a=1" + std::string(2000, ')'),
              "nested deeper than 32 levels");
  ExpectError(std::string(4000, '('), "nested deeper than 32 levels");
  // Negation does not add recursion, so long NOT/- chains within limits parse.
  std::string many;
  for (int i = 0; i < 500; ++i) many += "-a=1 ";
  FilterExpr e = MustParse(many);
  EXPECT_EQ(e.children.size(), 500u);
}

// Property test in lieu of a fuzzer: random strings over the filter alphabet
// must either parse or fail with INVALID_ARGUMENT, never crash or return
// another code, and a successful parse must yield a well-formed tree.
void CheckWellFormed(const FilterExpr& e, size_t text_size) {
  switch (e.kind) {
    case Kind::kAnd:
    case Kind::kOr:
      ASSERT_GE(e.children.size(), 2u);
      for (const FilterExpr& c : e.children) {
        ASSERT_NE(c.kind, e.kind) << "not flattened";
        CheckWellFormed(c, text_size);
      }
      break;
    case Kind::kNot:
      ASSERT_EQ(e.children.size(), 1u);
      CheckWellFormed(e.children[0], text_size);
      break;
    case Kind::kCompare:
      ASSERT_TRUE(e.children.empty());
      ASSERT_FALSE(e.field.empty());
      ASSERT_LT(e.position, text_size);
      break;
  }
}

TEST(FilterTest, RandomInputsNeverCrash) {
  // Whole tokens as well as single characters, so that valid and nearly-valid
  // filters come up often rather than almost never.
  const std::vector<std::string> alphabet = {
      "a", "b", "labels", ".", "_", "1", "-", "2024-01-01T00:00:00Z", "60s", "*",
      " ", " ", " ", "\t", "(", ")", "\"", "'", "\\", "\\\"", "=", "!=", "<", "<=",
      ">", ">=", ":", "!", "AND", "OR", "NOT", " AND ", " OR ", "NOT ", "x=1",
      "\"q\"", "#", "\n", std::string(1, '\0'), "\xC3\xA9", "\xFF"};
  std::mt19937 rng(160);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 40);
  int ok = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string text;
    for (int n = length(rng); n > 0; --n) text += alphabet[pick(rng)];
    absl::StatusOr<FilterExpr> r = ParseFilter(text);
    if (r.ok()) {
      ++ok;
      CheckWellFormed(*r, text.size());
    } else {
      ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << text;
      ASSERT_THAT(std::string(r.status().message()), HasSubstr("Invalid filter: "))
          << text;
    }
  }
  // Guard against a generator that only ever produces garbage.
  EXPECT_GT(ok, 0);
}

// The tree walkers every dialect uses: the combinators are theirs, each
// comparison the caller's.
TEST(FilterTree, EvalFilterCombinesLeavesAndReportsAnyError) {
  auto leaf = [](const FilterExpr& e) -> absl::StatusOr<bool> {
    if (e.value == "bad") return absl::InvalidArgumentError("bad value");
    return e.value == "yes";
  };
  EXPECT_EQ(*EvalFilter(MustParse("a = yes AND b = yes"), leaf), true);
  EXPECT_EQ(*EvalFilter(MustParse("a = yes AND b = no"), leaf), false);
  EXPECT_EQ(*EvalFilter(MustParse("a = no OR b = yes"), leaf), true);
  EXPECT_EQ(*EvalFilter(MustParse("NOT a = yes"), leaf), false);
  EXPECT_EQ(*EvalFilter(MustParse("NOT (a = no OR b = no)"), leaf), true);
  // No short cut: an error after a deciding comparison is still reported.
  EXPECT_FALSE(EvalFilter(MustParse("a = no AND b = bad"), leaf).ok());
  EXPECT_FALSE(EvalFilter(MustParse("a = yes OR b = bad"), leaf).ok());
}

TEST(FilterTree, ConditionFromFilterKeepsTheTreeAndMapsLeaves) {
  auto leaf = [](const FilterExpr& e) -> absl::StatusOr<Condition> {
    if (e.field[0] != "agent_id") return absl::InvalidArgumentError("unknown field");
    Condition c;
    c.string_value = e.value;
    c.op = e.op;
    return c;
  };
  auto c = ConditionFromFilter(MustParse("agent_id = a OR NOT agent_id = b"), leaf);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, Condition::Kind::kOr);
  ASSERT_EQ(c->children.size(), 2u);
  EXPECT_EQ(c->children[0].string_value, "a");
  EXPECT_EQ(c->children[1].kind, Condition::Kind::kNot);
  ASSERT_EQ(c->children[1].children.size(), 1u);
  EXPECT_EQ(c->children[1].children[0].string_value, "b");
  EXPECT_FALSE(ConditionFromFilter(MustParse("agent_id = a AND medium = CHAT"), leaf).ok());
}

}  // namespace
}  // namespace parley::core
