// RETURN_IF_ERROR and ASSIGN_OR_RETURN, for the store backends' files.
#pragma once

#include <utility>

#include "absl/status/status.h"

#define PARLEY_STORE_CONCAT_INNER(a, b) a##b
#define PARLEY_STORE_CONCAT(a, b) PARLEY_STORE_CONCAT_INNER(a, b)
#define RETURN_IF_ERROR(expr)                   \
  do {                                          \
    if (absl::Status _st = (expr); !_st.ok()) { \
      return _st;                               \
    }                                           \
  } while (0)
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(PARLEY_STORE_CONCAT(_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(*tmp)
