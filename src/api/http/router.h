// Routes requests to handlers by method and path pattern.
//
// A pattern is a path of literal segments and `{name}` captures, each capture
// matching one non-empty segment; the last segment may carry a custom verb
// (`/v1/{a}/things:bulkDelete`, `/v1/{a}/things/{t}:complete`), the Google
// style. Literal segments win over captures. Routes are added before the
// server starts; Find is then thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http/message.h"

namespace parley::http {

// Captured path segments by name, in pattern order.
class PathParams {
 public:
  // The captured value of `name`; an empty view if not captured.
  std::string_view Get(std::string_view name) const;
  void Add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

using Handler = std::function<Response(const Request&, const PathParams&)>;

// Whether a handler may block (wait on disk or on other requests): such
// handlers run on a worker pool so that they do not stall the network
// threads. Quick, non-blocking handlers (reads) run on the network thread.
enum class Dispatch { kInline, kBlocking };

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  void Add(Method method, std::string_view pattern, Handler handler,
           Dispatch dispatch = Dispatch::kInline);

  struct Found {
    const Handler* handler = nullptr;  // null when nothing matched
    Dispatch dispatch = Dispatch::kInline;
    PathParams params;
    // When handler is null: true if the path matched with another method.
    bool method_not_allowed = false;
  };
  Found Find(Method method, std::string_view path) const;

 private:
  struct Node;
  std::unique_ptr<Node> root_;
};

}  // namespace parley::http
