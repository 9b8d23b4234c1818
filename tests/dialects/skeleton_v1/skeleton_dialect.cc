// The skeleton dialect: the smallest complete dialect.
//
//   POST /skeleton/v1/tenants/{tenant}/notes   {"id": "n-1", "text": "...", "speaker": "CUSTOMER"}
//   GET  /skeleton/v1/tenants/{tenant}/notes/{note}
//
// A note is a chat conversation with one message, in scope "global" of the
// tenant, so Insights shows it at projects/{tenant}/locations/global.
// Errors: {"problem": {"status": 404, "code": "NOT_FOUND", "detail": "..."}}.
// Credential: the X-Skeleton-Key header.
#include "dialects/skeleton_v1/skeleton_dialect.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "api/http/status.h"
#include "core/absl_compat.h"
#include "service/conversation_service.h"

namespace parley::skeleton_v1 {
namespace {

constexpr std::string_view kScope = "global";

http::Response Problem(int http_status, absl::StatusCode code, std::string_view detail) {
  http::Response r;
  r.status = http_status;
  r.content_type = "application/json";
  r.body = "{\"problem\":{\"status\":" + std::to_string(http_status) + ",\"code\":\"" +
           std::string(http::CanonicalCodeName(code)) + "\",\"detail\":";
  http::AppendJsonString(detail, &r.body);
  r.body += "}}";
  return r;
}

http::Response Problem(const absl::Status& s) {
  return Problem(http::HttpStatusFor(s.code()), s.code(),
                 std::string_view(s.message().data(), s.message().size()));
}

// The value of a top-level string member of a flat JSON object (enough for
// this dialect's one request shape); empty when absent.
std::string Member(std::string_view json, std::string_view name) {
  const std::string key = "\"" + std::string(name) + "\"";
  size_t at = json.find(key);
  if (at == std::string_view::npos) return "";
  at = json.find('"', json.find(':', at + key.size()));
  if (at == std::string_view::npos) return "";
  size_t end = json.find('"', at + 1);
  return end == std::string_view::npos ? "" : std::string(json.substr(at + 1, end - at - 1));
}

http::Response NoteJson(const core::Conversation& c) {
  http::Response r;
  r.content_type = "application/json";
  const core::Message* m = c.messages_size() > 0 ? &c.messages(0) : nullptr;
  const bool customer = c.participants_size() > 0 && c.participants(0).role() == core::END_USER;
  r.body = "{\"id\":";
  http::AppendJsonString(c.id(), &r.body);
  r.body += ",\"text\":";
  http::AppendJsonString(m ? m->text() : "", &r.body);
  r.body += customer ? ",\"speaker\":\"CUSTOMER\"}" : ",\"speaker\":\"AGENT\"}";
  return r;
}

class SkeletonDialect : public api::Dialect {
 public:
  std::string_view name() const override { return "skeleton_v1"; }

  bool Owns(std::string_view path) const override {
    return absl::StartsWith(Sv(path), "/skeleton/");
  }

  void AddRoutes(const api::ServerConfig&, const api::Services& services,
                 http::Router* router) override {
    service::ConversationService* conversations = services.conversations;
    router->Add(
        http::Method::kPost, "/skeleton/v1/tenants/{tenant}/notes",
        [conversations](const http::Request& req, const http::PathParams& p) {
          const std::string speaker = Member(req.body, "speaker");
          if (speaker != "CUSTOMER" && speaker != "AGENT") {
            return Problem(absl::InvalidArgumentError("speaker must be CUSTOMER or AGENT"));
          }
          core::Conversation c;
          c.set_tenant(std::string(p.Get("tenant")));
          c.set_scope(std::string(kScope));
          c.set_id(Member(req.body, "id"));
          c.set_medium(core::CHAT);
          c.set_source(core::LIVE);
          core::Participant* who = c.add_participants();
          who->set_id("p1");
          who->set_role(speaker == "CUSTOMER" ? core::END_USER : core::HUMAN_AGENT);
          core::Message* m = c.add_messages();
          m->set_participant_id("p1");
          m->set_text(Member(req.body, "text"));
          auto created = conversations->Create(std::move(c));
          if (!created.ok()) return Problem(created.status());
          return NoteJson(*created);
        },
        http::Dispatch::kBlocking);
    router->Add(http::Method::kGet, "/skeleton/v1/tenants/{tenant}/notes/{note}",
                [conversations](const http::Request&, const http::PathParams& p) {
                  auto c = conversations->Get(p.Get("tenant"), kScope, p.Get("note"));
                  if (!c.ok()) return Problem(c.status());
                  return NoteJson(*c);
                });
  }

  http::Response RenderError(int http_status, const std::string& message) const override {
    return Problem(http_status, http::CodeForHttpStatus(http_status), message);
  }

  api::Caller FindCaller(const http::Request& request, const http::PathParams& params) const override {
    api::Caller caller;
    caller.tenant = std::string(Tenant(params));
    for (const auto& [name, value] : request.headers) {
      if (name == "x-skeleton-key") caller.credential = value;
    }
    return caller;
  }
  std::string_view TenantParam() const override { return "tenant"; }
};

}  // namespace

std::unique_ptr<api::Dialect> MakeDialect() { return std::make_unique<SkeletonDialect>(); }

}  // namespace parley::skeleton_v1
