// CES v1 wire <-> core: conversations (turns, messages, chunks, spans) and
// apps. Identity (docs/dialect-mapping.md): projects/P/locations/L/apps/A is
// tenant P, scope L, Conversation.app = A, so that Insights at
// projects/P/locations/L reads the same conversations.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "ces_v1/ces.pb.h"
#include "parley/conversation.pb.h"
#include "parley/profile.pb.h"

namespace parley::ces_v1 {

// Where a request is: projects/{project}/locations/{location}/apps/{app}.
struct AppPlace {
  std::string project;
  std::string location;
  std::string app;
  std::string prefix() const;  // "projects/P/locations/L/apps/A"
};

// The id of `name` when it is "{place}/{collection}/{id}" (empty name: no
// id); INVALID_ARGUMENT naming `field` otherwise.
absl::Status ChildId(std::string_view field, const std::string& name, const AppPlace& place,
                     std::string_view collection, std::string* id);

core::Source SourceToCore(Conversation::Source s);
Conversation::Source SourceFromCore(core::Source s);
// "user" -> END_USER, "human_agent"/"human" -> HUMAN_AGENT, empty or "system"
// -> ROLE_UNSPECIFIED, anything else (CES "agent" or an agent's name) ->
// AUTOMATED_AGENT. Case-insensitive.
core::Role RoleToCore(std::string_view role);

// A CES conversation (import body) -> core. `id` is already chosen. Checks
// that names given for entryAgent/deployment/appVersion are under `place`.
absl::Status ConversationFromWire(const Conversation& in, const AppPlace& place,
                                  core::Conversation* out);
void ConversationToWire(const core::Conversation& in, const AppPlace& place, Conversation* out);

void MessageToWire(const core::Message& in, Message* out);
void SpanToWire(const core::Span& in, Span* out);

void AppToWire(const core::App& in, std::string_view location_prefix, App* out);

}  // namespace parley::ces_v1
