// Agent-assist suggestions: ARTICLE_SUGGESTION and FAQ from the knowledge
// bases a profile's feature names (service::KnowledgeService::Search), and
// SMART_REPLY from the tenant's past human-agent replies.
//
// Smart replies: a retrieval, no model. Every HUMAN_AGENT message that
// directly follows an END_USER message in a conversation of the tenant makes
// a pair (what the end user said, what the agent replied). A query is the
// end user's latest message (or the text being typed); each pair scores the
// cosine of its end-user terms and the query's terms (the knowledge terms:
// stemmed, stopwords dropped), and each distinct reply keeps its best score,
// which is its confidence; replies shared by several pairs rank higher on
// ties. Pairs are gathered per tenant on first use from its stored
// conversations (the newest kSmartReplyScanConversations) and then from each
// conversation a suggestion is computed for; pairs of other server instances'
// new conversations are seen after a restart.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "api/dialect.h"
#include "api/dialogflow_v2/mapping.h"
#include "dialogflow_v2/dialogflow.pb.h"
#include "parley/conversation.pb.h"
#include "parley/profile.pb.h"

namespace parley::dialogflow_v2 {

// Context of a suggestion: "By default 20 and at most 50" messages.
inline constexpr int kDefaultSuggestionContext = 20;
inline constexpr int kMaxSuggestionContext = 50;
// SuggestionQueryConfig.max_results: "if unset, defaults to 10. And the max
// number is 20." Smart replies: 3 unless the feature says.
inline constexpr int kDefaultMaxResults = 10;
inline constexpr int kMaxMaxResults = 20;
inline constexpr int kDefaultSmartReplies = 3;
inline constexpr int kSmartReplyScanConversations = 2000;

class Suggester {
 public:
  explicit Suggester(const api::Services& services) : s_(services) {}

  // The result of one feature for `context` (messages of `c`, oldest first,
  // the last being the latest). `typed_text`: smart replies for a text the
  // agent is typing (SuggestSmartReplies' current_text_input), else empty.
  // A feature this server does not compute gives nullopt. Answers carry no
  // answer record yet: the caller names and stores them (RecordAnswers).
  std::optional<SuggestionResult> Compute(const Place& place, const core::Conversation& c,
                                          const core::SuggestionFeature& feature,
                                          const std::vector<const core::Message*>& context,
                                          std::string_view typed_text = {});

  // The suggestion results of `features` (a profile's list, in order) for
  // the message at index `end - 1` of `c` as the latest.
  std::vector<SuggestionResult> ForLatest(const Place& place, const core::Conversation& c, int end,
                                          const google::protobuf::RepeatedPtrField<core::SuggestionFeature>& features);
  // The same for `recent` as the latest messages of `c` (oldest first, the
  // last being the latest; it may be one not stored in `c` yet): the last
  // kMaxSuggestionContext non-deleted ones, or all there are. No feature
  // reads more of the conversation than that, so the cost does not grow
  // with its length (smart replies excepted: they observe `c` whole).
  std::vector<SuggestionResult> ForLatest(const Place& place, const core::Conversation& c,
                                          const std::vector<const core::Message*>& recent,
                                          const google::protobuf::RepeatedPtrField<core::SuggestionFeature>& features);

  // Up to `context_size` non-deleted messages of `c` ending at index `end`
  // (exclusive), oldest first.
  static std::vector<const core::Message*> Context(const core::Conversation& c, int end, int context_size);

  // Adds the (end-user message, agent reply) pairs of `c` not seen yet (once
  // the tenant's pairs are loaded; until then the load will find them).
  void Observe(std::string_view tenant, const core::Conversation& c);
  // Whether Observe does anything for `tenant` now (its pairs are loaded).
  bool Observing(std::string_view tenant);

 private:
  struct Pair {
    std::vector<std::string> terms;  // sorted, unique
    std::string reply;
  };
  struct TenantPairs {
    bool loaded = false;
    std::vector<Pair> pairs;
    absl::flat_hash_set<std::string> seen;  // conversation id + "/" + agent message id
  };
  void EnsureLoaded(std::string_view tenant);
  void ObserveLocked(TenantPairs* t, const core::Conversation& c);
  std::vector<std::pair<std::string, float>> SmartReplies(std::string_view tenant, std::string_view query,
                                                          int max_results);

  api::Services s_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, TenantPairs> pairs_;
};

}  // namespace parley::dialogflow_v2
