#include "api/http/router.h"

#include <string>

#include "api/http/message.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// A handler that answers with its own name, to see which route matched.
Handler Named(std::string name) {
  return [name](const Request&, const PathParams&) {
    Response r;
    r.body = name;
    return r;
  };
}

std::string Call(const Router::Found& found) {
  if (found.handler == nullptr) return found.method_not_allowed ? "<405>" : "<404>";
  return (*found.handler)(Request(), found.params).body;
}

constexpr char kConversations[] = "/v1/projects/{project}/locations/{location}/conversations";

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    std::string c = kConversations;
    router_.Add(Method::kGet, "/healthz", Named("healthz"));
    router_.Add(Method::kGet, "/", Named("root"));
    router_.Add(Method::kGet, c, Named("list"));
    router_.Add(Method::kPost, c, Named("create"), Dispatch::kBlocking);
    router_.Add(Method::kPost, c + ":bulkDelete", Named("bulkDelete"));
    router_.Add(Method::kGet, c + "/{conversation}", Named("get"));
    router_.Add(Method::kDelete, c + "/{conversation}", Named("delete"));
    router_.Add(Method::kPost, c + "/{conversation}:complete", Named("complete"));
    router_.Add(Method::kGet, "/v1/things/special", Named("special"));
    router_.Add(Method::kGet, "/v1/things/{thing}", Named("thing"));
    router_.Add(Method::kGet, "/a/{x}/c", Named("a-x-c"));
    router_.Add(Method::kGet, "/a/b/d", Named("a-b-d"));
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralRoutes) {
  EXPECT_EQ(Call(router_.Find(Method::kGet, "/healthz")), "healthz");
  EXPECT_EQ(Call(router_.Find(Method::kGet, "/")), "root");
  EXPECT_EQ(Call(router_.Find(Method::kGet, "/health")), "<404>");
  EXPECT_EQ(Call(router_.Find(Method::kGet, "/healthz/x")), "<404>");
  EXPECT_EQ(Call(router_.Find(Method::kGet, "")), "<404>");
  EXPECT_EQ(Call(router_.Find(Method::kGet, "healthz")), "<404>");
}

TEST_F(RouterTest, CapturesNamedSegments) {
  Router::Found f = router_.Find(Method::kGet, "/v1/projects/p1/locations/us-1/conversations/c9");
  EXPECT_EQ(Call(f), "get");
  EXPECT_EQ(f.params.Get("project"), "p1");
  EXPECT_EQ(f.params.Get("location"), "us-1");
  EXPECT_EQ(f.params.Get("conversation"), "c9");
  EXPECT_EQ(f.params.Get("absent"), "");
  EXPECT_EQ(f.dispatch, Dispatch::kInline);

  Router::Found create = router_.Find(Method::kPost, "/v1/projects/p/locations/l/conversations");
  EXPECT_EQ(Call(create), "create");
  EXPECT_EQ(create.dispatch, Dispatch::kBlocking);
}

TEST_F(RouterTest, CaptureNeedsOneNonEmptySegment) {
  EXPECT_EQ(Call(router_.Find(Method::kGet, "/v1/projects//locations/l/conversations")), "<404>");
  EXPECT_EQ(Call(router_.Find(Method::kGet, "/v1/projects/p/locations/l/conversations/")),
            "<404>");
  EXPECT_EQ(Call(router_.Find(Method::kGet, "/v1/projects/p/locations/l/conversations/a/b")),
            "<404>");
}

// The path is matched still percent-encoded and each capture decoded after:
// an escaped '/' or ':' stays inside its segment.
TEST_F(RouterTest, MatchesEncodedSegmentsAndDecodesCaptures) {
  Router::Found f =
      router_.Find(Method::kGet, "/v1/projects/p%2Fq/locations/l/conversations/a%2Fb%3Ac%20d");
  EXPECT_EQ(Call(f), "get");
  EXPECT_EQ(f.params.Get("project"), "p/q");
  EXPECT_EQ(f.params.Get("conversation"), "a/b:c d");
  // Escaped: "a/b" would have been two segments (no route), "c1:complete" a verb.
  EXPECT_EQ(Call(router_.Find(Method::kPost, "/v1/projects/p/locations/l/conversations/c1%3Acomplete")),
            "<405>");
  Router::Found g =
      router_.Find(Method::kGet, "/v1/projects/p/locations/l/conversations/c1%3Acomplete");
  EXPECT_EQ(g.params.Get("conversation"), "c1:complete");
  // A literal segment matches only as written.
  EXPECT_EQ(Call(router_.Find(Method::kGet, "/v1/things/speci%61l")), "thing");
}

TEST_F(RouterTest, CustomVerbOnCapture) {
  Router::Found f =
      router_.Find(Method::kPost, "/v1/projects/p/locations/l/conversations/c1:complete");
  EXPECT_EQ(Call(f), "complete");
  EXPECT_EQ(f.params.Get("conversation"), "c1");  // the capture does not swallow ":complete"
  // Without a GET route for the verb, the whole segment is the capture.
  Router::Found g =
      router_.Find(Method::kGet, "/v1/projects/p/locations/l/conversations/c1:complete");
  EXPECT_EQ(Call(g), "get");
  EXPECT_EQ(g.params.Get("conversation"), "c1:complete");
  // An unknown verb is just part of the segment; POST has no such route.
  EXPECT_EQ(Call(router_.Find(Method::kPost, "/v1/projects/p/locations/l/conversations/c1:x")),
            "<405>");
  // A verb needs a non-empty capture in front of it.
  EXPECT_EQ(Call(router_.Find(Method::kPost, "/v1/projects/p/locations/l/conversations/:complete")),
            "<405>");
}

TEST_F(RouterTest, CustomVerbOnLiteral) {
  Router::Found f =
      router_.Find(Method::kPost, "/v1/projects/p/locations/l/conversations:bulkDelete");
  EXPECT_EQ(Call(f), "bulkDelete");
  EXPECT_EQ(f.params.Get("project"), "p");
  EXPECT_EQ(f.params.Get("location"), "l");
  EXPECT_EQ(Call(router_.Find(Method::kGet, "/v1/projects/p/locations/l/conversations:bulkDelete")),
            "<405>");
  EXPECT_EQ(Call(router_.Find(Method::kPost, "/v1/projects/p/locations/l/conversations:other")),
            "<404>");
}

TEST_F(RouterTest, LiteralBeatsCapture) {
  EXPECT_EQ(Call(router_.Find(Method::kGet, "/v1/things/special")), "special");
  Router::Found f = router_.Find(Method::kGet, "/v1/things/ordinary");
  EXPECT_EQ(Call(f), "thing");
  EXPECT_EQ(f.params.Get("thing"), "ordinary");
}

TEST_F(RouterTest, BacktracksFromLiteralToCapture) {
  EXPECT_EQ(Call(router_.Find(Method::kGet, "/a/b/d")), "a-b-d");
  Router::Found f = router_.Find(Method::kGet, "/a/b/c");
  EXPECT_EQ(Call(f), "a-x-c");
  EXPECT_EQ(f.params.Get("x"), "b");
}

TEST_F(RouterTest, WrongMethodIsNotAllowedNotNotFound) {
  Router::Found f = router_.Find(Method::kPut, "/v1/projects/p/locations/l/conversations/c1");
  EXPECT_EQ(f.handler, nullptr);
  EXPECT_TRUE(f.method_not_allowed);
  EXPECT_EQ(Call(router_.Find(Method::kPost, "/healthz")), "<405>");
  EXPECT_EQ(Call(router_.Find(Method::kOther, "/healthz")), "<405>");
  EXPECT_EQ(Call(router_.Find(Method::kDelete, "/nowhere")), "<404>");
}

TEST(RouterTrailingSlashTest, TrailingSlashIsItsOwnRoute) {
  Router router;
  router.Add(Method::kGet, "/ui", Named("bare"));
  router.Add(Method::kGet, "/ui/", Named("slash"));
  router.Add(Method::kGet, "/ui/{file}", Named("file"));
  EXPECT_EQ(Call(router.Find(Method::kGet, "/ui")), "bare");
  EXPECT_EQ(Call(router.Find(Method::kGet, "/ui/")), "slash");
  EXPECT_EQ(Call(router.Find(Method::kGet, "/ui/app.js")), "file");
  EXPECT_EQ(Call(router.Find(Method::kGet, "/ui//")), "<404>");
  EXPECT_EQ(Call(router.Find(Method::kGet, "/ui/app.js/")), "<404>");
  EXPECT_EQ(Call(router.Find(Method::kPost, "/ui/")), "<405>");
  // Without a trailing-slash route, a trailing slash matches nothing.
  router.Add(Method::kGet, "/x/{a}", Named("x"));
  EXPECT_EQ(Call(router.Find(Method::kGet, "/x/1/")), "<404>");
}

TEST(RouterDeathTest, RejectsDuplicateAndMalformedPatterns) {
  Router router;
  router.Add(Method::kGet, "/x/{a}", Named("x"));
  EXPECT_DEATH(router.Add(Method::kGet, "/x/{b}", Named("y")), "already added");
  EXPECT_DEATH(router.Add(Method::kGet, "x", Named("y")), "must start with");
  EXPECT_DEATH(router.Add(Method::kGet, "/x/{a", Named("y")), "");
  EXPECT_DEATH(router.Add(Method::kGet, "/x//y", Named("y")), "empty segment");
}

TEST(ParseTargetTest, DecodesPathAndQuery) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  ASSERT_TRUE(ParseTarget("/v1/a%20b+c/d%2Fe?x=1+2&y=%41%3d&z&&x=3&e=", &path, &query));
  EXPECT_EQ(path, "/v1/a%20b+c/d%2Fe");  // left encoded for the router; '+' is a space only in the query
  EXPECT_THAT(query, ElementsAre(Pair("x", "1 2"), Pair("y", "A="), Pair("z", ""),
                                 Pair("x", "3"), Pair("e", "")));

  ASSERT_TRUE(ParseTarget("/plain", &path, &query));
  EXPECT_EQ(path, "/plain");
  EXPECT_TRUE(query.empty());

  ASSERT_TRUE(ParseTarget("/q?", &path, &query));
  EXPECT_EQ(path, "/q");
  EXPECT_TRUE(query.empty());
}

TEST(ParseTargetTest, RejectsMalformedEscapes) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  EXPECT_FALSE(ParseTarget("/a%zz", &path, &query));
  EXPECT_FALSE(ParseTarget("/a%4", &path, &query));
  EXPECT_FALSE(ParseTarget("/a%", &path, &query));
  EXPECT_FALSE(ParseTarget("/a?x=%g1", &path, &query));
  EXPECT_FALSE(ParseTarget("/a?%=1", &path, &query));
}

TEST(RequestTest, QueryParamIsLastValueAndHeaderIsExact) {
  Request req;
  ASSERT_TRUE(ParseTarget("/x?pageSize=5&filter=a&pageSize=7", &req.path, &req.query));
  ASSERT_NE(req.QueryParam("pageSize"), nullptr);
  EXPECT_EQ(*req.QueryParam("pageSize"), "7");
  EXPECT_EQ(*req.QueryParam("filter"), "a");
  EXPECT_EQ(req.QueryParam("pageToken"), nullptr);

  req.headers = {{"content-type", "application/json"}, {"x-goog-api-client", "gl-go/1"}};
  ASSERT_NE(req.Header("content-type"), nullptr);
  EXPECT_EQ(*req.Header("content-type"), "application/json");
  EXPECT_EQ(req.Header("authorization"), nullptr);
}

TEST(MethodNameTest, NamesEveryMethod) {
  EXPECT_EQ(MethodName(Method::kGet), "GET");
  EXPECT_EQ(MethodName(Method::kPost), "POST");
  EXPECT_EQ(MethodName(Method::kPut), "PUT");
  EXPECT_EQ(MethodName(Method::kPatch), "PATCH");
  EXPECT_EQ(MethodName(Method::kDelete), "DELETE");
  EXPECT_EQ(MethodName(Method::kHead), "HEAD");
  EXPECT_EQ(MethodName(Method::kOptions), "OPTIONS");
}

}  // namespace
}  // namespace parley::http

namespace parley::http {
namespace {

TEST(RouterAsyncTest, AsyncRoutesAreFoundWithTheirHandler) {
  Router router;
  std::string seen;
  router.AddAsync(Method::kPost, "/v1/things/{thing}:run",
                  [&seen](const Request&, const PathParams& p, Responder) {
                    seen = std::string(p.Get("thing"));
                  });
  router.Add(Method::kGet, "/v1/things/{thing}", [](const Request&, const PathParams&) {
    return Response();
  });
  Router::Found found = router.Find(Method::kPost, "/v1/things/t1:run");
  ASSERT_TRUE(found.matched());
  EXPECT_EQ(found.handler, nullptr);
  ASSERT_NE(found.async_handler, nullptr);
  EXPECT_EQ(found.dispatch, Dispatch::kAsync);
  (*found.async_handler)(Request(), found.params, Responder([](Responder::Make) {}));
  EXPECT_EQ(seen, "t1");
  Router::Found get = router.Find(Method::kGet, "/v1/things/t1");
  EXPECT_TRUE(get.matched());
  EXPECT_NE(get.handler, nullptr);
  EXPECT_EQ(get.async_handler, nullptr);
  Router::Found wrong = router.Find(Method::kDelete, "/v1/things/t1:run");
  EXPECT_FALSE(wrong.matched());
  EXPECT_TRUE(wrong.method_not_allowed);
}

// A guard factory sees each route's method and pattern as it is added; its
// guard runs before sync and async handlers alike and may answer instead.
TEST(RouterGuardTest, GuardsRoutesAddedWhileSet) {
  Router router;
  router.Add(Method::kGet, "/healthz", Named("healthz"));
  std::vector<std::string> seen;
  router.SetGuard([&seen](Method m, std::string_view pattern) -> Guard {
    seen.push_back(std::string(MethodName(m)) + " " + std::string(pattern));
    return [](const Request& req, const PathParams& p) -> std::optional<Response> {
      if (req.Header("x-key") != nullptr) return std::nullopt;
      Response r;
      r.status = 401;
      r.body = "denied " + std::string(p.Get("thing"));
      return r;
    };
  });
  router.Add(Method::kGet, "/v1/things/{thing}", Named("thing"));
  router.AddAsync(Method::kPost, "/v1/things/{thing}:run",
                  [](const Request&, const PathParams&, Responder responder) {
                    Response r;
                    r.body = "ran";
                    std::move(responder).Send(std::move(r));
                  });
  router.SetGuard(nullptr);
  router.Add(Method::kGet, "/open", Named("open"));
  EXPECT_THAT(seen, ElementsAre("GET /v1/things/{thing}", "POST /v1/things/{thing}:run"));

  Request anonymous, keyed;
  keyed.headers = {{"x-key", "k"}};
  auto thing = router.Find(Method::kGet, "/v1/things/t1");
  ASSERT_NE(thing.handler, nullptr);
  Response denied = (*thing.handler)(anonymous, thing.params);
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.body, "denied t1");
  EXPECT_EQ((*thing.handler)(keyed, thing.params).body, "thing");

  auto run = router.Find(Method::kPost, "/v1/things/t2:run");
  ASSERT_NE(run.async_handler, nullptr);
  for (const Request* req : {&anonymous, &keyed}) {
    std::string body;
    (*run.async_handler)(*req, run.params, Responder([&body](Responder::Make make) { body = make().body; }));
    EXPECT_EQ(body, req == &anonymous ? "denied t2" : "ran");
  }
  EXPECT_EQ(Call(router.Find(Method::kGet, "/healthz")), "healthz");
  EXPECT_EQ(Call(router.Find(Method::kGet, "/open")), "open");
}

}  // namespace
}  // namespace parley::http

namespace parley::http {
namespace {

// Pushed guards stack: a route gets every guard pushed when it was added, in
// push order, the first to answer winning; a popped guard guards no later route.
TEST(RouterGuardTest, PushedGuardsRunInOrderUntilPopped) {
  Router router;
  auto deny_if = [](std::string header, std::string body) -> GuardFactory {
    return [header, body](Method, std::string_view) -> Guard {
      return [header, body](const Request& req, const PathParams&) -> std::optional<Response> {
        if (req.Header(header) == nullptr) return std::nullopt;
        Response r;
        r.status = 403;
        r.body = body;
        return r;
      };
    };
  };
  router.PushGuard(deny_if("x-outer", "outer"));
  router.PushGuard(deny_if("x-inner", "inner"));
  router.Add(Method::kGet, "/both", [](const Request&, const PathParams&) { return Response(); });
  router.PopGuard();
  router.Add(Method::kGet, "/outer", [](const Request&, const PathParams&) { return Response(); });

  Request both_headers, inner_only;
  both_headers.headers = {{"x-outer", "1"}, {"x-inner", "1"}};
  inner_only.headers = {{"x-inner", "1"}};
  auto both = router.Find(Method::kGet, "/both");
  ASSERT_NE(both.handler, nullptr);
  EXPECT_EQ((*both.handler)(both_headers, both.params).body, "outer");
  EXPECT_EQ((*both.handler)(inner_only, both.params).body, "inner");
  EXPECT_EQ((*both.handler)(Request(), both.params).status, 200);
  auto outer = router.Find(Method::kGet, "/outer");
  ASSERT_NE(outer.handler, nullptr);
  EXPECT_EQ((*outer.handler)(inner_only, outer.params).status, 200);
  EXPECT_EQ((*outer.handler)(both_headers, outer.params).body, "outer");
}

}  // namespace
}  // namespace parley::http

namespace parley::http {
namespace {

// A tracker starts before the guards and gets the response whoever made it
// (a guard's denial or the handler's answer), sync and async alike, and for
// async routes only when the response is made; a null tracker or a popped
// factory follows nothing.
TEST(RouterTrackerTest, SeesEveryAnswerOfTrackedRoutes) {
  Router router;
  std::vector<std::string> log;
  router.PushTracker([&log](Method m, std::string_view pattern) -> Tracker {
    if (m == Method::kGet) return nullptr;  // only writes are followed
    std::string action = std::string(MethodName(m)) + " " + std::string(pattern);
    return [&log, action](const Request& req, const PathParams& p) -> Completion {
      std::string start = action + " " + std::string(p.Get("thing")) + (req.Header("x-key") ? " keyed" : "");
      return [&log, start](const Response& r) { log.push_back(start + " -> " + std::to_string(r.status)); };
    };
  });
  router.PushGuard([](Method, std::string_view) -> Guard {
    return [](const Request& req, const PathParams&) -> std::optional<Response> {
      if (req.Header("x-key") != nullptr) return std::nullopt;
      Response r;
      r.status = 403;
      return r;
    };
  });
  router.Add(Method::kDelete, "/v1/things/{thing}", [](const Request&, const PathParams&) {
    Response r;
    r.status = 204;
    return r;
  });
  router.Add(Method::kGet, "/v1/things/{thing}", Named("thing"));
  Responder::Make* parked = nullptr;
  Responder::Make held;
  router.AddAsync(Method::kPost, "/v1/things/{thing}:run",
                  [](const Request&, const PathParams&, Responder responder) {
                    Response r;
                    r.status = 202;
                    std::move(responder).Send(std::move(r));
                  });
  router.PopGuard();
  router.PopTracker();
  router.Add(Method::kDelete, "/untracked/{thing}", [](const Request&, const PathParams&) { return Response(); });

  Request anonymous, keyed;
  keyed.headers = {{"x-key", "k"}};
  auto del = router.Find(Method::kDelete, "/v1/things/t1");
  ASSERT_NE(del.handler, nullptr);
  EXPECT_EQ((*del.handler)(anonymous, del.params).status, 403);
  EXPECT_EQ((*del.handler)(keyed, del.params).status, 204);
  auto get = router.Find(Method::kGet, "/v1/things/t1");
  EXPECT_EQ((*get.handler)(keyed, get.params).body, "thing");
  auto run = router.Find(Method::kPost, "/v1/things/t2:run");
  ASSERT_NE(run.async_handler, nullptr);
  (*run.async_handler)(keyed, run.params, Responder([&](Responder::Make make) {
                         held = std::move(make);
                         parked = &held;
                       }));
  // Not made yet: not logged yet.
  EXPECT_THAT(log, ElementsAre("DELETE /v1/things/{thing} t1 -> 403", "DELETE /v1/things/{thing} t1 keyed -> 204"));
  ASSERT_NE(parked, nullptr);
  EXPECT_EQ((*parked)().status, 202);
  auto untracked = router.Find(Method::kDelete, "/untracked/x");
  (*untracked.handler)(anonymous, untracked.params);
  EXPECT_THAT(log, ElementsAre("DELETE /v1/things/{thing} t1 -> 403", "DELETE /v1/things/{thing} t1 keyed -> 204",
                               "POST /v1/things/{thing}:run t2 keyed -> 202"));
}

// On a remote store `parley serve` moves the dialects' inline routes to the
// blocking pool (ADR 0038): routes added meanwhile as kInline become
// kBlocking; kBlocking and kAsync ones stay; later routes are inline again.
TEST(RouterInlineDispatchTest, InlineRoutesAddedMeanwhileTakeTheGivenDispatch) {
  Router router;
  router.Add(Method::kGet, "/healthz", Named("healthz"));
  router.SetInlineDispatch(Dispatch::kBlocking);
  router.Add(Method::kGet, "/v1/things/{thing}", Named("thing"));
  router.Add(Method::kPost, "/v1/things", Named("create"), Dispatch::kBlocking);
  router.AddAsync(Method::kPost, "/v1/things/{thing}:run",
                  [](const Request&, const PathParams&, Responder) {});
  router.SetInlineDispatch(Dispatch::kInline);
  router.Add(Method::kGet, "/readyz", Named("readyz"));
  EXPECT_EQ(router.Find(Method::kGet, "/healthz").dispatch, Dispatch::kInline);
  EXPECT_EQ(router.Find(Method::kGet, "/v1/things/t1").dispatch, Dispatch::kBlocking);
  EXPECT_EQ(Call(router.Find(Method::kGet, "/v1/things/t1")), "thing");
  EXPECT_EQ(router.Find(Method::kPost, "/v1/things").dispatch, Dispatch::kBlocking);
  EXPECT_EQ(router.Find(Method::kPost, "/v1/things/t1:run").dispatch, Dispatch::kAsync);
  EXPECT_EQ(router.Find(Method::kGet, "/readyz").dispatch, Dispatch::kInline);
}

}  // namespace
}  // namespace parley::http
