// Redaction of stored conversations: what ingest runs before storing when a
// redaction config asks for it (Insights `redactionConfig`), replacing each
// piece of personal data with "[INFO_TYPE]", as Cloud DLP's de-identify
// template with a replace-with-info-type transformation does.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "analysis/pii/inspect_templates.h"
#include "analysis/pii/pii_detector.h"
#include "parley/conversation.pb.h"

namespace parley::analysis::pii {

// Redacts one message in place and returns how many spans it replaced:
//  * text: each finding of `types` becomes "[TYPE]";
//  * words: the words overlapping a finding are merged into one word whose
//    text is the redacted text of their span (so the words still spell the
//    text), timed from the first word's start to the last word's end, with
//    the lowest confidence among them. When the words do not align with the
//    text (or the text is empty), they are redacted on their own, joined by
//    spaces;
//  * redactions: one core::Redaction per replaced span, its start/end bytes
//    locating the placeholder in the new text and info_type naming the type
//    (moment and time_us are left for the caller). Existing redactions are
//    shifted to stay on their placeholders.
// Message state is left unchanged. Redacting again finds nothing new.
// `asked` is what the turn before asked for (turn_context.h).
int RedactMessage(const PiiDetector& detector, InfoTypeSet types, core::Message* message,
                  Asked asked = Asked::kNothing);

// RedactMessage with an inspect template's built-in and custom types
// (inspect_templates.h); nullptr means every built-in type.
int RedactMessage(const PiiDetector& detector, const InspectTemplate* inspect,
                  core::Message* message, Asked asked = Asked::kNothing);

// RedactMessage over every message, each read as the reply to the turn
// before (AskedBefore). `info_types` holds DLP names; empty
// means every type. INVALID_ARGUMENT, with the conversation untouched, when
// a name is unknown.
absl::Status RedactConversation(const PiiDetector& detector,
                                const std::vector<std::string>& info_types,
                                core::Conversation* conversation);

}  // namespace parley::analysis::pii
