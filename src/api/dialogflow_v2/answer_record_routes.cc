// projects/{p}[/locations/{l}]/answerRecords: list (filter on
// conversation_id, paging) and patch (answer_feedback, with update_mask).
// Records are written by the suggesting calls (RecordAnswers).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/ascii.h"
#include "api/dialogflow_v2/answer_records.h"
#include "api/dialogflow_v2/common.h"
#include "api/dialogflow_v2/routes.h"
#include "api/google/timestamps.h"
#include "core/absl_compat.h"
#include "core/filter.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "parley/knowledge.pb.h"
#include "service/conversation_service.h"
#include "service/resource_service.h"

namespace parley::dialogflow_v2 {

namespace {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;

// The answers of one SuggestionResult, in order, as records.
void Collect(SuggestionResult* r, std::vector<std::pair<core::AnswerRecord, std::string*>>* out) {
  if (r->has_suggest_articles_response()) {
    for (ArticleAnswer& a : *r->mutable_suggest_articles_response()->mutable_article_answers()) {
      core::AnswerRecord rec;
      rec.set_kind(core::AnswerRecord::ARTICLE);
      rec.set_title(a.title());
      rec.set_uri(a.uri());
      for (const std::string& s : a.snippets()) rec.add_snippets(s);
      rec.set_confidence(a.confidence());
      for (const auto& [k, v] : a.metadata()) (*rec.mutable_metadata())[k] = v;
      out->emplace_back(std::move(rec), a.mutable_answer_record());
    }
  } else if (r->has_suggest_faq_answers_response()) {
    for (FaqAnswer& a : *r->mutable_suggest_faq_answers_response()->mutable_faq_answers()) {
      core::AnswerRecord rec;
      rec.set_kind(core::AnswerRecord::FAQ);
      rec.set_question(a.question());
      rec.set_answer(a.answer());
      rec.set_source(a.source());
      rec.set_confidence(a.confidence());
      for (const auto& [k, v] : a.metadata()) (*rec.mutable_metadata())[k] = v;
      out->emplace_back(std::move(rec), a.mutable_answer_record());
    }
  } else if (r->has_suggest_smart_replies_response()) {
    for (SmartReplyAnswer& a : *r->mutable_suggest_smart_replies_response()->mutable_smart_reply_answers()) {
      core::AnswerRecord rec;
      rec.set_kind(core::AnswerRecord::SMART_REPLY);
      rec.set_answer(a.reply());
      rec.set_confidence(a.confidence());
      out->emplace_back(std::move(rec), a.mutable_answer_record());
    }
  }
}

std::string RecordName(const Place& place, std::string_view id) {
  return absl::StrCat(place.prefix, "/answerRecords/", Sv(id));
}

void FeedbackToWire(const core::AnswerFeedback& in, AnswerFeedback* out) {
  out->set_correctness_level(static_cast<AnswerFeedback::CorrectnessLevel>(in.correctness_level()));
  out->set_clicked(in.clicked());
  if (in.click_time_us() != 0) google_api::SetTimestamp(in.click_time_us(), out->mutable_click_time());
  out->set_displayed(in.displayed());
  if (in.display_time_us() != 0) google_api::SetTimestamp(in.display_time_us(), out->mutable_display_time());
  if (!in.has_detail()) return;
  const core::AnswerFeedback::Detail& d = in.detail();
  AgentAssistantFeedback* w = out->mutable_agent_assistant_detail_feedback();
  w->set_answer_relevance(static_cast<AgentAssistantFeedback::AnswerRelevance>(d.answer_relevance()));
  w->set_document_correctness(static_cast<AgentAssistantFeedback::DocumentCorrectness>(d.document_correctness()));
  w->set_document_efficiency(static_cast<AgentAssistantFeedback::DocumentEfficiency>(d.document_efficiency()));
  if (d.has_summarization()) {
    auto* s = w->mutable_summarization_feedback();
    if (d.summarization().start_time_us() != 0) {
      google_api::SetTimestamp(d.summarization().start_time_us(), s->mutable_start_time());
    }
    if (d.summarization().submit_time_us() != 0) {
      google_api::SetTimestamp(d.summarization().submit_time_us(), s->mutable_submit_time());
    }
    s->set_summary_text(d.summarization().summary_text());
    for (const auto& [k, v] : d.summarization().text_sections()) (*s->mutable_text_sections())[k] = v;
  }
  if (d.has_knowledge_search()) {
    w->mutable_knowledge_search_feedback()->set_answer_copied(d.knowledge_search().answer_copied());
    for (const std::string& u : d.knowledge_search().clicked_uris()) {
      w->mutable_knowledge_search_feedback()->add_clicked_uris(u);
    }
  }
  if (d.has_knowledge_assist()) {
    w->mutable_knowledge_assist_feedback()->set_answer_copied(d.knowledge_assist().answer_copied());
    for (const std::string& u : d.knowledge_assist().clicked_uris()) {
      w->mutable_knowledge_assist_feedback()->add_clicked_uris(u);
    }
  }
}

core::AnswerFeedback::Detail DetailFromWire(const AgentAssistantFeedback& w) {
  core::AnswerFeedback::Detail d;
  d.set_answer_relevance(w.answer_relevance());
  d.set_document_correctness(w.document_correctness());
  d.set_document_efficiency(w.document_efficiency());
  if (w.has_summarization_feedback()) {
    const auto& s = w.summarization_feedback();
    auto* o = d.mutable_summarization();
    if (s.has_start_time()) o->set_start_time_us(google_api::Micros(s.start_time()));
    if (s.has_submit_time()) o->set_submit_time_us(google_api::Micros(s.submit_time()));
    o->set_summary_text(s.summary_text());
    for (const auto& [k, v] : s.text_sections()) (*o->mutable_text_sections())[k] = v;
  }
  if (w.has_knowledge_search_feedback()) {
    d.mutable_knowledge_search()->set_answer_copied(w.knowledge_search_feedback().answer_copied());
    for (const std::string& u : w.knowledge_search_feedback().clicked_uris()) d.mutable_knowledge_search()->add_clicked_uris(u);
  }
  if (w.has_knowledge_assist_feedback()) {
    d.mutable_knowledge_assist()->set_answer_copied(w.knowledge_assist_feedback().answer_copied());
    for (const std::string& u : w.knowledge_assist_feedback().clicked_uris()) d.mutable_knowledge_assist()->add_clicked_uris(u);
  }
  return d;
}

void RecordToWire(const core::AnswerRecord& r, const Place& place, std::string_view id, AnswerRecord* out) {
  out->set_name(RecordName(place, id));
  FeedbackToWire(r.feedback(), out->mutable_answer_feedback());
  if (r.kind() == core::AnswerRecord::ARTICLE) {
    ArticleAnswer* a = out->mutable_agent_assistant_record()->mutable_article_suggestion_answer();
    a->set_title(r.title());
    a->set_uri(r.uri());
    for (const std::string& s : r.snippets()) a->add_snippets(s);
    a->set_confidence(r.confidence());
    for (const auto& [k, v] : r.metadata()) (*a->mutable_metadata())[k] = v;
    a->set_answer_record(out->name());
  } else if (r.kind() == core::AnswerRecord::FAQ) {
    FaqAnswer* a = out->mutable_agent_assistant_record()->mutable_faq_answer();
    a->set_question(r.question());
    a->set_answer(r.answer());
    a->set_source(r.source());
    a->set_confidence(r.confidence());
    for (const auto& [k, v] : r.metadata()) (*a->mutable_metadata())[k] = v;
    a->set_answer_record(out->name());
  }
}

// A record id "<set id>~<index>" split; false when malformed.
bool SplitRecordId(std::string_view id, std::string* set_id, int* index) {
  const size_t tilde = id.rfind('~');
  if (tilde == std::string_view::npos || tilde == 0 || tilde + 1 >= id.size() || tilde + 6 < id.size()) return false;
  int n = 0;
  for (char c : id.substr(tilde + 1)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    n = n * 10 + (c - '0');
  }
  *set_id = std::string(id.substr(0, tilde));
  *index = n;
  return true;
}

// The largest id before `id` (ids are printable ASCII), so that a scan
// "after" it starts at `id` itself.
std::string JustBefore(std::string id) {
  id.back() = static_cast<char>(id.back() - 1);
  id += '\x7f';
  return id;
}

// filter: conversation_id = "ID" (an id or the conversation's name); empty
// is every record.
absl::StatusOr<std::string> ConversationFilter(std::string_view text) {
  if (text.empty()) return std::string();
  auto expr = core::ParseFilter(text);
  if (!expr.ok()) return expr.status();
  const std::string field = absl::StrJoin(expr->field, ".");
  if (expr->kind != core::FilterExpr::Kind::kCompare || (field != "conversation_id" && field != "conversationId") ||
      expr->op != core::CompareOp::kEq) {
    return absl::InvalidArgumentError(
        "filter: the supported filter is conversation_id = ID (one conversation's records)");
  }
  std::string id = expr->value;
  if (size_t slash = id.rfind("/conversations/"); slash != std::string::npos) {
    id = id.substr(slash + std::string_view("/conversations/").size());
  }
  if (id.empty() || id.find('~') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("filter: \"", expr->value, "\" is not a conversation id"));
  }
  return id;
}

class AnswerRecordHandlers {
 public:
  explicit AnswerRecordHandlers(const api::Services& services) : s_(services) {}

  Response List(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"page_size", "pageSize"}, {"page_token", "pageToken"}, {"filter", "filter"}});
    if (!q.ok()) return Error(q.status());
    auto size = ParsePageSize(*q);
    if (!size.ok()) return Error(size.status());
    const Place place = PlaceOf(p);
    const std::string filter_text =
        q->Get("filter") ? std::string(absl::StripAsciiWhitespace(*q->Get("filter"))) : "";
    auto conversation = ConversationFilter(filter_text);
    if (!conversation.ok()) return Error(conversation.status());
    const std::string prefix = conversation->empty() ? "" : absl::StrCat(*conversation, "~");
    const std::string fingerprint = absl::StrCat("dialogflow_v2/answerRecords\x1f", place.scope, "\x1f", *conversation);
    // The token is the last record returned: the next page starts after it.
    std::string after_set;
    int after_index = -1;
    auto cursor = PageCursor(*q, s_.conversations->tokens(), fingerprint);
    if (!cursor.ok()) return Error(cursor.status());
    if (*cursor) {
      if (!SplitRecordId((*cursor)->id, &after_set, &after_index)) {
        return Error(absl::InvalidArgumentError("page_token is invalid"));
      }
    }
    const int page_size = PageSize(*size);
    ListAnswerRecordsResponse out;
    std::string last;
    bool more = false;
    const std::string start = !after_set.empty() ? JustBefore(after_set) : prefix;
    auto scanned = s_.resources->Scan(
        place.project, kAnswerRecordKind, place.scope, start, 64,
        [&](std::string_view id, const std::string& body) -> absl::StatusOr<bool> {
          if (!prefix.empty() && id.substr(0, prefix.size()) != std::string_view(prefix)) return false;
          core::AnswerRecordSet set;
          if (!set.ParseFromString(body)) return absl::InternalError("stored answer records are corrupt");
          const int from = id == after_set ? after_index + 1 : 0;
          for (int i = from; i < set.records_size(); ++i) {
            if (out.answer_records_size() == page_size) {
              more = true;
              return false;
            }
            const std::string record_id = absl::StrCat(Sv(id), "~", i);
            RecordToWire(set.records(i), place, record_id, out.add_answer_records());
            last = record_id;
          }
          return true;
        });
    if (!scanned.ok()) return Error(scanned.status());
    if (more) out.set_next_page_token(s_.conversations->tokens().Encode(core::ListCursor{0, last}, fingerprint));
    return Json(out, *q);
  }

  Response Patch(const Request& req, const PathParams& p) {
    auto q = Query::Parse(req, {{"update_mask", "updateMask"}});
    if (!q.ok()) return Error(q.status());
    AnswerRecord patch;
    if (auto st = ParseBody(req, "answer_record", &patch); !st.ok()) return Error(st);
    const Place place = PlaceOf(p);
    const std::string_view id = p.Get("answer_record");
    if (auto st = CheckNameMatchesUrl("answer_record.name", patch.name(), RecordName(place, id)); !st.ok()) {
      return Error(st);
    }
    static const std::vector<std::string> kAll = {"answer_feedback"};
    std::vector<std::string> paths = PatchPaths(*q, patch, kAll);
    static const std::vector<std::string> kFeedback = {
        "correctness_level", "clicked", "click_time", "displayed", "display_time", "agent_assistant_detail_feedback"};
    for (std::string& path : paths) {
      if (path == "name") continue;
      if (path == "answer_feedback") continue;
      if (path.rfind("answer_feedback.", 0) == 0) {
        std::string rest = path.substr(std::string_view("answer_feedback.").size());
        rest = rest.substr(0, rest.find('.'));  // a detail feedback's own fields: the whole detail
        if (std::find(kFeedback.begin(), kFeedback.end(), rest) != kFeedback.end()) {
          path = "answer_feedback." + rest;
          continue;
        }
      }
      return Error(absl::InvalidArgumentError(
          absl::StrCat("update_mask: \"", path, "\" is not an updatable field of AnswerRecord (answer_feedback "
                       "and its fields are)")));
    }
    std::string set_id;
    int index = 0;
    if (!SplitRecordId(id, &set_id, &index)) return Error(NotFound(id));
    const AnswerFeedback& w = patch.answer_feedback();
    auto has = [&](std::string_view field) {
      const std::string full = absl::StrCat("answer_feedback.", Sv(field));
      return std::find(paths.begin(), paths.end(), "answer_feedback") != paths.end() ||
             std::find(paths.begin(), paths.end(), full) != paths.end();
    };
    core::AnswerRecordSet set;
    absl::Status st = s_.resources->Update(
        service::ResourceKey{place.project, kAnswerRecordKind, place.scope, set_id}, false, &set,
        [&](google::protobuf::Message& m, int64_t stored_update_time_us) -> absl::StatusOr<int64_t> {
          auto& s = static_cast<core::AnswerRecordSet&>(m);
          if (index >= s.records_size()) return NotFound(id);
          const int64_t now = std::max(core::NowMicros(), stored_update_time_us + 1);
          core::AnswerFeedback* f = s.mutable_records(index)->mutable_feedback();
          if (has("correctness_level")) f->set_correctness_level(w.correctness_level());
          if (has("clicked")) f->set_clicked(w.clicked());
          if (has("click_time")) f->set_click_time_us(w.has_click_time() ? google_api::Micros(w.click_time()) : 0);
          if (has("displayed")) f->set_displayed(w.displayed());
          if (has("display_time")) {
            f->set_display_time_us(w.has_display_time() ? google_api::Micros(w.display_time()) : 0);
          }
          if (has("agent_assistant_detail_feedback")) {
            if (w.has_agent_assistant_detail_feedback()) {
              *f->mutable_detail() = DetailFromWire(w.agent_assistant_detail_feedback());
            } else {
              f->clear_detail();
            }
          }
          s.mutable_records(index)->set_update_time_us(now);
          return now;
        });
    if (!st.ok()) return Error(absl::IsNotFound(st) ? NotFound(id) : st);
    AnswerRecord out;
    RecordToWire(set.records(index), place, id, &out);
    return Json(out, *q);
  }

 private:
  static absl::Status NotFound(std::string_view id) {
    return absl::NotFoundError(absl::StrCat("answer record \"", Sv(id), "\" not found"));
  }

  api::Services s_;
};

}  // namespace

service::NewResource NamedAnswers::resource() const {
  return service::NewResource{service::ResourceKey{tenant, kAnswerRecordKind, scope, set_id}, time_us, &set};
}

std::optional<NamedAnswers> NameAnswers(const Place& place, std::string_view conversation_id,
                                        std::string_view call_id, const std::vector<SuggestionResult*>& results,
                                        SuggestConversationSummaryResponse::Summary* summary) {
  std::vector<std::pair<core::AnswerRecord, std::string*>> answers;
  for (SuggestionResult* r : results) Collect(r, &answers);
  if (summary != nullptr) {
    core::AnswerRecord rec;
    rec.set_kind(core::AnswerRecord::SUMMARY);
    rec.set_answer(summary->text());
    answers.emplace_back(std::move(rec), summary->mutable_answer_record());
  }
  if (answers.empty()) return std::nullopt;
  NamedAnswers named;
  named.tenant = place.project;
  named.scope = place.scope;
  named.set_id = absl::StrCat(Sv(conversation_id), "~", Sv(call_id));
  named.time_us = core::NowMicros();
  named.set.set_conversation_id(std::string(conversation_id));
  named.set.set_create_time_us(named.time_us);
  for (size_t i = 0; i < answers.size(); ++i) {
    *answers[i].second = RecordName(place, absl::StrCat(named.set_id, "~", i));
    answers[i].first.set_update_time_us(named.time_us);
    *named.set.add_records() = std::move(answers[i].first);
  }
  return named;
}

absl::Status RecordAnswers(const api::Services& services, const Place& place, std::string_view conversation_id,
                           std::string_view call_id, const std::vector<SuggestionResult*>& results,
                           SuggestConversationSummaryResponse::Summary* summary) {
  std::optional<NamedAnswers> named = NameAnswers(place, conversation_id, call_id, results, summary);
  if (!named) return absl::OkStatus();
  const service::NewResource r = named->resource();
  absl::Status s = services.resources->Create(r.key, r.time_us, *r.body);
  // A retry of the same call (analyzeContent's requestId): its records exist.
  if (absl::IsAlreadyExists(s)) return absl::OkStatus();
  return s;
}

void AddAnswerRecordRoutes(const api::ServerConfig&, const api::Services& services, http::Router* router) {
  auto h = std::make_shared<AnswerRecordHandlers>(services);
  AddBoth(router, Method::kGet, "/answerRecords",
          [h](const Request& r, const PathParams& p) { return h->List(r, p); }, http::Dispatch::kBlocking);
  AddBoth(router, Method::kPatch, "/answerRecords/{answer_record}",
          [h](const Request& r, const PathParams& p) { return h->Patch(r, p); }, http::Dispatch::kBlocking);
}

}  // namespace parley::dialogflow_v2
