// The Dialogflow ES agent of a project and location, as far as Parley runs
// one: its intents (stored through ResourceService, kind kIntentKind, body
// the wire Intent with its output-only fields set, scope the location) and
// the intent model trained from their training phrases
// (analysis/intents, ADR 0006).
//
// Trained models are kept in memory only, per (project, location). A model
// is not persisted: after a restart, or for an agent that was never
// trained, the first detection trains one from the stored intents (for a
// few intents with tens of phrases this takes milliseconds). agent:train
// retrains explicitly, so intent edits take effect when the client trains,
// as in Dialogflow.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/dialect.h"
#include "api/dialogflow_v2/mapping.h"
#include "api/google/request.h"
#include "dialogflow_v2/dialogflow.pb.h"
#include "parley/operation.pb.h"

namespace parley::dialogflow_v2 {

inline constexpr std::string_view kIntentKind = "dialogflow_intent";

// The lowest confidence a matched intent is answered with; below it the
// agent's fallback intent (is_fallback) answers, or no intent when it has
// none. The model's confidences average a softmax and one-vs-all sigmoids
// (ADR 0006: useful thresholds ~0.3-0.5). A query that shares no word
// with any training phrase is below it whatever the model says: with a
// handful of intents the softmax alone is confident about anything.
inline constexpr float kIntentThreshold = 0.3f;

std::string IntentName(const Place& place, std::string_view id);
std::string AgentName(const Place& place);

class Agent {
 public:
  explicit Agent(const api::Services& services) : s_(services) {}

  // Trains the model of (project, scope) from its stored intents and keeps
  // it, replacing the previous one; `stats` gets the intents and phrases
  // trained on. An agent with fewer than two intents with training phrases
  // gets no model (every query then goes to the fallback intent).
  absl::Status Train(std::string_view project, std::string_view scope, core::AgentTrainJob* stats);

  struct Detection {
    std::optional<Intent> intent;  // as stored when the model was trained
    float confidence = 0;
  };
  // The intent `text` matches (training lazily when no model is kept).
  absl::StatusOr<Detection> Detect(std::string_view project, std::string_view scope, std::string_view text);

  // Forgets the models of every location (for tests).
  void Clear();

 private:
  struct Model;
  api::Services s_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Model>> models_;  // project \x1f scope
};

// An agent:train operation as google.longrunning.Operation JSON (metadata
// google.protobuf.Struct, response google.protobuf.Empty).
std::string AgentOperationJson(const core::Operation& op, const Place& place,
                               const protojson::PrintOptions& print);

}  // namespace parley::dialogflow_v2
