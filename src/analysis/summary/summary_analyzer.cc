#include "analysis/summary/summary_analyzer.h"

#include <string>
#include <vector>

#include "analysis/summary/conversation_text.h"

namespace parley::analysis {
namespace {

std::string_view RoleLabel(summary::SpeakerRole role) {
  switch (role) {
    case summary::SpeakerRole::kCustomer:
      return "Customer: ";
    case summary::SpeakerRole::kAgent:
      return "Agent: ";
    case summary::SpeakerRole::kVirtualAgent:
      return "Virtual agent: ";
    case summary::SpeakerRole::kUnknown:
      break;
  }
  return "";
}

}  // namespace

absl::Status SummaryAnalyzer::Analyze(const core::Conversation& conversation, core::AnalysisResult* result) const {
  result->clear_summary_sentences();
  result->clear_summary_message_indices();
  result->clear_summary();
  result->clear_topics();

  const summary::ConversationText text(conversation);
  const std::vector<summary::SummaryPick> picks = summary::Summarize(text, summary_options_);
  // A speaker whose role is unknown is named by its speaker label when the
  // transcript gives one ("Maria: …", DialogSum's "Person1: …").
  auto label = [&](const summary::Sentence& s) -> std::string {
    std::string_view role = RoleLabel(s.role);
    if (!role.empty()) return std::string(role);
    const std::string& id = conversation.messages(s.message_index).participant_id();
    if (id.empty()) return "";
    for (const core::Participant& p : conversation.participants()) {
      if (p.id() == id) return p.role_name().empty() ? "" : p.role_name() + ": ";
    }
    return "";
  };
  std::string out;
  int32_t line_message = -1;
  for (const summary::SummaryPick& pick : picks) {
    const summary::Sentence& s = text.sentences()[pick.sentence];
    core::SummarySentence* ss = result->add_summary_sentences();
    ss->set_message_index(s.message_index);
    ss->set_start_byte(static_cast<int32_t>(pick.begin));
    ss->set_end_byte(static_cast<int32_t>(pick.end));
    ss->set_section(pick.section);
    if (s.message_index == line_message) {
      out += ' ';
    } else {
      result->add_summary_message_indices(s.message_index);
      if (!out.empty()) out += '\n';
      out += label(s);
      line_message = s.message_index;
    }
    out += text.MessageText(s).substr(pick.begin, pick.end - pick.begin);
  }
  result->set_summary(std::move(out));

  for (core::KeyPhrase& k : summary::ExtractKeyPhrases(text, topic_options_)) *result->add_topics() = std::move(k);
  return absl::OkStatus();
}

}  // namespace parley::analysis
