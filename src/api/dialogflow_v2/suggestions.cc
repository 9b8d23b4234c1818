#include "api/dialogflow_v2/suggestions.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analysis/knowledge/terms.h"
#include "core/absl_compat.h"
#include "core/conversation_query.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "service/conversation_service.h"
#include "service/knowledge_service.h"

namespace parley::dialogflow_v2 {
namespace {

// The id of a knowledge base name of `project`
// ("projects/P/knowledgeBases/KB" or "projects/P/locations/L/knowledgeBases/KB"),
// or empty when it names another project's or is malformed.
std::string KnowledgeBaseIdOf(std::string_view name, std::string_view project) {
  std::vector<std::string> parts = absl::StrSplit(Sv(name), '/');
  if (parts.size() == 4 && parts[0] == "projects" && parts[2] == "knowledgeBases" && parts[1] == project) {
    return std::string(parts[3]);
  }
  if (parts.size() == 6 && parts[0] == "projects" && parts[2] == "locations" && parts[4] == "knowledgeBases" &&
      parts[1] == project) {
    return std::string(parts[5]);
  }
  return "";
}

std::string ScopePrefix(std::string_view project, std::string_view scope) {
  if (scope.empty() || scope == "global") return absl::StrCat("projects/", Sv(project));
  return absl::StrCat("projects/", Sv(project), "/locations/", Sv(scope));
}

// Names under the knowledge base's scope, in the request's form when it is
// the request's scope.
std::string PrefixFor(const Place& place, std::string_view scope) {
  if (scope == place.scope) return place.prefix;
  return ScopePrefix(place.project, scope);
}

std::vector<std::string> SortedTerms(std::string_view text) {
  std::vector<std::string> terms;
  analysis::knowledge::AppendTerms(text, &terms);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

int Common(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  int n = 0;
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++n;
      ++i;
      ++j;
    }
  }
  return n;
}

SuggestionResult ErrorResult(const absl::Status& st) {
  SuggestionResult r;
  r.mutable_error()->set_code(static_cast<int>(st.code()));
  r.mutable_error()->set_message(std::string(st.message()));
  return r;
}

}  // namespace

std::vector<const core::Message*> Suggester::Context(const core::Conversation& c, int end, int context_size) {
  std::vector<const core::Message*> used;
  for (int i = std::min(end, c.messages_size()) - 1; i >= 0 && static_cast<int>(used.size()) < context_size;
       --i) {
    if (c.messages(i).state() != core::MESSAGE_DELETED) used.push_back(&c.messages(i));
  }
  std::reverse(used.begin(), used.end());
  return used;
}

std::vector<SuggestionResult> Suggester::ForLatest(
    const Place& place, const core::Conversation& c, int end,
    const google::protobuf::RepeatedPtrField<core::SuggestionFeature>& features) {
  return ForLatest(place, c, Context(c, end, kMaxSuggestionContext), features);
}

std::vector<SuggestionResult> Suggester::ForLatest(
    const Place& place, const core::Conversation& c, const std::vector<const core::Message*>& recent,
    const google::protobuf::RepeatedPtrField<core::SuggestionFeature>& features) {
  std::vector<SuggestionResult> out;
  for (const core::SuggestionFeature& f : features) {
    const int size = f.recent_sentences_count() > 0 ? std::min(f.recent_sentences_count(), kMaxSuggestionContext)
                                                    : kDefaultSuggestionContext;
    const size_t used = std::min(recent.size(), static_cast<size_t>(size));
    auto r = Compute(place, c, f, std::vector<const core::Message*>(recent.end() - used, recent.end()));
    if (r) out.push_back(std::move(*r));
  }
  return out;
}

std::optional<SuggestionResult> Suggester::Compute(const Place& place, const core::Conversation& c,
                                                   const core::SuggestionFeature& feature,
                                                   const std::vector<const core::Message*>& context,
                                                   std::string_view typed_text) {
  const std::string latest = context.empty() ? "" : MessageName(place, c.id(), context.back()->id());
  const int context_size = static_cast<int>(context.size());
  const float threshold = feature.confidence_threshold();
  SuggestionResult r;
  switch (feature.type()) {
    case core::SuggestionFeature::ARTICLE_SUGGESTION:
    case core::SuggestionFeature::FAQ: {
      const bool faq = feature.type() == core::SuggestionFeature::FAQ;
      std::vector<std::string> ids;
      for (const std::string& name : feature.knowledge_bases()) {
        std::string id = KnowledgeBaseIdOf(name, place.project);
        if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
      }
      std::vector<std::string> query;
      for (const core::Message* m : context) query.push_back(m->text());
      std::vector<service::KnowledgeSearchResult> found;
      if (!ids.empty() && !query.empty()) {
        const int max = feature.max_results() > 0 ? std::min(feature.max_results(), kMaxMaxResults)
                                                  : kDefaultMaxResults;
        auto searched = s_.knowledge->Search(place.project, ids, query, max,
                                             faq ? service::KnowledgeKind::kFaq : service::KnowledgeKind::kArticle);
        if (!searched.ok()) return ErrorResult(searched.status());
        found = std::move(*searched);
      }
      if (faq) {
        SuggestFaqAnswersResponse* resp = r.mutable_suggest_faq_answers_response();
        for (const service::KnowledgeSearchResult& f : found) {
          if (f.confidence < threshold) continue;
          FaqAnswer* a = resp->add_faq_answers();
          a->set_answer(f.answer);
          a->set_confidence(f.confidence);
          a->set_question(f.question);
          a->set_source(absl::StrCat(PrefixFor(place, f.scope), "/knowledgeBases/", f.knowledge_base_id,
                                     "/documents/", f.document_id));
          for (const auto& [k, v] : f.metadata) (*a->mutable_metadata())[k] = v;
        }
        resp->set_latest_message(latest);
        resp->set_context_size(context_size);
      } else {
        SuggestArticlesResponse* resp = r.mutable_suggest_articles_response();
        for (const service::KnowledgeSearchResult& f : found) {
          if (f.confidence < threshold) continue;
          ArticleAnswer* a = resp->add_article_answers();
          a->set_title(f.title);
          // Raw-content articles have no URI of their own: their document's name.
          a->set_uri(!f.uri.empty() ? f.uri
                                    : absl::StrCat(PrefixFor(place, f.scope), "/knowledgeBases/",
                                                   f.knowledge_base_id, "/documents/", f.document_id));
          for (const std::string& s : f.snippets) a->add_snippets(s);
          a->set_confidence(f.confidence);
          for (const auto& [k, v] : f.metadata) (*a->mutable_metadata())[k] = v;
        }
        resp->set_latest_message(latest);
        resp->set_context_size(context_size);
      }
      return r;
    }
    case core::SuggestionFeature::SMART_REPLY: {
      EnsureLoaded(place.project);
      Observe(place.project, c);
      std::string query(typed_text);
      if (query.empty()) {
        for (auto it = context.rbegin(); it != context.rend(); ++it) {
          if ((*it)->role() == core::END_USER) {
            query = (*it)->text();
            break;
          }
        }
      }
      const int max = feature.max_results() > 0 ? std::min(feature.max_results(), kMaxMaxResults)
                                                : kDefaultSmartReplies;
      SuggestSmartRepliesResponse* resp = r.mutable_suggest_smart_replies_response();
      for (const auto& [reply, confidence] : SmartReplies(place.project, query, max)) {
        if (confidence < threshold) continue;
        SmartReplyAnswer* a = resp->add_smart_reply_answers();
        a->set_reply(reply);
        a->set_confidence(confidence);
      }
      resp->set_latest_message(latest);
      resp->set_context_size(context_size);
      return r;
    }
    default:
      return std::nullopt;
  }
}

void Suggester::ObserveLocked(TenantPairs* t, const core::Conversation& c) {
  const core::Message* previous = nullptr;
  for (const core::Message& m : c.messages()) {
    if (m.state() == core::MESSAGE_DELETED) continue;
    if (m.role() == core::HUMAN_AGENT && previous != nullptr && previous->role() == core::END_USER &&
        !m.text().empty()) {
      if (t->seen.insert(absl::StrCat(c.id(), "/", m.id())).second) {
        Pair p;
        p.terms = SortedTerms(previous->text());
        p.reply = m.text();
        if (!p.terms.empty()) t->pairs.push_back(std::move(p));
      }
    }
    previous = &m;
  }
}

void Suggester::Observe(std::string_view tenant, const core::Conversation& c) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pairs_.find(std::string(tenant));
  if (it != pairs_.end() && it->second.loaded) ObserveLocked(&it->second, c);
}

bool Suggester::Observing(std::string_view tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pairs_.find(std::string(tenant));
  return it != pairs_.end() && it->second.loaded;
}

void Suggester::EnsureLoaded(std::string_view tenant) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pairs_[std::string(tenant)].loaded) return;
  }
  TenantPairs loaded;
  core::ConversationQuery query;
  query.tenant = std::string(tenant);
  query.page_size = 100;
  query.now_us = core::NowMicros();
  int visited = 0;
  // A failed scan leaves what was read: suggestions still work from there.
  (void)s_.conversations->ForEach(query, [&](const core::Conversation& c) {
    ObserveLocked(&loaded, c);
    return ++visited < kSmartReplyScanConversations;
  });
  std::lock_guard<std::mutex> lock(mu_);
  TenantPairs& t = pairs_[std::string(tenant)];
  if (t.loaded) return;
  for (Pair& p : loaded.pairs) t.pairs.push_back(std::move(p));
  for (const std::string& k : loaded.seen) t.seen.insert(k);
  t.loaded = true;
}

std::vector<std::pair<std::string, float>> Suggester::SmartReplies(std::string_view tenant, std::string_view query,
                                                                   int max_results) {
  const std::vector<std::string> q = SortedTerms(query);
  std::vector<std::pair<std::string, float>> out;
  if (q.empty()) return out;
  struct Score {
    float best = 0;
    int count = 0;
  };
  std::map<std::string, Score> by_reply;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Pair& p : pairs_[std::string(tenant)].pairs) {
      const int common = Common(q, p.terms);
      if (common == 0) continue;
      const float score =
          static_cast<float>(common / std::sqrt(static_cast<double>(q.size()) * static_cast<double>(p.terms.size())));
      Score& s = by_reply[p.reply];
      s.best = std::max(s.best, score);
      ++s.count;
    }
  }
  std::vector<std::tuple<float, int, std::string>> ranked;
  for (auto& [reply, s] : by_reply) ranked.emplace_back(s.best, s.count, reply);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
    if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) > std::get<1>(b);
    return std::get<2>(a) < std::get<2>(b);
  });
  for (const auto& [score, count, reply] : ranked) {
    if (static_cast<int>(out.size()) == max_results) break;
    out.emplace_back(reply, std::min(score, 1.0f));
  }
  return out;
}

}  // namespace parley::dialogflow_v2
