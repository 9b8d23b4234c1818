#pragma once

#include "api/dialect.h"
#include "api/http/router.h"

namespace parley::ces_v1 {

void AddRoutes(const api::ServerConfig& config, const api::Services& services, http::Router* router);

}  // namespace parley::ces_v1
