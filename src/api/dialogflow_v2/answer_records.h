// Answer records: every answer agent assist suggests (articles, FAQ answers,
// smart replies, summaries) is named by an answer record, stored (one
// core::AnswerRecordSet per suggesting call, through ResourceService) so
// that `answerRecords` list and patch (the client's feedback) find it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "api/dialect.h"
#include "api/dialogflow_v2/mapping.h"
#include "dialogflow_v2/dialogflow.pb.h"
#include "parley/knowledge.pb.h"
#include "service/resource_service.h"

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
// The answer records of one suggesting call, named but not stored: the
// names are already written into the results; resource() is what stores
// them, with another write (MessageService::AppendOptions::create_resource).
struct NamedAnswers {
  std::string tenant;
  std::string scope;
  std::string set_id;
  int64_t time_us = 0;
  core::AnswerRecordSet set;
  service::NewResource resource() const;
};

// Names the answers as RecordAnswers does, without storing them; nullopt when
// there is nothing to name.
std::optional<NamedAnswers> NameAnswers(const Place& place, std::string_view conversation_id,
                                        std::string_view call_id, const std::vector<SuggestionResult*>& results,
                                        SuggestConversationSummaryResponse::Summary* summary = nullptr);

absl::Status RecordAnswers(const api::Services& services, const Place& place, std::string_view conversation_id,
                           std::string_view call_id, const std::vector<SuggestionResult*>& results,
                           SuggestConversationSummaryResponse::Summary* summary = nullptr);

}  // namespace parley::dialogflow_v2
