#include "service/virtual_agent_service.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "analysis/intents/intent_model.h"
#include "analysis/knowledge/terms.h"
#include "core/absl_compat.h"
#include "core/time_format.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "service/resource_service.h"

namespace parley::service {
namespace {

std::string PhraseText(const core::AgentIntent::TrainingPhrase& phrase) {
  std::string text;
  for (const auto& part : phrase.parts()) text += part.text();
  return text;
}

std::vector<std::string> Terms(std::string_view text) {
  std::vector<std::string> terms;
  analysis::knowledge::AppendTerms(text, &terms);
  return terms;
}

std::string AttributesJson(const google::protobuf::Struct& s) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(s, &out);
  return out;
}

void SetString(google::protobuf::Struct* s, const std::string& key, std::string_view value) {
  (*s->mutable_fields())[key].set_string_value(std::string(value));
}
void SetNumber(google::protobuf::Struct* s, const std::string& key, double value) {
  (*s->mutable_fields())[key].set_number_value(value);
}

}  // namespace

struct VirtualAgentService::Model {
  // Absent when fewer than two intents have training phrases.
  std::optional<analysis::intents::IntentModel> model;
  std::map<std::string, core::AgentIntent> intents;  // by id
  std::string fallback_id;
  // The content terms of each intent's training phrases, by intent id.
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> terms;

  // The share of `query` terms among intent `id`'s.
  float Coverage(const std::vector<std::string>& query, const std::string& id) const {
    auto it = terms.find(id);
    if (query.empty() || it == terms.end()) return 0;
    int known = 0;
    for (const std::string& t : query) known += it->second.contains(t) ? 1 : 0;
    return static_cast<float>(known) / static_cast<float>(query.size());
  }
};

VirtualAgentService::VirtualAgentService(ResourceService* resources, KnowledgeService* knowledge)
    : resources_(resources), knowledge_(knowledge) {}
VirtualAgentService::~VirtualAgentService() = default;

absl::Status VirtualAgentService::Train(std::string_view tenant, std::string_view scope, core::AgentTrainJob* stats) {
  auto m = std::make_shared<Model>();
  std::vector<analysis::intents::Example> examples;
  int phrases = 0;
  auto scanned = resources_->Scan(
      tenant, kAgentIntentKind, scope, "", 200, [&](std::string_view id, const std::string& body) -> absl::StatusOr<bool> {
        core::AgentIntent intent;
        if (!intent.ParseFromString(body)) return absl::InternalError("a stored intent does not parse");
        if (intent.priority() < 0) return true;  // ignored, as Dialogflow's
        const std::string key(id);
        if (intent.is_fallback() && m->fallback_id.empty()) m->fallback_id = key;
        for (const auto& phrase : intent.training_phrases()) {
          std::string text = PhraseText(phrase);
          if (text.find_first_not_of(" \t\r\n") == std::string::npos) continue;
          for (std::string& t : Terms(text)) m->terms[key].insert(std::move(t));
          examples.push_back({std::move(text), key});
          ++phrases;
        }
        m->intents.emplace(key, std::move(intent));
        return true;
      });
  if (!scanned.ok()) return scanned.status();
  std::vector<std::string> labels;
  for (const auto& e : examples) labels.push_back(e.label);
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  if (labels.size() >= 2) {
    analysis::intents::TrainOptions options;
    options.min_count = 1;  // tens of phrases, not thousands: keep every feature
    auto trained = analysis::intents::IntentModel::Train(examples, options);
    if (!trained.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("training failed: ", trained.status().message()));
    }
    m->model = std::move(*trained);
  }
  if (stats != nullptr) {
    stats->set_intents(static_cast<int>(m->intents.size()));
    stats->set_training_phrases(phrases);
  }
  std::lock_guard<std::mutex> lock(mu_);
  models_[absl::StrCat(Sv(tenant), "\x1f", Sv(scope))] = std::move(m);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const VirtualAgentService::Model>> VirtualAgentService::ModelOf(
    std::string_view tenant, std::string_view scope) {
  const std::string key = absl::StrCat(Sv(tenant), "\x1f", Sv(scope));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = models_.find(key);
    if (it != models_.end()) return it->second;
  }
  if (auto st = Train(tenant, scope, nullptr); !st.ok()) return st;
  std::lock_guard<std::mutex> lock(mu_);
  return models_[key];
}

absl::StatusOr<AgentReply> VirtualAgentService::Reply(std::string_view tenant, std::string_view scope,
                                                      std::string_view text, const ReplyOptions& options) {
  AgentReply reply;
  // 1. intent detection
  int64_t start = core::NowMicros();
  auto model = ModelOf(tenant, scope);
  if (!model.ok()) return model.status();
  const Model& m = **model;
  const std::vector<std::string> query = Terms(text);
  std::string label;
  float confidence = 0;  // of the best intent, answered or not
  if (m.model) {
    const analysis::intents::Prediction top = m.model->Top(text, 0);
    if (m.Coverage(query, top.label) > 0) {
      confidence = top.confidence;
      if (top.confidence >= kIntentThreshold) label = top.label;
    }
  } else if (!m.terms.empty()) {
    // One intent with phrases: how much of the query its phrases cover.
    const std::string& only = m.terms.begin()->first;
    confidence = m.Coverage(query, only);
    if (confidence >= kIntentThreshold) label = only;
  }
  {
    google::protobuf::Struct attributes;
    SetString(&attributes, "intent", label.empty() ? "" : m.intents.at(label).display_name());
    SetNumber(&attributes, "confidence", label.empty() ? 0 : confidence);
    reply.steps.push_back({"intent_detection", start, core::NowMicros(), AttributesJson(attributes)});
  }
  if (!label.empty()) {
    reply.intent_id = label;
    reply.intent = m.intents.at(label);
    reply.confidence = confidence;
  }
  // 2. knowledge retrieval
  if (reply.intent_id.empty() && options.knowledge && knowledge_ != nullptr && !query.empty()) {
    start = core::NowMicros();
    std::vector<std::string> kbs;
    std::string after;
    do {
      auto page = knowledge_->ListKnowledgeBases(tenant, scope, 100, after);
      if (!page.ok()) return page.status();
      for (const core::KnowledgeBase& kb : page->items) kbs.push_back(kb.id());
      after = page->next_after_id;
    } while (!after.empty());
    google::protobuf::Struct attributes;
    SetNumber(&attributes, "knowledge_bases", static_cast<double>(kbs.size()));
    if (!kbs.empty()) {
      auto found = knowledge_->Search(tenant, kbs, {std::string(text)}, 1, KnowledgeKind::kFaq);
      if (!found.ok()) return found.status();
      if (!found->empty() && found->front().confidence >= kKnowledgeThreshold) {
        reply.knowledge = std::move(found->front());
        reply.confidence = reply.knowledge->confidence;
        SetString(&attributes, "document", reply.knowledge->document_id);
        SetString(&attributes, "question", reply.knowledge->question);
        SetNumber(&attributes, "confidence", reply.knowledge->confidence);
      }
    }
    reply.steps.push_back({"knowledge_retrieval", start, core::NowMicros(), AttributesJson(attributes)});
  }
  // 3. the response
  start = core::NowMicros();
  if (reply.intent_id.empty() && !reply.knowledge && !m.fallback_id.empty()) {
    reply.intent_id = m.fallback_id;
    reply.intent = m.intents.at(m.fallback_id);
    reply.confidence = 1.0f - confidence;
  }
  if (reply.knowledge) {
    reply.text = reply.knowledge->answer;
  } else if (!reply.intent_id.empty()) {
    for (const auto& r : reply.intent.responses()) {
      if (r.has_texts() && r.texts().text_size() > 0) {
        reply.text = r.texts().text(0);
        break;
      }
    }
    reply.live_agent_handoff = reply.intent.live_agent_handoff();
    reply.end_interaction = reply.intent.end_interaction();
  }
  {
    google::protobuf::Struct attributes;
    SetString(&attributes, "source", reply.knowledge            ? "knowledge"
                                     : reply.intent.is_fallback() ? "fallback"
                                     : !reply.intent_id.empty()   ? "intent"
                                                                  : "none");
    if (!reply.intent_id.empty()) SetString(&attributes, "intent", reply.intent.display_name());
    if (reply.live_agent_handoff) (*attributes.mutable_fields())["live_agent_handoff"].set_bool_value(true);
    reply.steps.push_back({"response", start, core::NowMicros(), AttributesJson(attributes)});
  }
  // The seam for a generated reply: a configured generator may replace the
  // local agent's text.
  if (generator_) {
    start = core::NowMicros();
    auto generated = generator_(options.instruction, text, reply);
    if (!generated.ok()) return generated.status();
    google::protobuf::Struct attributes;
    (*attributes.mutable_fields())["replaced"].set_bool_value(generated->has_value());
    if (generated->has_value()) {
      reply.text = std::move(**generated);
      reply.generated = true;
    }
    reply.steps.push_back({"generation", start, core::NowMicros(), AttributesJson(attributes)});
  }
  if (reply.intent_id.empty() && !reply.knowledge) reply.confidence = 0;
  return reply;
}

void VirtualAgentService::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  models_.clear();
}

}  // namespace parley::service
