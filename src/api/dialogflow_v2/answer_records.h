// Answer records: every answer agent assist suggests (articles, FAQ answers,
// smart replies, summaries) is named by an answer record, stored (one
// core::AnswerRecordSet per suggesting call, through ResourceService) so
// that `answerRecords` list and patch (the client's feedback) find it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "api/dialect.h"
#include "api/dialogflow_v2/mapping.h"
#include "dialogflow_v2/dialogflow.pb.h"

namespace parley::dialogflow_v2 {

// Resource kind of answer record sets in ResourceService (body:
// core::AnswerRecordSet, scope: the location).
inline constexpr std::string_view kAnswerRecordKind = "answer_records";

// Names every answer of `results` (and `summary`, when not null) with an
// answer record "<place.prefix>/answerRecords/<conversation>~<call>~<i>" and
// stores them as one set, durably, before the caller replies. `call_id`
// identifies the suggesting call: the same call id (an analyzeContent retry,
// whose call id is its message's) names the same records and stores no
// second set. Nothing to name: nothing stored.
absl::Status RecordAnswers(const api::Services& services, const Place& place, std::string_view conversation_id,
                           std::string_view call_id, const std::vector<SuggestionResult*>& results,
                           SuggestConversationSummaryResponse::Summary* summary = nullptr);

}  // namespace parley::dialogflow_v2
