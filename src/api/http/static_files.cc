#include "api/http/static_files.h"

#include <string>


namespace parley::http {

std::string_view ContentTypeFor(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".json", "application/json; charset=utf-8"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

namespace {

Response NotFound(std::string_view name) {
  Response r;
  r.status = 404;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "no such file: " + std::string(name) + "\n";
  return r;
}

Response Serve(const Request& request, const EmbeddedFile& file) {
  Response r;
  r.content_type = std::string(ContentTypeFor(file.path));
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", std::string(file.etag));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                         "frame-ancestors 'none'");
  const std::string* match = request.Header("if-none-match");
  if (match != nullptr && (*match == file.etag || *match == "*")) {
    r.status = 304;
    return r;
  }
  r.body = std::string(file.data);
  return r;
}

}  // namespace

void AddStaticFiles(Router* router, std::string_view prefix, std::span<const EmbeddedFile> files) {
  const EmbeddedFile* index = nullptr;
  for (const EmbeddedFile& f : files) {
    if (f.path == "index.html") index = &f;
  }
  std::string slash = std::string(prefix) + "/";
  auto redirect = [slash](const Request&, const PathParams&) {
    Response r;
    r.status = 301;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Location", slash);
    r.body = slash;
    return r;
  };
  auto serve_index = [index](const Request& request, const PathParams&) {
    return index ? Serve(request, *index) : NotFound("index.html");
  };
  auto serve_file = [files](const Request& request, const PathParams& params) {
    std::string_view name = params.Get("file");
    for (const EmbeddedFile& f : files) {
      if (f.path == name) return Serve(request, f);
    }
    return NotFound(name);
  };
  router->Add(Method::kGet, prefix, redirect);
  router->Add(Method::kGet, slash, serve_index);
  router->Add(Method::kGet, slash + "{file}", serve_file);
}

}  // namespace parley::http
