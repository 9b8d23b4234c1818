// OpenAPI 3.1 documents of the dialects `parley serve` speaks, generated
// from the routes each dialect adds (GET /openapi/{dialect}.json), and the
// page listing them (GET /openapi).
//
// What the route table knows is described exactly: every path (Google
// custom verbs included, `/v1/{name}:cancel`), its methods, its path
// parameters, the role an API key needs (`x-parley-role`), a JSON request
// body for POST/PUT/PATCH and the error shape of the dialect. The bodies a
// dialect names (Dialect::BodyTypesOf) are described field by field from the
// messages it parses and prints (proto3 JSON); others as JSON objects that
// the vendor's reference documents (docs/dialect-mapping.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/dialect.h"
#include "api/http/message.h"

namespace parley::api {

struct RouteEntry {
  http::Method method;
  std::string pattern;
};

// The routes a dialect added, in order, recorded with RouteRecorder.
struct DialectRoutes {
  const Dialect* dialect = nullptr;
  std::vector<RouteEntry> routes;
};

// A router tracker factory that records each route added while it is
// pushed into `into` (and tracks nothing at run time).
http::TrackerFactory RouteRecorder(DialectRoutes* into);

// The OpenAPI 3.1.0 document (JSON) of one dialect's routes.
std::string OpenApiDocument(const DialectRoutes& routes);

// An HTML page linking each dialect's document.
std::string OpenApiIndexPage(const std::vector<DialectRoutes>& dialects);

}  // namespace parley::api
