// The Dialogflow ES agent of a project and location, as Dialogflow's wire
// shows it. The agent itself — its intents, the intent model, detection —
// is the shared local virtual agent (service::VirtualAgentService): intents
// are stored as core::AgentIntent (kind service::kAgentIntentKind, scope the
// location), mapped here from and to the wire Intent.
#pragma once

#include <string>
#include <string_view>

#include "api/dialogflow_v2/mapping.h"
#include "api/protojson/protojson.h"
#include "dialogflow_v2/dialogflow.pb.h"
#include "parley/operation.pb.h"
#include "parley/virtual_agent.pb.h"

namespace parley::dialogflow_v2 {

std::string IntentName(const Place& place, std::string_view id);
std::string AgentName(const Place& place);

// Wire Intent (name ignored) <-> core. Payloads are Struct JSON in the core.
core::AgentIntent IntentToCore(const Intent& in);
Intent IntentFromCore(const core::AgentIntent& in);

// An agent:train operation as google.longrunning.Operation JSON (metadata
// google.protobuf.Struct, response google.protobuf.Empty).
std::string AgentOperationJson(const core::Operation& op, const Place& place,
                               const protojson::PrintOptions& print);

}  // namespace parley::dialogflow_v2
