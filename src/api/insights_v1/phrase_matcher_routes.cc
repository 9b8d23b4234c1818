// Insights v1 phrase matchers:
//   POST/GET      .../phraseMatchers                 create (server-assigned id), list
//   GET/PATCH/DELETE .../phraseMatchers/{matcher}
//
// A matcher is stored as a configuration resource (kind
// service::kPhraseMatcherKind, body core::PhraseMatcher) and compiled into the
// analysis pipeline of its tenant: every write tells the analysis service,
// so the next analysis sees it.
//
// Revisions follow Insights: revisionId changes (and revisionCreateTime moves)
// whenever a matcher is changed, except when only `active` changes, which
// moves activationUpdateTime instead. versionTag defaults to the revisionId.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analysis/phrases/phrase_matcher.h"
#include "analysis/phrases/phrase_matcher_proto.h"
#include "api/insights_v1/mapping.h"
#include "api/insights_v1/paths.h"
#include "api/insights_v1/routes.h"
#include "core/absl_compat.h"
#include "core/filter.h"
#include "core/filter_tree.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "insights_v1/insights.pb.h"

namespace parley::insights_v1 {
namespace {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

constexpr std::string_view kCollection = "/v1/projects/{project}/locations/{location}/phraseMatchers";
constexpr std::string_view kItem =
    "/v1/projects/{project}/locations/{location}/phraseMatchers/{matcher}";

constexpr int kMaxDisplayNameChars = 256;
constexpr int kMaxVersionTagChars = 128;

// A short random revision id (8 digits).
std::string NewRevisionId() { return core::NewId().substr(11); }

size_t Utf8Chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

// The updatable fields, by snake_case path; output-only ones are ignored.
const std::vector<std::string>& UpdatablePaths() {
  static const std::vector<std::string> kPaths = {"display_name", "type", "active",
                                                  "phrase_match_rule_groups", "role_match",
                                                  "version_tag"};
  return kPaths;
}

bool IsOutputOnly(std::string_view path) {
  return path == "name" || path == "revision_id" || path == "revision_create_time" ||
         path == "activation_update_time" || path == "update_time";
}

absl::Status GroupsFromWire(const PhraseMatcher& in, core::PhraseMatcher* out) {
  out->clear_groups();
  for (int g = 0; g < in.phrase_match_rule_groups_size(); ++g) {
    const PhraseMatchRuleGroup& wg = in.phrase_match_rule_groups(g);
    core::PhraseRuleGroup* cg = out->add_groups();
    switch (wg.type()) {
      case PhraseMatchRuleGroup::ALL_OF: cg->set_all_of(true); break;
      case PhraseMatchRuleGroup::ANY_OF: cg->set_all_of(false); break;
      case PhraseMatchRuleGroup::PHRASE_MATCH_RULE_GROUP_TYPE_UNSPECIFIED:
        return absl::InvalidArgumentError(absl::StrCat(
            "phrase_match_rule_groups[", g, "].type is required (ALL_OF or ANY_OF)"));
      default:
        return absl::InvalidArgumentError(absl::StrCat("phrase_match_rule_groups[", g, "].type ",
                                                       static_cast<int>(wg.type()),
                                                       " is not ALL_OF or ANY_OF"));
    }
    for (const PhraseMatchRule& wr : wg.phrase_match_rules()) {
      core::PhraseRule* cr = cg->add_rules();
      cr->set_query(wr.query());
      cr->set_negated(wr.negated());
      cr->set_case_sensitive(wr.config().exact_match_config().case_sensitive());
    }
  }
  return absl::OkStatus();
}

// Copies one updatable field (snake_case path) from `in` to `out`.
absl::Status ApplyPath(std::string_view path, const PhraseMatcher& in, core::PhraseMatcher* out) {
  if (path == "display_name") {
    if (Utf8Chars(in.display_name()) > kMaxDisplayNameChars) {
      return absl::InvalidArgumentError(
          absl::StrCat("display_name is longer than ", kMaxDisplayNameChars, " characters"));
    }
    out->set_display_name(in.display_name());
  } else if (path == "type") {
    switch (in.type()) {
      case PhraseMatcher::ALL_OF: out->set_all_of(true); break;
      case PhraseMatcher::ANY_OF: out->set_all_of(false); break;
      case PhraseMatcher::PHRASE_MATCHER_TYPE_UNSPECIFIED:
        return absl::InvalidArgumentError("type is required (ALL_OF or ANY_OF)");
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("type ", static_cast<int>(in.type()), " is not ALL_OF or ANY_OF"));
    }
  } else if (path == "active") {
    out->set_active(in.active());
  } else if (path == "phrase_match_rule_groups") {
    return GroupsFromWire(in, out);
  } else if (path == "role_match") {
    if (!ConversationParticipant::Role_IsValid(in.role_match())) {
      return absl::InvalidArgumentError(
          absl::StrCat("role_match ", static_cast<int>(in.role_match()), " is not a participant role"));
    }
    out->set_role_match(static_cast<int>(in.role_match()));
  } else if (path == "version_tag") {
    if (Utf8Chars(in.version_tag()) > kMaxVersionTagChars) {
      return absl::InvalidArgumentError(
          absl::StrCat("version_tag is longer than ", kMaxVersionTagChars, " characters"));
    }
    out->set_version_tag(in.version_tag());
  } else if (!IsOutputOnly(path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "update_mask: \"", Sv(path), "\" is not a field of PhraseMatcher that can be updated"));
  }
  return absl::OkStatus();
}

void ToWire(const core::PhraseMatcher& m, PhraseMatcher* out) {
  out->set_name(PhraseMatcherName(m.tenant(), m.location(), m.id()));
  out->set_revision_id(m.revision_id());
  out->set_version_tag(m.version_tag());
  if (m.revision_create_time_us() != 0) {
    SetTimestamp(m.revision_create_time_us(), out->mutable_revision_create_time());
  }
  out->set_display_name(m.display_name());
  out->set_type(m.all_of() ? PhraseMatcher::ALL_OF : PhraseMatcher::ANY_OF);
  out->set_active(m.active());
  for (const core::PhraseRuleGroup& g : m.groups()) {
    PhraseMatchRuleGroup* wg = out->add_phrase_match_rule_groups();
    wg->set_type(g.all_of() ? PhraseMatchRuleGroup::ALL_OF : PhraseMatchRuleGroup::ANY_OF);
    for (const core::PhraseRule& r : g.rules()) {
      PhraseMatchRule* wr = wg->add_phrase_match_rules();
      wr->set_query(r.query());
      wr->set_negated(r.negated());
      // Exact match is the only kind there is: always say so.
      wr->mutable_config()->mutable_exact_match_config()->set_case_sensitive(r.case_sensitive());
    }
  }
  if (m.activation_update_time_us() != 0) {
    SetTimestamp(m.activation_update_time_us(), out->mutable_activation_update_time());
  }
  out->set_role_match(static_cast<ConversationParticipant::Role>(m.role_match()));
  if (m.update_time_us() != 0) SetTimestamp(m.update_time_us(), out->mutable_update_time());
}

absl::Status Validate(const core::PhraseMatcher& m) {
  return analysis::phrases::Validate(analysis::phrases::SpecFromProto(m));
}

// The matcher without what changes on its own (times, revision, activation):
// two matchers with equal content are the same revision.
core::PhraseMatcher Content(const core::PhraseMatcher& m) {
  core::PhraseMatcher c = m;
  c.clear_active();
  c.clear_revision_id();
  c.clear_create_time_us();
  c.clear_update_time_us();
  c.clear_revision_create_time_us();
  c.clear_activation_update_time_us();
  return c;
}

// A phrase matcher list filter, evaluated on each matcher. Fields: type,
// role_match, active, display_name, version_tag; `=` and `!=` (`:` on
// display_name: contains), AND, OR, NOT.
absl::Status CheckFilter(const core::FilterExpr& e) {
  if (e.kind != core::FilterExpr::Kind::kCompare) {
    for (const auto& c : e.children) {
      if (auto s = CheckFilter(c); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  const std::string field = e.field.size() == 1 ? SnakeCase(e.field[0]) : "";
  static const char kFields[] = "type, role_match, active, display_name, version_tag";
  if (field != "type" && field != "role_match" && field != "active" && field != "display_name" &&
      field != "version_tag") {
    std::string name;
    for (const auto& part : e.field) absl::StrAppend(&name, name.empty() ? "" : ".", part);
    return absl::InvalidArgumentError(absl::StrCat("invalid filter: phrase matchers cannot be filtered on \"",
                                                   name, "\"; the fields are ", kFields));
  }
  const bool has = e.op == core::CompareOp::kHas;
  if (e.op != core::CompareOp::kEq && e.op != core::CompareOp::kNe &&
      !(has && field == "display_name")) {
    return absl::InvalidArgumentError(absl::StrCat("invalid filter: ", field, " supports = and !=",
                                                   field == "display_name" ? " and :" : "",
                                                   ", not ", Sv(core::CompareOpText(e.op))));
  }
  const std::string v = absl::AsciiStrToUpper(e.value);
  if (field == "type" && v != "ALL_OF" && v != "ANY_OF") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid filter: type must be ALL_OF or ANY_OF, not \"", e.value, "\""));
  }
  if (field == "role_match") {
    ConversationParticipant::Role role;
    if (!ConversationParticipant::Role_Parse(v, &role)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter: role_match \"", e.value, "\" is not a participant role"));
    }
  }
  if (field == "active" && v != "TRUE" && v != "FALSE") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid filter: active must be true or false, not \"", e.value, "\""));
  }
  return absl::OkStatus();
}

bool MatchesCompare(const core::FilterExpr& e, const core::PhraseMatcher& m) {
  const std::string field = SnakeCase(e.field[0]);
  const std::string v = absl::AsciiStrToUpper(e.value);
  if (e.op == core::CompareOp::kHas) return m.display_name().find(e.value) != std::string::npos;
  bool eq = false;
  if (field == "type") {
    eq = (v == "ALL_OF") == m.all_of();
  } else if (field == "role_match") {
    ConversationParticipant::Role role = ConversationParticipant::ROLE_UNSPECIFIED;
    ConversationParticipant::Role_Parse(v, &role);
    eq = static_cast<int>(role) == m.role_match();
  } else if (field == "active") {
    eq = (v == "TRUE") == m.active();
  } else if (field == "display_name") {
    eq = m.display_name() == e.value;
  } else if (field == "version_tag") {
    eq = m.version_tag() == e.value;
  }
  return e.op == core::CompareOp::kNe ? !eq : eq;
}

bool Matches(const core::FilterExpr& e, const core::PhraseMatcher& m) {
  return *core::EvalFilter(e, [&m](const core::FilterExpr& leaf) -> absl::StatusOr<bool> {
    return MatchesCompare(leaf, m);
  });
}

class PhraseMatcherHandlers {
 public:
  explicit PhraseMatcherHandlers(const Services& services) : s_(services) {}

  Response Create(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckParent(p); !st.ok()) return Error(st);
    if (auto st = CheckFields(*q, PhraseMatcher::default_instance()); !st.ok()) return Error(st);
    if (p.Get("location") == "-") {
      return Error(absl::InvalidArgumentError("a phrase matcher must be created in one location, not \"-\""));
    }
    PhraseMatcher wire;
    if (auto st = ParseBody(req, "phrase_matcher", &wire); !st.ok()) return Error(st);
    core::PhraseMatcher m;
    for (const std::string& path : UpdatablePaths()) {
      if (auto st = ApplyPath(path, wire, &m); !st.ok()) return Error(st);
    }
    if (auto st = Validate(m); !st.ok()) return Error(st);
    const int64_t now = core::NowMicros();
    m.set_tenant(std::string(p.Get("project")));
    m.set_location(std::string(p.Get("location")));
    m.set_id(core::NewId());
    m.set_revision_id(NewRevisionId());
    if (m.version_tag().empty()) m.set_version_tag(m.revision_id());
    m.set_create_time_us(now);
    m.set_update_time_us(now);
    m.set_revision_create_time_us(now);
    if (m.active()) m.set_activation_update_time_us(now);
    if (auto st = s_.resources->Create(KeyOf(m.tenant(), m.location(), m.id()), now, m); !st.ok()) {
      return Error(st);
    }
    s_.analysis->PhraseMatchersChanged(m.tenant());
    PhraseMatcher out;
    ToWire(m, &out);
    return Json(out, *q);
  }

  Response Get(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    auto m = Load(p);
    if (!m.ok()) return Error(m.status());
    PhraseMatcher out;
    ToWire(*m, &out);
    return Json(out, *q);
  }

  Response List(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}, {"filter", "filter"}});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckParent(p); !st.ok()) return Error(st);
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const int page_size = PageSize(*size);
    const std::string filter_text =
        q->Get("filter") ? std::string(absl::StripAsciiWhitespace(*q->Get("filter"))) : "";
    std::optional<core::FilterExpr> filter;
    if (!filter_text.empty()) {
      auto expr = core::ParseFilter(filter_text);
      if (!expr.ok()) return Error(expr.status());
      if (auto st = CheckFilter(*expr); !st.ok()) return Error(st);
      filter = std::move(*expr);
    }
    const std::string fingerprint =
        absl::StrCat("phraseMatchers\x1f", Sv(p.Get("location")), "\x1f", filter_text);
    auto cursor = PageCursor(*q, s_.conversations->tokens(), fingerprint);
    if (!cursor.ok()) return Error(cursor.status());
    const std::string after = *cursor ? (*cursor)->id : std::string();
    const std::string_view location = p.Get("location") == "-" ? std::string_view() : p.Get("location");
    ListPhraseMatchersResponse out;
    auto next = s_.resources->Scan(
        p.Get("project"), service::kPhraseMatcherKind, location, after,
        filter ? std::max(page_size, 100) : page_size + 1,
        [&](std::string_view, const std::string& body) -> absl::StatusOr<bool> {
          if (out.phrase_matchers_size() == page_size) return false;  // rows remain after a full page
          core::PhraseMatcher m;
          if (!m.ParseFromString(body)) return absl::InternalError("stored phrase matcher is corrupt");
          if (!filter || Matches(*filter, m)) ToWire(m, out.add_phrase_matchers());
          return true;
        });
    if (!next.ok()) return Error(next.status());
    if (*next) {
      out.set_next_page_token(s_.conversations->tokens().Encode(core::ListCursor{0, **next}, fingerprint));
    }
    return Json(out, *q);
  }

  Response Patch(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"update_mask", "updateMask"}});
    if (!q.ok()) return Error(q.status());
    if (auto st = CheckFields(*q, PhraseMatcher::default_instance()); !st.ok()) return Error(st);
    PhraseMatcher patch;
    if (auto st = ParseBody(req, "phrase_matcher", &patch); !st.ok()) return Error(st);
    const std::string expected = PhraseMatcherName(p.Get("project"), p.Get("location"), p.Get("matcher"));
    if (auto st = CheckNameMatchesUrl("phrase_matcher.name", patch.name(), expected); !st.ok()) {
      return Error(st);
    }
    const std::vector<std::string> paths = PatchPaths(*q, patch, UpdatablePaths());
    core::PhraseMatcher m;
    absl::Status st = s_.resources->Update(
        KeyOf(p.Get("project"), p.Get("location"), p.Get("matcher")), /*create_if_absent=*/false, &m,
        [&](google::protobuf::Message&, int64_t) -> absl::StatusOr<int64_t> {
          const core::PhraseMatcher before = m;
          for (const std::string& path : paths) {
            if (auto e = ApplyPath(path, patch, &m); !e.ok()) return e;
          }
          if (auto e = Validate(m); !e.ok()) return e;
          const int64_t now = std::max(core::NowMicros(), before.update_time_us() + 1);
          if (!google::protobuf::util::MessageDifferencer::Equals(Content(before), Content(m))) {
            m.set_revision_id(NewRevisionId());
            m.set_revision_create_time_us(now);
            // A version tag that was the old revision's id follows the revision.
            if (m.version_tag().empty() || m.version_tag() == before.revision_id()) {
              m.set_version_tag(m.revision_id());
            }
          } else if (m.version_tag().empty()) {
            m.set_version_tag(m.revision_id());
          }
          if (m.active() != before.active()) m.set_activation_update_time_us(now);
          m.set_update_time_us(now);
          return now;
        });
    if (!st.ok()) return Error(NotFound(p, st));
    s_.analysis->PhraseMatchersChanged(m.tenant());
    PhraseMatcher out;
    ToWire(m, &out);
    return Json(out, *q);
  }

  Response Delete(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {});
    if (!q.ok()) return Error(q.status());
    if (auto st = s_.resources->Delete(KeyOf(p.Get("project"), p.Get("location"), p.Get("matcher")));
        !st.ok()) {
      return Error(NotFound(p, st));
    }
    s_.analysis->PhraseMatchersChanged(p.Get("project"));
    Response r;
    r.body = "{}";
    return r;
  }

 private:
  static service::ResourceKey KeyOf(std::string_view tenant, std::string_view location,
                                    std::string_view id) {
    return service::ResourceKey{tenant, service::kPhraseMatcherKind, location, id};
  }

  static absl::Status NotFound(const PathParams& p, const absl::Status& s) {
    if (!absl::IsNotFound(s)) return s;
    return absl::NotFoundError(absl::StrCat("phrase matcher \"", Sv(p.Get("matcher")), "\" not found"));
  }

  // The stored matcher of the URL; NOT_FOUND when absent or in another location.
  absl::StatusOr<core::PhraseMatcher> Load(const PathParams& p) {
    core::PhraseMatcher m;
    auto stored = s_.resources->Get(KeyOf(p.Get("project"), p.Get("location"), p.Get("matcher")), &m);
    if (!stored.ok()) return NotFound(p, stored.status());
    return m;
  }

  Services s_;
};

}  // namespace

void AddPhraseMatcherRoutes(const Services& services, http::Router* router) {
  auto h = std::make_shared<PhraseMatcherHandlers>(services);
  auto bind = [h](Response (PhraseMatcherHandlers::*fn)(const Request&, const PathParams&)) {
    return [h, fn](const Request& r, const PathParams& p) { return ((*h).*fn)(r, p); };
  };
  router->Add(Method::kPost, kCollection, bind(&PhraseMatcherHandlers::Create), http::Dispatch::kBlocking);
  router->Add(Method::kGet, kCollection, bind(&PhraseMatcherHandlers::List), http::Dispatch::kBlocking);
  router->Add(Method::kGet, kItem, bind(&PhraseMatcherHandlers::Get));
  router->Add(Method::kPatch, kItem, bind(&PhraseMatcherHandlers::Patch), http::Dispatch::kBlocking);
  router->Add(Method::kDelete, kItem, bind(&PhraseMatcherHandlers::Delete), http::Dispatch::kBlocking);
}

}  // namespace parley::insights_v1
