#include "core/filter_tree.h"

#include <utility>

namespace parley::core {

absl::StatusOr<Condition> ConditionFromFilter(
    const FilterExpr& expr, absl::FunctionRef<absl::StatusOr<Condition>(const FilterExpr&)> leaf) {
  if (expr.kind == FilterExpr::Kind::kCompare) return leaf(expr);
  Condition c;
  c.kind = expr.kind == FilterExpr::Kind::kAnd  ? Condition::Kind::kAnd
           : expr.kind == FilterExpr::Kind::kOr ? Condition::Kind::kOr
                                                : Condition::Kind::kNot;
  for (const FilterExpr& child : expr.children) {
    auto cc = ConditionFromFilter(child, leaf);
    if (!cc.ok()) return cc.status();
    c.children.push_back(*std::move(cc));
  }
  return c;
}

absl::StatusOr<bool> EvalFilter(const FilterExpr& expr,
                                absl::FunctionRef<absl::StatusOr<bool>(const FilterExpr&)> leaf) {
  if (expr.kind == FilterExpr::Kind::kCompare) return leaf(expr);
  const bool is_and = expr.kind == FilterExpr::Kind::kAnd;
  bool result = is_and;
  for (const FilterExpr& child : expr.children) {
    auto v = EvalFilter(child, leaf);
    if (!v.ok()) return v;
    result = is_and ? (result && *v) : (result || *v);
  }
  return expr.kind == FilterExpr::Kind::kNot ? !result : result;
}

}  // namespace parley::core
