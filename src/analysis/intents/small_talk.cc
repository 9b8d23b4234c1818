#include "analysis/intents/small_talk.h"

#include <string>

#include "absl/container/flat_hash_set.h"

namespace parley::analysis::intents {
namespace {

// Words that make an utterance a social act: greeting, thanks, goodbye,
// acknowledgement, relief.
const absl::flat_hash_set<std::string>& SocialWords() {
  static const auto* words = new absl::flat_hash_set<std::string>{
      "hi", "hello", "hey", "hiya", "howdy", "yo", "greetings", "morning", "afternoon", "evening",
      "thanks", "thank", "thankyou", "thanx", "thx", "ty", "cheers", "appreciate", "appreciated",
      "grateful", "thankful", "gratitude", "obliged", "gracias", "merci", "bye", "goodbye",
      "byebye", "bye-bye", "cya", "farewell", "adios", "ok", "okay", "k", "alright", "great",
      "perfect", "awesome", "excellent", "wonderful", "fantastic", "amazing", "brilliant", "cool",
      "nice", "lovely", "super", "relief", "relieved", "welcome", "yes", "yeah", "yep", "yup",
      "sure", "no", "nope", "nah", "fine", "good", "glad", "pleasure", "sweet"};
  return *words;
}

// "how are you", "what's up": social without a social word.
const absl::flat_hash_set<std::string>& HowAreYouWords() {
  static const auto* words =
      new absl::flat_hash_set<std::string>{"how", "how's", "hows", "what's", "whats", "sup"};
  return *words;
}

// Words that carry no request of their own: pronouns, articles, linking
// verbs, intensifiers, fillers, and the rest of social formulas ("take care",
// "have a nice day", "for your help").
const absl::flat_hash_set<std::string>& FillerWords() {
  static const auto* words = new absl::flat_hash_set<std::string>{
      "i", "i'm", "im", "i've", "ive", "me", "my", "you", "you're", "youre", "your", "we",
      "we're", "us", "our", "it", "it's", "its", "that", "that's", "thats", "this", "there",
      "is", "was", "were", "be", "been", "are", "am", "a", "an", "the", "so", "very", "much",
      "lot", "lots", "really", "too", "all", "right", "just", "well", "oh", "ah", "um", "uh",
      "umm", "hmm", "wow", "and", "for", "to", "of", "with", "again", "now", "then", "soon",
      "day", "night", "weekend", "care", "take", "see", "talk", "talking", "chat", "chatting",
      "speak", "speaking", "help", "helping", "helped", "helpful", "assistance", "answer",
      "everything", "things", "going", "doing", "up", "kind", "kindly", "indeed", "many", "big",
      "job", "done", "have", "has", "had", "a", "sounds", "sound", "got", "understood", "later",
      "friend", "sir", "madam", "ma'am", "everyone", "guys", "folks", "there", "one", "same",
      "again", "today", "tonight", "both", "what", "a", "such", "quite", "truly", "once",
      "more", "anyway", "anyways", "please"};
  return *words;
}

}  // namespace

bool IsSmallTalk(std::string_view text) {
  bool social = false, any = false;
  std::string word;
  auto flush = [&]() -> bool {
    if (word.empty()) return true;
    // Quotes and hyphens around a word are not part of it.
    while (!word.empty() && (word.back() == '\'' || word.back() == '-')) word.pop_back();
    while (!word.empty() && word.front() == '\'') word.erase(word.begin());
    if (word.empty()) return true;
    any = true;
    bool ok = true;
    if (SocialWords().contains(word) || HowAreYouWords().contains(word)) {
      social = true;
    } else if (!FillerWords().contains(word)) {
      ok = false;
    }
    word.clear();
    return ok;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0xE2 && text.substr(i, 3) == "\xE2\x80\x99") {  // ’ is an apostrophe
      word += '\'';
      i += 2;
    } else if (c >= 'A' && c <= 'Z') {
      word += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || c == '\'' || c >= 0x80 || (c == '-' && !word.empty())) {
      word += static_cast<char>(c);  // other non-ASCII text makes a word we do not know
    } else if (c >= '0' && c <= '9') {
      return false;  // a number is a request's detail
    } else if (!flush()) {
      return false;
    }
  }
  if (!flush()) return false;
  return any && social;
}

}  // namespace parley::analysis::intents
