// Cresta wire resources <-> the core model (docs/dialect-mapping.md, Cresta rows).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cresta_v1/cresta.pb.h"
#include "parley/conversation.pb.h"

namespace parley::cresta_v1 {

// The scope every Cresta conversation is stored in (its profile is
// Conversation.profile), so that Insights shows it at location "global".
inline constexpr std::string_view kScope = "global";

std::string ConversationName(std::string_view customer, std::string_view profile,
                             std::string_view id);

core::Source ToCoreSource(ConversationSource s);
ConversationSource ToWireSource(core::Source s);

// "SOURCE_CCAAS" ... -> core; INVALID_ARGUMENT for SOURCE_UNSPECIFIED,
// absent or unknown values.
absl::StatusOr<core::MetadataSource> ParseMetadataSource(std::string_view s);
std::string MetadataSourceName(core::MetadataSource s);

// INVALID_ARGUMENT naming `key` when a value sets none of stringValue,
// numberValue, booleanValue (setting two is refused by the JSON parser).
absl::Status CheckMetadataValues(const std::string& key, const MetadataValues& values);

core::MetadataEntry ToCoreMetadata(const std::string& key, const MetadataValues& values);
void ToWireMetadata(const core::MetadataEntry& entry, MetadataValues* out);

// A Cresta conversation rendered from the core; `profile` is the profile of
// the request path (a conversation without one, e.g. from Insights, shows
// under every profile of the customer).
Conversation ToWire(const core::Conversation& c, std::string_view profile);

// The message's fields (not its id or name) into the core; INVALID_ARGUMENT
// for negative offsets.
absl::StatusOr<core::Message> ToCore(const ConversationMessage& m);
ConversationMessage ToWire(const core::Conversation& c, const core::Message& m,
                           std::string_view conversation_name);

ConversationEvent ToWire(const core::Event& e, std::string_view conversation_name);

MomentAnnotation ToWire(const core::MomentAnnotation& a, std::string_view conversation_name,
                        std::string_view customer, std::string_view profile);

Moment ToWire(const core::Moment& m, std::string_view customer, std::string_view profile);

}  // namespace parley::cresta_v1
