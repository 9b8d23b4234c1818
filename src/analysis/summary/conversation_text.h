// ConversationText: a conversation cut into sentences and case-folded,
// stemmed tokens, with the speaker of each sentence and whether it is small
// talk. The summarizer and the key-phrase extractor both read it, so the
// text is cut once per analysis.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "parley/conversation.pb.h"

namespace parley::analysis::summary {

enum class SpeakerRole : uint8_t { kUnknown, kCustomer, kAgent, kVirtualAgent };

struct Token {
  int32_t word;          // the case-folded form, index into ConversationText::words()
  int32_t term;          // the stem, index into ConversationText::terms()
  uint32_t begin, end;   // bytes in the message text
  bool stop;             // IsStopword of the folded form
  bool social;           // IsSocialWord of the folded form
  bool numeric;          // starts with a digit
  bool capitalized;      // starts with an upper-case ASCII letter and is not the sentence's first
  bool phrase_break;     // punctuation other than '-' stands between it and the token before
  // Neither stop, social nor numeric: a word that can say what the
  // conversation is about.
  bool content() const { return !stop && !social && !numeric; }
};

struct Sentence {
  int32_t message_index;
  uint32_t begin, end;              // bytes in the message text
  int32_t speaker;                  // index of the speaker (participant or channel), -1 if unknown
  SpeakerRole role;
  uint32_t token_begin, token_end;  // into ConversationText::tokens()
  bool question;                    // ends with '?'
  // Greetings, thanks, call opening and closing, holds, "anything else?":
  // a sentence with no content word, or a courtesy formula with fewer than
  // three content words besides names.
  bool small_talk;
};

struct ConversationTextBuilder;

class ConversationText {
 public:
  // Cuts the text of every message that is not deleted. A message's
  // speaker is its participant (whose role gives the SpeakerRole) or, if it
  // names none, its channel (whose role comes from call_channels). The
  // conversation must outlive the result.
  explicit ConversationText(const core::Conversation& conversation);

  const std::vector<Sentence>& sentences() const { return sentences_; }
  const std::vector<Token>& tokens() const { return tokens_; }
  // Case-folded word forms and stems, by id.
  const std::vector<std::string>& words() const { return words_; }
  const std::vector<std::string>& terms() const { return terms_; }
  int speaker_count() const { return speaker_count_; }
  // Some sentence is by a customer and some by an agent.
  bool has_roles() const { return has_customer_ && has_agent_; }

  std::string_view Text(const Sentence& s) const;
  // The whole text of the sentence's message.
  std::string_view MessageText(const Sentence& s) const;
  std::string_view Text(const Sentence& s, const Token& t) const;
  // The id of a case-folded word, -1 if the conversation does not use it.
  int32_t FindWord(std::string_view folded) const;
  int32_t FindTerm(std::string_view stem) const;

 private:
  friend struct ConversationTextBuilder;
  const core::Conversation* conversation_;
  std::vector<Sentence> sentences_;
  std::vector<Token> tokens_;
  std::vector<std::string> words_;
  std::vector<std::string> terms_;
  absl::flat_hash_map<std::string, int32_t> word_ids_;
  absl::flat_hash_map<std::string, int32_t> term_ids_;
  std::vector<Token> word_info_;  // per word id: term and flags (offsets unused)
  int speaker_count_ = 0;
  bool has_customer_ = false;
  bool has_agent_ = false;
};

}  // namespace parley::analysis::summary
