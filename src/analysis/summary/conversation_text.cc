#include "analysis/summary/conversation_text.h"

#include "analysis/phrases/tokenize.h"
#include "analysis/summary/porter_stemmer.h"
#include "analysis/summary/sentences.h"
#include "analysis/summary/word_lists.h"

namespace parley::analysis::summary {
namespace {

// Courtesy formulas of contact-center talk, as case-folded words.
constexpr std::string_view kCourtesyFormulas[] = {
    "thank you for calling",     "thanks for calling",      "thank you for contacting",
    "thanks for contacting",     "thank you for choosing",  "thank you for reaching out",
    "how can i help",            "how may i help",          "how can i assist",
    "how may i assist",          "what can i do for you",   "my name is",
    "you are speaking",          "you re speaking",
    "welcome to",                "have a nice",             "have a great",
    "have a good",               "have a wonderful",        "have a lovely",
    "anything else",             "thank you for your patience", "thanks for your patience",
    "thank you for waiting",     "thanks for waiting",      "thank you for holding",
    "thanks for holding",        "bear with me",            "one moment",
    "just a moment",             "just a second",           "one second",
    "please hold",               "hold on",                 "you re welcome",
    "you are welcome",           "no problem",              "my pleasure",
    "good morning",              "good afternoon",          "good evening",
    "nice to meet you",          "nice talking to you",     "take care",
    "thank you so much",         "thank you very much",     "that s all",
    "that will be all",          "that is all",             "all set",
    "you too",                   "is that correct",         "can you hear me",
    "are you still there",       "let me check",            "let me see",
};

// phrases::Tokenize sink: collects a sentence's tokens.
class TokenSink {
 public:
  TokenSink(std::string_view text, uint32_t base, ConversationText* owner,
            std::vector<Token>* tokens, std::string* scratch)
      : text_(text), base_(base), tokens_(tokens), folded_(scratch), owner_(owner) {}

  void BeginWord() {}
  void BeginToken(size_t raw) {
    begin_ = raw;
    folded_->clear();
  }
  void Byte(uint8_t b) { folded_->push_back(static_cast<char>(b)); }
  void AsciiRun(const char* b, const char* e) {
    const size_t at = folded_->size();
    folded_->resize(at + static_cast<size_t>(e - b));
    char* out = folded_->data() + at;
    for (const char* p = b; p < e; ++p) *out++ = static_cast<char>(phrases::FoldAscii(*p));
  }
  void EndToken(size_t raw);

 private:
  std::string_view text_;  // the sentence
  uint32_t base_;          // its offset in the message
  std::vector<Token>* tokens_;
  std::string* folded_;
  ConversationText* owner_;
  size_t begin_ = 0;
  size_t last_end_ = 0;
  bool first_ = true;
};

}  // namespace

// Kept out of the header: the part of ConversationText that TokenSink calls.
struct ConversationTextBuilder {
  static Token Intern(ConversationText* t, const std::string& folded) {
    if (auto it = t->word_ids_.find(folded); it != t->word_ids_.end()) return t->word_info_[it->second];
    Token info{};
    info.word = static_cast<int32_t>(t->words_.size());
    info.stop = IsStopword(folded);
    info.social = IsSocialWord(folded);
    info.numeric = !folded.empty() && folded[0] >= '0' && folded[0] <= '9';
    std::string stem;
    PorterStem(folded, &stem);
    auto [term, added] = t->term_ids_.try_emplace(stem, static_cast<int32_t>(t->terms_.size()));
    if (added) t->terms_.push_back(stem);
    info.term = term->second;
    t->words_.push_back(folded);
    t->word_ids_.emplace(folded, info.word);
    t->word_info_.push_back(info);
    return info;
  }
};

namespace {

void TokenSink::EndToken(size_t raw) {
  Token t = ConversationTextBuilder::Intern(owner_, *folded_);
  t.begin = base_ + static_cast<uint32_t>(begin_);
  t.end = base_ + static_cast<uint32_t>(raw);
  const char first_byte = text_[begin_];
  t.capitalized = !first_ && first_byte >= 'A' && first_byte <= 'Z';
  t.phrase_break = false;
  if (!first_) {
    for (size_t i = last_end_; i < begin_; ++i) {
      const char c = text_[i];
      if (c != ' ' && c != '\t' && c != '-') {
        t.phrase_break = true;
        break;
      }
    }
  }
  tokens_->push_back(t);
  last_end_ = raw;
  first_ = false;
}

}  // namespace

ConversationText::ConversationText(const core::Conversation& conversation) : conversation_(&conversation) {
  // Speakers: participants by id, then channels of messages that name none.
  std::vector<std::pair<std::string_view, SpeakerRole>> participants;
  auto role_of = [](core::Role r) {
    switch (r) {
      case core::END_USER:
        return SpeakerRole::kCustomer;
      case core::HUMAN_AGENT:
      case core::ANY_AGENT:
        return SpeakerRole::kAgent;
      case core::AUTOMATED_AGENT:
        return SpeakerRole::kVirtualAgent;
      default:
        return SpeakerRole::kUnknown;
    }
  };
  for (const core::Participant& p : conversation.participants()) participants.emplace_back(p.id(), role_of(p.role()));
  std::vector<int32_t> channels;  // speaker ids participants.size() + i

  size_t bytes = 0;
  for (const core::Message& m : conversation.messages()) bytes += m.text().size();
  tokens_.reserve(bytes / 4);
  sentences_.reserve(bytes / 40);
  std::string scratch;
  std::vector<SentenceSpan> spans;
  for (int mi = 0; mi < conversation.messages_size(); ++mi) {
    const core::Message& m = conversation.messages(mi);
    if (m.state() == core::MESSAGE_DELETED || m.text().empty()) continue;
    int32_t speaker = -1;
    SpeakerRole role = SpeakerRole::kUnknown;
    if (!m.participant_id().empty()) {
      for (size_t p = 0; p < participants.size(); ++p) {
        if (participants[p].first == m.participant_id()) {
          speaker = static_cast<int32_t>(p);
          role = participants[p].second;
          break;
        }
      }
      if (speaker < 0) {  // a participant id with no participant record
        participants.emplace_back(m.participant_id(), SpeakerRole::kUnknown);
        speaker = static_cast<int32_t>(participants.size() - 1);
      }
    } else if (m.channel() != 0) {
      size_t c = 0;
      while (c < channels.size() && channels[c] != m.channel()) ++c;
      if (c == channels.size()) channels.push_back(m.channel());
      speaker = static_cast<int32_t>(1'000'000 + c);  // renumbered below
      if (conversation.has_call_channels()) {
        if (m.channel() == conversation.call_channels().customer_channel()) role = SpeakerRole::kCustomer;
        if (m.channel() == conversation.call_channels().agent_channel()) role = SpeakerRole::kAgent;
      }
    }
    if (role == SpeakerRole::kCustomer) has_customer_ = true;
    if (role == SpeakerRole::kAgent || role == SpeakerRole::kVirtualAgent) has_agent_ = true;

    const std::string_view text = m.text();
    SplitSentences(text, &spans);
    for (const SentenceSpan& span : spans) {
      Sentence s{};
      s.message_index = mi;
      s.begin = span.begin;
      s.end = span.end;
      s.speaker = speaker;
      s.role = role;
      s.token_begin = static_cast<uint32_t>(tokens_.size());
      const std::string_view sentence_text = text.substr(span.begin, span.end - span.begin);
      TokenSink sink(sentence_text, span.begin, this, &tokens_, &scratch);
      phrases::Tokenize(sentence_text, sink);
      s.token_end = static_cast<uint32_t>(tokens_.size());
      if (s.token_begin == s.token_end) continue;  // punctuation only
      size_t last = sentence_text.size();
      while (last > 0 && (sentence_text[last - 1] == '"' || sentence_text[last - 1] == ')')) --last;
      s.question = last > 0 && sentence_text[last - 1] == '?';
      sentences_.push_back(s);
    }
  }
  const int32_t participant_count = static_cast<int32_t>(participants.size());
  for (Sentence& s : sentences_) {
    if (s.speaker >= 1'000'000) s.speaker = participant_count + (s.speaker - 1'000'000);
  }
  speaker_count_ = participant_count + static_cast<int32_t>(channels.size());

  // Courtesy formulas as word-id sequences; a formula with a word the
  // conversation never uses cannot match.
  std::vector<std::vector<int32_t>> formulas;
  for (std::string_view f : kCourtesyFormulas) {
    std::vector<int32_t> ids;
    size_t p = 0;
    while (p <= f.size()) {
      size_t q = f.find(' ', p);
      if (q == std::string_view::npos) q = f.size();
      const int32_t id = FindWord(f.substr(p, q - p));
      if (id < 0) {
        ids.clear();
        break;
      }
      ids.push_back(id);
      p = q + 1;
    }
    if (!ids.empty()) formulas.push_back(std::move(ids));
  }
  // Formulas by their first word.
  absl::flat_hash_map<int32_t, std::vector<size_t>> by_first;
  for (size_t f = 0; f < formulas.size(); ++f) by_first[formulas[f][0]].push_back(f);
  for (Sentence& s : sentences_) {
    int content = 0;        // content words
    int content_names = 0;  // of which capitalised mid-sentence: names, mostly
    bool formula = false;
    for (uint32_t i = s.token_begin; i < s.token_end; ++i) {
      const Token& t = tokens_[i];
      if (t.content()) {
        ++content;
        content_names += t.capitalized;
      }
      if (formula) continue;
      auto it = by_first.find(t.word);
      if (it == by_first.end()) continue;
      for (size_t f : it->second) {
        const std::vector<int32_t>& words = formulas[f];
        if (i + words.size() > s.token_end) continue;
        size_t k = 1;
        while (k < words.size() && tokens_[i + k].word == words[k]) ++k;
        if (k == words.size()) {
          formula = true;
          break;
        }
      }
    }
    s.small_talk = content == 0 || (formula && content - content_names < 3);
  }
}

std::string_view ConversationText::Text(const Sentence& s) const {
  return std::string_view(conversation_->messages(s.message_index).text()).substr(s.begin, s.end - s.begin);
}

std::string_view ConversationText::MessageText(const Sentence& s) const {
  return conversation_->messages(s.message_index).text();
}

std::string_view ConversationText::Text(const Sentence& s, const Token& t) const {
  return std::string_view(conversation_->messages(s.message_index).text()).substr(t.begin, t.end - t.begin);
}

int32_t ConversationText::FindWord(std::string_view folded) const {
  auto it = word_ids_.find(absl::string_view(folded.data(), folded.size()));
  return it == word_ids_.end() ? -1 : it->second;
}

int32_t ConversationText::FindTerm(std::string_view stem) const {
  auto it = term_ids_.find(absl::string_view(stem.data(), stem.size()));
  return it == term_ids_.end() ? -1 : it->second;
}

}  // namespace parley::analysis::summary
