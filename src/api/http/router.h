// Routes requests to handlers by method and path pattern.
//
// A pattern is a path of literal segments and `{name}` captures, each capture
// matching one non-empty segment; the last segment may carry a custom verb
// (`/v1/{a}/things:bulkDelete`, `/v1/{a}/things/{t}:complete`), the Google
// style. A pattern ending in '/' (`/ui/`) matches only paths ending in '/'.
// Literal segments win over captures. Routes are added before the
// server starts; Find is then thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "api/http/message.h"

namespace parley::http {

// Captured path segments by name, in pattern order.
class PathParams {
 public:
  // The captured value of `name`; an empty view if not captured.
  std::string_view Get(std::string_view name) const;
  bool empty() const { return items_.empty(); }
  void Add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

using Handler = std::function<Response(const Request&, const PathParams&)>;

// Whether a handler may block (wait on disk or on other requests): such
// handlers run on a worker pool so that they do not stall the network
// threads. Quick, non-blocking handlers (reads of a local store) run on the
// network thread (Router::SetInlineDispatch).
// kAsync handlers (Router::AddAsync) run on the network thread and answer
// later through a Responder, from any thread: a write that waits for a
// group commit costs no thread while it waits.
enum class Dispatch { kInline, kBlocking, kAsync };

// Completes a request whose handler answers later. Move-only; call Send
// exactly once, from any thread. The request's connection reads nothing
// more until then.
class Responder {
 public:
  using Make = absl::AnyInvocable<Response()>;
  // Runs a task on the server's blocking pool (the one of Dispatch::kBlocking).
  using Offload = std::function<void(absl::AnyInvocable<void()>)>;
  explicit Responder(absl::AnyInvocable<void(Make)> send, Offload offload = nullptr)
      : send_(std::move(send)), offload_(std::move(offload)) {}
  Responder(Responder&&) = default;
  Responder& operator=(Responder&&) = default;

  // Sends the response that `make` returns; `make` runs on the connection's
  // network thread, so rendering a large body does not hold up the caller.
  void Send(Make make) && { std::move(send_)(std::move(make)); }
  void Send(Response response) && {
    std::move(*this).Send([r = std::move(response)]() mutable { return std::move(r); });
  }

  // Continues the request on the blocking pool, for the occasional request
  // of a kAsync route that must wait on something (a file on disk): `work`
  // gets this Responder there and must Send through it. A Responder made
  // without a pool (tests) runs `work` at once on the calling thread.
  void ContinueBlocking(absl::AnyInvocable<void(Responder)> work) && {
    if (!offload_) return work(std::move(*this));
    Offload offload = std::move(offload_);
    offload([self = std::move(*this), work = std::move(work)]() mutable { work(std::move(self)); });
  }

 private:
  absl::AnyInvocable<void(Make)> send_;
  Offload offload_;
};

// Starts handling a request and passes `responder` the answer, now or later.
// The Request and PathParams are valid only during the call.
using AsyncHandler = std::function<void(const Request&, const PathParams&, Responder responder)>;

// Runs before a route's handler, on the handler's thread: a response it
// returns is sent instead and the handler does not run (authentication).
using Guard = std::function<std::optional<Response>(const Request&, const PathParams&)>;
// Makes the guard of each route as it is added, knowing its method and
// pattern; a null Guard leaves the route unguarded.
using GuardFactory = std::function<Guard(Method method, std::string_view pattern)>;

// Follows a request through to its answer (the audit log): a Tracker runs on
// the handler's thread before the guards, sees the request, and returns what
// to call with the response — whoever produced it, a guard or the handler —
// or null to follow nothing. The completion runs once, on the thread that
// produced the response (for kAsync routes, the connection's network
// thread, as the response is made); it must be quick.
using Completion = absl::AnyInvocable<void(const Response&) &&>;
using Tracker = std::function<Completion(const Request&, const PathParams&)>;
// Makes the tracker of each route as it is added; a null Tracker: none.
using TrackerFactory = std::function<Tracker(Method method, std::string_view pattern)>;

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  void Add(Method method, std::string_view pattern, Handler handler,
           Dispatch dispatch = Dispatch::kInline);
  void AddAsync(Method method, std::string_view pattern, AsyncHandler handler);

  // Routes added as Dispatch::kInline from now on are added with `dispatch`
  // instead (kInline again: as asked). `parley serve` sets kBlocking while
  // the dialects add their routes on a remote store (Store::IsRemote), where
  // a read waits for a database round trip that must not hold a network
  // thread (issue 16).
  void SetInlineDispatch(Dispatch dispatch) { inline_dispatch_ = dispatch; }

  // Guards are a stack: routes added (Add and AddAsync alike) get the guard
  // each pushed factory makes for them, run in push order before the
  // handler; the first to answer wins. `parley serve` pushes authentication
  // while a dialect adds its routes; a dialect may push checks of its own on
  // top and pop them when done.
  void PushGuard(GuardFactory factory) { guard_factories_.push_back(std::move(factory)); }
  void PopGuard() { guard_factories_.pop_back(); }
  // Replaces the whole stack with `factory` (null: no guard).
  void SetGuard(GuardFactory factory) {
    guard_factories_.clear();
    if (factory) PushGuard(std::move(factory));
  }

  // The guard of requests that match no route (or match with another
  // method), run on the network thread before the server answers 404 or
  // 405: with authentication on, a request without a valid key gets the
  // guard's 401 rather than learning which routes exist. Null: none.
  void SetUnmatchedGuard(Guard guard) { unmatched_guard_ = std::move(guard); }
  const Guard& unmatched_guard() const { return unmatched_guard_; }

  // Trackers are a stack too: each route gets the tracker of every pushed
  // factory, started before any guard.
  void PushTracker(TrackerFactory factory) { tracker_factories_.push_back(std::move(factory)); }
  void PopTracker() { tracker_factories_.pop_back(); }

  struct Found {
    // One of the two is set when a route matched: `async_handler` when
    // dispatch is kAsync, else `handler`.
    const Handler* handler = nullptr;
    const AsyncHandler* async_handler = nullptr;
    Dispatch dispatch = Dispatch::kInline;
    // The matched route's pattern as added (`/v1/{parent}/conversations`),
    // valid as long as the router: what request logs and metrics name.
    std::string_view pattern;
    PathParams params;
    // When nothing matched: true if the path matched with another method.
    bool method_not_allowed = false;
    bool matched() const { return handler != nullptr || async_handler != nullptr; }
  };
  // `path` as received, still percent-encoded (Request::path): literal
  // segments and verbs match it as it is, and captures are percent-decoded
  // after matching. No match if a capture has a malformed escape.
  Found Find(Method method, std::string_view path) const;

 private:
  struct Node;
  void AddEndpoint(Method method, std::string_view pattern, Handler handler,
                   AsyncHandler async_handler, Dispatch dispatch);
  std::unique_ptr<Node> root_;
  std::vector<GuardFactory> guard_factories_;
  Guard unmatched_guard_;
  std::vector<TrackerFactory> tracker_factories_;
  Dispatch inline_dispatch_ = Dispatch::kInline;
};

}  // namespace parley::http
