// Serves a fixed set of files compiled into the binary (the web UI's assets)
// under a path prefix: GET, Content-Type by extension, an ETag and
// `Cache-Control: no-cache` (the browser revalidates and gets 304 while the
// binary is unchanged), `X-Content-Type-Options: nosniff` and a
// Content-Security-Policy that allows only the server's own scripts.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "api/http/router.h"

namespace parley::http {

struct EmbeddedFile {
  std::string_view path;  // relative to the prefix, e.g. "index.html", "js/app.js"
  std::string_view data;
  std::string_view etag;  // quoted, e.g. "\"3f2a...\""
};

// The Content-Type of a file name by its extension (application/octet-stream
// when unknown).
std::string_view ContentTypeFor(std::string_view path);

// Adds `prefix` (redirects to `prefix/`), `prefix/` (serves index.html) and
// `prefix/{file}` to `router`, without guards: call it before authentication
// is pushed. `files` must outlive the router. Files are one segment deep.
void AddStaticFiles(Router* router, std::string_view prefix, std::span<const EmbeddedFile> files);

}  // namespace parley::http
