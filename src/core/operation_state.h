// Facts about a core::Operation's state that every layer asks.
#pragma once

#include "parley/operation.pb.h"

namespace parley::core {

// Succeeded, failed or cancelled: the operation will not change again.
inline bool IsFinished(const Operation& op) {
  return op.state() == OPERATION_SUCCEEDED || op.state() == OPERATION_FAILED ||
         op.state() == OPERATION_CANCELLED;
}

}  // namespace parley::core
