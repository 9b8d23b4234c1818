// The skeleton dialect's factory (registered by its parley_dialect() line).
#pragma once

#include <memory>

#include "api/dialect.h"

namespace parley::skeleton_v1 {

std::unique_ptr<api::Dialect> MakeDialect();

}  // namespace parley::skeleton_v1
