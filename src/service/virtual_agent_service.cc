#include "service/virtual_agent_service.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis/intents/intent_model.h"
#include "analysis/knowledge/terms.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "service/conversation_service.h"
#include "service/message_service.h"
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

// A span's attributes: a flat JSON object of strings, numbers and booleans,
// written directly (protobuf's Struct printer costs more than the step).
class Attributes {
 public:
  Attributes& Set(std::string_view key, std::string_view value) {
    Key(key);
    Quote(value);
    return *this;
  }
  // (Without it a string literal would take the bool overload.)
  Attributes& Set(std::string_view key, const char* value) { return Set(key, std::string_view(value)); }
  Attributes& Set(std::string_view key, double value) {
    Key(key);
    absl::StrAppend(&json_, value);
    return *this;
  }
  Attributes& Set(std::string_view key, bool value) {
    Key(key);
    json_ += value ? "true" : "false";
    return *this;
  }
  std::string Json() const { return json_ + "}"; }

 private:
  void Key(std::string_view key) {
    json_ += json_.size() == 1 ? "" : ",";
    Quote(key);
    json_ += ':';
  }
  void Quote(std::string_view text) {
    json_ += '"';
    for (char c : text) {
      if (c == '"' || c == '\\') {
        json_ += '\\';
        json_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        absl::StrAppend(&json_, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
      } else {
        json_ += c;
      }
    }
    json_ += '"';
  }
  std::string json_ = "{";
};

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

VirtualAgentService::VirtualAgentService(ResourceService* resources, KnowledgeService* knowledge,
                                         ConversationService* conversations, MessageService* messages)
    : resources_(resources), knowledge_(knowledge), conversations_(conversations), messages_(messages) {}
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
  reply.steps.push_back({"intent_detection", start, core::NowMicros(),
                         Attributes()
                             .Set("intent", label.empty() ? "" : m.intents.at(label).display_name())
                             .Set("confidence", label.empty() ? 0.0 : confidence)
                             .Json()});
  if (!label.empty()) {
    reply.intent_id = label;
    reply.intent = std::shared_ptr<const core::AgentIntent>(*model, &m.intents.at(label));
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
    Attributes attributes;
    attributes.Set("knowledge_bases", static_cast<double>(kbs.size()));
    if (!kbs.empty()) {
      auto found = knowledge_->Search(tenant, kbs, {std::string(text)}, 1, KnowledgeKind::kFaq);
      if (!found.ok()) return found.status();
      if (!found->empty() && found->front().confidence >= kKnowledgeThreshold) {
        reply.knowledge = std::move(found->front());
        reply.confidence = reply.knowledge->confidence;
        attributes.Set("document", reply.knowledge->document_id)
            .Set("question", reply.knowledge->question)
            .Set("confidence", static_cast<double>(reply.knowledge->confidence));
      }
    }
    reply.steps.push_back({"knowledge_retrieval", start, core::NowMicros(), attributes.Json()});
  }
  // 3. the response
  start = core::NowMicros();
  if (reply.intent_id.empty() && !reply.knowledge && !m.fallback_id.empty()) {
    reply.intent_id = m.fallback_id;
    reply.intent = std::shared_ptr<const core::AgentIntent>(*model, &m.intents.at(m.fallback_id));
    reply.confidence = 1.0f - confidence;
  }
  if (reply.knowledge) {
    reply.text = reply.knowledge->answer;
  } else if (!reply.intent_id.empty()) {
    for (const auto& r : reply.intent->responses()) {
      if (r.has_texts() && r.texts().text_size() > 0) {
        reply.text = r.texts().text(0);
        break;
      }
    }
    reply.live_agent_handoff = reply.intent->live_agent_handoff();
    reply.end_interaction = reply.intent->end_interaction();
  }
  {
    Attributes attributes;
    const bool fallback = reply.intent != nullptr && reply.intent->is_fallback();
    attributes.Set("source", reply.knowledge            ? "knowledge"
                             : fallback                 ? "fallback"
                             : !reply.intent_id.empty() ? "intent"
                                                        : "none");
    if (!reply.intent_id.empty()) attributes.Set("intent", reply.intent->display_name());
    if (reply.live_agent_handoff) attributes.Set("live_agent_handoff", true);
    reply.steps.push_back({"response", start, core::NowMicros(), attributes.Json()});
  }
  // The seam for a generated reply: a configured generator may replace the
  // local agent's text.
  if (generator_ && options.generate) {
    start = core::NowMicros();
    auto generated = generator_(options.instruction, text, reply);
    if (!generated.ok()) return generated.status();
    Attributes attributes;
    attributes.Set("replaced", generated->has_value());
    if (generated->has_value()) {
      reply.text = std::move(**generated);
      reply.generated = true;
    }
    reply.steps.push_back({"generation", start, core::NowMicros(), attributes.Json()});
  }
  if (reply.intent_id.empty() && !reply.knowledge) reply.confidence = 0;
  return reply;
}

namespace {

constexpr char kEndUserId[] = "end-user";
constexpr char kVirtualAgentId[] = "virtual-agent";

// Adds participant `id` to `out` unless `current` or `out` has it (the two
// may be one conversation).
void AddParticipant(const core::Conversation& current, core::Conversation& out, const char* id,
                    core::Role role) {
  for (const core::Conversation* c : {&current, static_cast<const core::Conversation*>(&out)}) {
    for (const core::Participant& p : c->participants()) {
      if (p.id() == id) return;
    }
  }
  core::Participant* p = out.add_participants();
  p->set_id(id);
  p->set_role(role);
}

// Adds to `out` the input types a message's chunks carry that neither
// `current` nor `out` has (the two may be one conversation).
void AddInputTypes(const core::Message& m, const core::Conversation& current, core::Conversation& out) {
  auto add = [&](core::InputType t) {
    for (const core::Conversation* c : {&current, static_cast<const core::Conversation*>(&out)}) {
      for (int have : c->input_types()) {
        if (have == t) return;
      }
    }
    out.add_input_types(t);
  };
  for (const core::Chunk& k : m.chunks()) {
    if (k.has_text()) add(core::INPUT_TYPE_TEXT);
    if (k.has_transcript()) add(core::INPUT_TYPE_AUDIO);
    if (k.has_image()) add(core::INPUT_TYPE_IMAGE);
    if (k.has_blob()) add(core::INPUT_TYPE_BLOB);
  }
}

core::Span StepSpan(const AgentStep& step) {
  core::Span span;
  span.set_name(step.name);
  span.set_start_time_us(step.start_us);
  span.set_end_time_us(step.end_us);
  span.set_duration_us(step.end_us - step.start_us);
  span.set_attributes_json(step.attributes_json);
  return span;
}

}  // namespace

absl::StatusOr<VirtualAgentService::SessionTurn> VirtualAgentService::RunSessionTurn(
    const core::Conversation& session, core::Message said, const ReplyOptions& options,
    const std::function<absl::Status(const core::Conversation&)>& check) {
  if (conversations_ == nullptr || messages_ == nullptr) {
    return absl::InternalError("the virtual agent has no conversation service");
  }
  const int64_t start = core::NowMicros();
  // A share, not a copy: with live conversations kept (SQLite) this is the
  // kept one itself (ADR 0037).
  auto existing = conversations_->Share(session.tenant(), session.scope(), session.id());
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  auto admit = [&](const core::Conversation& c) -> absl::Status {
    if (check) {
      if (auto st = check(c); !st.ok()) return st;
    }
    if (c.lifecycle() == core::COMPLETED) {
      return absl::FailedPreconditionError(absl::StrCat("session \"", c.id(), "\" has ended"));
    }
    return absl::OkStatus();
  };
  if (existing.ok()) {
    if (auto st = admit(**existing); !st.ok()) return st;
  }

  SessionTurn out;
  auto reply = Reply(session.tenant(), session.scope(), said.text(), options);
  if (!reply.ok()) return reply.status();
  out.reply = std::move(*reply);
  const AgentReply& r = out.reply;

  std::vector<core::Message> messages;
  said.set_role(core::END_USER);
  said.set_participant_id(kEndUserId);
  if (said.role_name().empty()) said.set_role_name("user");
  if (!said.has_time_us()) said.set_time_us(start);
  messages.push_back(said);
  if (!r.text.empty()) {
    core::Message m;
    m.set_role(core::AUTOMATED_AGENT);
    m.set_role_name("agent");
    m.set_participant_id(kVirtualAgentId);
    m.set_text(r.text);
    m.add_chunks()->set_text(r.text);
    m.set_language_code(said.language_code());
    m.set_time_us(core::NowMicros());
    messages.push_back(std::move(m));
  }
  const int64_t end = core::NowMicros();
  core::Span& root = out.root_span;
  root.set_name("turn");
  root.set_start_time_us(start);
  root.set_end_time_us(end);
  root.set_duration_us(end - start);
  {
    Attributes attributes;
    attributes.Set("session", session.id());
    if (!r.intent_id.empty()) attributes.Set("intent", r.intent->display_name());
    root.set_attributes_json(attributes.Set("confidence", static_cast<double>(r.confidence)).Json());
  }
  for (const AgentStep& step : r.steps) *root.add_children() = StepSpan(step);

  // What a turn adds to the conversation `current`, into `out` (the same
  // conversation on a create, the append's tail otherwise).
  auto finish = [&](const core::Conversation& current, core::Conversation& out) {
    AddParticipant(current, out, kEndUserId, core::END_USER);
    if (!r.text.empty()) AddParticipant(current, out, kVirtualAgentId, core::AUTOMATED_AGENT);
    AddInputTypes(said, current, out);
    if (r.end_interaction) {
      out.set_lifecycle(core::COMPLETED);
      out.set_end_time_us(end);
    }
  };

  if (!existing.ok()) {
    core::Conversation c = session;
    c.set_medium(core::CHAT);
    c.set_channel_type(core::CHANNEL_TEXT);
    c.set_stage(core::VIRTUAL_AGENT_STAGE);
    c.set_lifecycle(core::IN_PROGRESS);
    c.set_start_time_us(start);
    core::Turn* turn = c.add_turns();
    for (const core::Message& m : messages) {
      turn->add_message_indices(c.messages_size());
      core::Message* stored = c.add_messages();
      *stored = m;  // `messages` stay as given, for the append below if this create loses a race
      // What AppendMessages would set.
      stored->set_id(core::NewId());
      stored->set_state(core::MESSAGE_ACTIVE);
      stored->set_sequence_position(c.messages_size() - 1);
      stored->set_create_time_us(start);
      stored->set_update_time_us(start);
    }
    *turn->mutable_root_span() = root;
    finish(c, c);
    auto created = conversations_->Create(std::move(c));
    if (created.ok()) {
      out.turn_index = 1;
      for (int i : created->turns(0).message_indices()) out.messages.push_back(created->messages(i));
      return out;
    }
    // Another call of the same session created it first: append to it.
    if (!absl::IsAlreadyExists(created.status())) return created.status();
  }
  MessageService::AppendOptions append;
  append.turn_root_span = &root;
  if (existing.ok() && !conversations_->keeps_live()) {
    append.snapshot = existing->get();  // spares a read of the whole conversation
  } else if (existing.ok()) {
    existing->reset();  // the write changes the kept conversation in place (not a copy)
  }
  append.also = [&](const core::Conversation& c, core::Conversation& tail) -> absl::Status {
    if (auto st = admit(c); !st.ok()) return st;
    finish(c, tail);
    out.turn_index = c.turns_size() + tail.turns_size();
    return absl::OkStatus();
  };
  auto appended = messages_->AppendMessages(session.tenant(), session.scope(), session.id(), std::move(messages),
                                            append);
  if (!appended.ok()) return appended.status();
  out.messages = std::move(*appended);
  return out;
}

void VirtualAgentService::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  models_.clear();
}

}  // namespace parley::service
