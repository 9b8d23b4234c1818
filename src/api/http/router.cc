#include "api/http/router.h"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace parley::http {

std::string_view PathParams::Get(std::string_view name) const {
  for (const auto& [key, value] : items_) {
    if (key == name) return value;
  }
  return {};
}

namespace {

constexpr size_t kMethodCount = static_cast<size_t>(Method::kOther) + 1;
// Captures per pattern; Find keeps them in a fixed array, not on the heap.
constexpr size_t kMaxCaptures = 16;

struct Endpoint {
  Handler handler;
  AsyncHandler async_handler;
  Dispatch dispatch;
  std::vector<std::string> capture_names;  // in pattern order
  std::string pattern;                     // as added
};

// The routes that end at one node (or one node plus a verb), by method.
struct MethodTable {
  std::array<std::unique_ptr<Endpoint>, kMethodCount> by_method;
  bool any = false;
};

[[noreturn]] void BadPattern(std::string_view pattern, const char* why) {
  std::fprintf(stderr, "parley: invalid route pattern '%.*s': %s\n",
               static_cast<int>(pattern.size()), pattern.data(), why);
  std::abort();
}

}  // namespace

// A trie over path segments. Each node has literal children, at most one
// capture child, the routes ending here, and the routes ending here with a
// custom verb.
struct Router::Node {
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> literals;
  std::unique_ptr<Node> capture;
  MethodTable here;
  std::vector<std::pair<std::string, MethodTable>> verbs;

  const Node* FindLiteral(std::string_view segment) const {
    for (const auto& [name, child] : literals) {
      if (name == segment) return child.get();
    }
    return nullptr;
  }
  const MethodTable* FindVerb(std::string_view verb) const {
    for (const auto& [name, table] : verbs) {
      if (name == verb) return &table;
    }
    return nullptr;
  }
};

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;

void Router::Add(Method method, std::string_view pattern, Handler handler,
                 Dispatch dispatch) {
  if (dispatch == Dispatch::kAsync) BadPattern(pattern, "kAsync routes are added with AddAsync");
  if (inline_dispatch_ == Dispatch::kAsync) BadPattern(pattern, "inline routes cannot become kAsync");
  if (dispatch == Dispatch::kInline) dispatch = inline_dispatch_;
  AddEndpoint(method, pattern, std::move(handler), nullptr, dispatch);
}

void Router::AddAsync(Method method, std::string_view pattern, AsyncHandler handler) {
  AddEndpoint(method, pattern, nullptr, std::move(handler), Dispatch::kAsync);
}

void Router::AddEndpoint(Method method, std::string_view pattern, Handler handler,
                         AsyncHandler async_handler, Dispatch dispatch) {
  if (pattern.empty() || pattern[0] != '/') BadPattern(pattern, "must start with '/'");
  std::vector<Guard> guards;
  for (const GuardFactory& factory : guard_factories_) {
    if (Guard g = factory(method, pattern)) guards.push_back(std::move(g));
  }
  if (!guards.empty()) {
    Guard guard = guards.size() == 1
                      ? std::move(guards.front())
                      : [guards = std::move(guards)](const Request& req,
                                                     const PathParams& p) -> std::optional<Response> {
                          for (const Guard& g : guards) {
                            if (std::optional<Response> denied = g(req, p)) return denied;
                          }
                          return std::nullopt;
                        };
    if (handler) {
      handler = [guard, h = std::move(handler)](const Request& req, const PathParams& p) {
        if (std::optional<Response> denied = guard(req, p)) return std::move(*denied);
        return h(req, p);
      };
    }
    if (async_handler) {
      async_handler = [guard, h = std::move(async_handler)](const Request& req, const PathParams& p,
                                                            Responder responder) {
        if (std::optional<Response> denied = guard(req, p)) {
          std::move(responder).Send(std::move(*denied));
          return;
        }
        h(req, p, std::move(responder));
      };
    }
  }
  std::vector<Tracker> trackers;
  for (const TrackerFactory& factory : tracker_factories_) {
    if (Tracker t = factory(method, pattern)) trackers.push_back(std::move(t));
  }
  for (Tracker& tracker : trackers) {
    if (handler) {
      handler = [tracker, h = std::move(handler)](const Request& req, const PathParams& p) {
        Completion done = tracker(req, p);
        Response r = h(req, p);
        if (done) std::move(done)(r);
        return r;
      };
    }
    if (async_handler) {
      async_handler = [tracker, h = std::move(async_handler)](const Request& req, const PathParams& p,
                                                              Responder responder) {
        Completion done = tracker(req, p);
        if (!done) {
          h(req, p, std::move(responder));
          return;
        }
        h(req, p,
          Responder([inner = std::move(responder), done = std::move(done)](Responder::Make make) mutable {
            std::move(inner).Send([make = std::move(make), done = std::move(done)]() mutable {
              Response r = make();
              std::move(done)(r);
              return r;
            });
          }));
      };
    }
  }
  std::vector<std::string> capture_names;
  Node* node = root_.get();
  std::string_view verb;
  bool has_verb = false;
  bool trailing_slash = false;

  std::string_view rest = pattern.substr(1);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    bool last = slash == std::string_view::npos;
    rest = last ? std::string_view() : rest.substr(slash + 1);
    // A trailing '/' (`/ui/`) is an empty last segment: it matches only
    // a path that ends in '/' too.
    if (!last && rest.empty()) trailing_slash = true;

    if (last) {
      // The verb follows the last ':' (after the closing brace of a capture).
      size_t from = 0;
      if (!segment.empty() && segment[0] == '{') {
        from = segment.find('}');
        if (from == std::string_view::npos) BadPattern(pattern, "unclosed '{'");
      }
      size_t colon = segment.find(':', from);
      if (colon != std::string_view::npos) {
        verb = segment.substr(colon + 1);
        segment = segment.substr(0, colon);
        has_verb = true;
        if (verb.empty()) BadPattern(pattern, "empty custom verb");
      }
    }
    if (segment.empty()) BadPattern(pattern, "empty segment");

    if (segment.front() == '{') {
      if (segment.back() != '}' || segment.size() < 3) BadPattern(pattern, "bad capture");
      std::string_view name = segment.substr(1, segment.size() - 2);
      if (name.find_first_of("{}=*/:") != std::string_view::npos) {
        BadPattern(pattern, "bad capture name");
      }
      capture_names.emplace_back(name);
      if (capture_names.size() > kMaxCaptures) BadPattern(pattern, "too many captures");
      if (!node->capture) node->capture = std::make_unique<Node>();
      node = node->capture.get();
    } else {
      if (segment.find_first_of("{}") != std::string_view::npos) {
        BadPattern(pattern, "braces inside a literal segment");
      }
      Node* child = const_cast<Node*>(node->FindLiteral(segment));
      if (child == nullptr) {
        node->literals.emplace_back(std::string(segment), std::make_unique<Node>());
        child = node->literals.back().second.get();
      }
      node = child;
    }
  }

  if (trailing_slash) {
    Node* child = const_cast<Node*>(node->FindLiteral(""));
    if (child == nullptr) {
      node->literals.emplace_back(std::string(), std::make_unique<Node>());
      child = node->literals.back().second.get();
    }
    node = child;
  }
  MethodTable* table = &node->here;
  if (has_verb) {
    table = const_cast<MethodTable*>(node->FindVerb(verb));
    if (table == nullptr) {
      node->verbs.emplace_back(std::string(verb), MethodTable());
      table = &node->verbs.back().second;
    }
  }
  auto& slot = table->by_method[static_cast<size_t>(method)];
  if (slot) BadPattern(pattern, "route already added for this method");
  slot = std::make_unique<Endpoint>(
      Endpoint{std::move(handler), std::move(async_handler), dispatch, std::move(capture_names),
               std::string(pattern)});
  table->any = true;
}

namespace {

// Depth-first search state: literal children are tried before the capture
// child, and a `:verb` route before a capture that would swallow the verb.
struct Search {
  size_t method = 0;
  const Endpoint* endpoint = nullptr;
  bool path_matched = false;
  std::array<std::string_view, kMaxCaptures> captures;
  size_t capture_count = 0;

  bool Terminal(const MethodTable& table) {
    if (!table.any) return false;
    if (const Endpoint* e = table.by_method[method].get()) {
      endpoint = e;
      return true;
    }
    path_matched = true;
    return false;
  }

  bool Capture(std::string_view value) {
    if (capture_count == kMaxCaptures) return false;  // deeper than any pattern
    captures[capture_count++] = value;
    return true;
  }

  template <typename NodeT>
  bool Walk(const NodeT& node, std::string_view rest, bool at_end) {
    if (at_end) return Terminal(node.here);
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);

    if (slash != std::string_view::npos) {
      std::string_view next = rest.substr(slash + 1);
      if (const NodeT* lit = node.FindLiteral(segment)) {
        if (Walk(*lit, next, false)) return true;
      }
      if (node.capture && !segment.empty() && Capture(segment)) {
        if (Walk(*node.capture, next, false)) return true;
        --capture_count;
      }
      return false;
    }

    // The last segment: it may end in a custom verb.
    size_t colon = segment.rfind(':');
    std::string_view base, verb;
    if (colon != std::string_view::npos) {
      base = segment.substr(0, colon);
      verb = segment.substr(colon + 1);
      if (const NodeT* lit = node.FindLiteral(base)) {
        if (const MethodTable* t = lit->FindVerb(verb); t && Terminal(*t)) return true;
      }
    }
    if (const NodeT* lit = node.FindLiteral(segment)) {
      if (Terminal(lit->here)) return true;
    }
    if (!node.capture) return false;
    if (colon != std::string_view::npos && !base.empty()) {
      if (const MethodTable* t = node.capture->FindVerb(verb); t && Capture(base)) {
        if (Terminal(*t)) return true;
        --capture_count;
      }
    }
    if (!segment.empty() && Capture(segment)) {
      if (Terminal(node.capture->here)) return true;
      --capture_count;
    }
    return false;
  }
};

}  // namespace

Router::Found Router::Find(Method method, std::string_view path) const {
  Found found;
  if (path.empty() || path[0] != '/') return found;
  Search search;
  search.method = static_cast<size_t>(method);
  std::string_view rest = path.substr(1);
  if (search.Walk(*root_, rest, /*at_end=*/rest.empty())) {
    const Endpoint& e = *search.endpoint;
    if (e.dispatch == Dispatch::kAsync) {
      found.async_handler = &e.async_handler;
    } else {
      found.handler = &e.handler;
    }
    found.dispatch = e.dispatch;
    found.pattern = e.pattern;
    // Segments were matched still percent-encoded; each capture is decoded
    // only now, so an escaped '/' or ':' cannot make or split a segment.
    for (size_t i = 0; i < search.capture_count; ++i) {
      std::string value;
      if (!PercentDecode(search.captures[i], &value)) return Found();
      found.params.Add(e.capture_names[i], std::move(value));
    }
  } else {
    found.method_not_allowed = search.path_matched;
  }
  return found;
}

}  // namespace parley::http
