// AIP-160 filters: core::ParseFilter, then the Insights translation of the
// tree into a core condition (ConversationCondition, and SelectorFromFilter
// as long-running work stores it), and the Insights order_by parser.
#include "api/insights_v1/filter_fields.h"
#include "core/filter.h"
#include "fuzz/fuzz_check.h"

namespace {

// Structural invariants of a parsed tree.
void CheckTree(const parley::core::FilterExpr& e, size_t text_size) {
  using Kind = parley::core::FilterExpr::Kind;
  switch (e.kind) {
    case Kind::kAnd:
    case Kind::kOr:
      FUZZ_CHECK(e.children.size() >= 2);
      break;
    case Kind::kNot:
      FUZZ_CHECK(e.children.size() == 1);
      break;
    case Kind::kCompare:
      FUZZ_CHECK(e.children.empty());
      FUZZ_CHECK(!e.field.empty());
      FUZZ_CHECK(e.position < text_size);
      break;
  }
  for (const auto& c : e.children) CheckTree(c, text_size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  const std::string_view text = parley::fuzz::AsText(data, size);
  auto expr = parley::core::ParseFilter(text);
  if (expr.ok()) {
    CheckTree(*expr, text.size());
    (void)parley::insights_v1::ConversationCondition(*expr);
  } else {
    FUZZ_CHECK(expr.status().code() == absl::StatusCode::kInvalidArgument);
  }
  auto selector = parley::insights_v1::SelectorFromFilter(text, "-");
  if (!selector.ok()) FUZZ_CHECK(selector.status().code() == absl::StatusCode::kInvalidArgument);
  (void)parley::insights_v1::ParseOrderBy(text);
  return 0;
}
