#include "analysis/summary/word_lists.h"

#include "absl/container/flat_hash_set.h"

namespace parley::analysis::summary {
namespace {

using WordSet = absl::flat_hash_set<std::string_view>;

const WordSet& Stopwords() {
  static const WordSet* const words = new WordSet{
      // articles, pronouns, determiners
      "a", "an", "the", "i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "ourselves",
      "you", "your", "yours", "yourself", "yourselves", "he", "him", "his", "himself", "she", "her",
      "hers", "herself", "it", "its", "itself", "they", "them", "their", "theirs", "themselves",
      "this", "that", "these", "those", "who", "whom", "whose", "which", "what", "whatever",
      "someone", "somebody", "something", "anyone", "anybody", "anything", "everyone",
      "everybody", "everything", "nobody", "nothing", "none", "one", "ones", "each", "every",
      "all", "any", "both", "either", "neither", "some", "such", "other", "others", "another",
      "own", "same", "few", "more", "most", "less", "least", "many", "much", "several", "lot",
      "lots", "bit", "kind", "sort", "thing", "things", "way", "stuff",
      // auxiliaries and modals
      "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "having",
      "do", "does", "did", "doing", "done", "will", "would", "shall", "should", "can", "could",
      "may", "might", "must", "ought",
      // contraction pieces
      "s", "t", "d", "ll", "m", "re", "ve", "don", "doesn", "didn", "isn", "aren", "wasn",
      "weren", "hasn", "haven", "hadn", "won", "wouldn", "shan", "shouldn", "couldn", "mustn",
      "mightn", "needn", "ain", "cannot", "can't", "gonna", "wanna", "gotta", "lemme",
      // prepositions and conjunctions
      "of", "in", "on", "at", "by", "for", "with", "about", "against", "between", "into",
      "through", "during", "before", "after", "above", "below", "to", "from", "up", "down", "out",
      "off", "over", "under", "again", "further", "then", "once", "and", "but", "or", "nor", "so",
      "if", "because", "as", "until", "while", "than", "too", "very", "via", "per", "upon",
      "onto", "within", "without", "along", "around", "across", "behind", "beside", "besides",
      "toward", "towards", "though", "although", "unless", "whether", "since", "till",
      // adverbs and question words
      "here", "there", "when", "where", "why", "how", "again", "ever", "never", "always",
      "sometimes", "often", "usually", "also", "just", "only", "even", "still", "already", "yet",
      "now", "then", "soon", "later", "ago", "lately", "recently", "earlier", "currently",
      "anymore", "meanwhile", "otherwise", "back", "away", "maybe", "perhaps", "probably",
      "actually", "really", "quite", "rather", "pretty", "almost", "enough", "else", "instead",
      "anyway", "anyways", "course", "however", "therefore", "thus", "indeed", "certainly", "definitely",
      "exactly", "basically", "literally", "totally", "simply", "especially", "not", "no", "yes",
      "yeah", "yep", "yup", "nope", "ok", "okay", "oh", "ah", "uh", "um", "umm", "uhm", "hmm",
      "mm", "mhm", "er", "erm", "huh", "well", "like", "right", "alright", "sure", "so", "hey",
      "wow", "gosh", "oops",
      // general verbs
      "get", "gets", "got", "gotten", "getting", "go", "goes", "went", "gone", "going", "make",
      "makes", "made", "making", "want", "wants", "wanted", "wanting", "need", "needs", "needed",
      "know", "knows", "knew", "known", "think", "thinks", "thought", "see", "sees", "saw",
      "seen", "say", "says", "said", "saying", "tell", "tells", "told", "let", "lets", "take",
      "takes", "took", "taken", "taking", "come", "comes", "came", "coming", "look", "looks",
      "looked", "looking", "give", "gives", "gave", "given", "try", "tried", "trying", "use",
      "used", "mean", "means", "meant", "put", "keep", "kept", "seem", "seems", "seemed", "feel",
      "feels", "felt", "guess", "suppose", "sound", "sounds", "mind", "wonder", "wondering",
      "hope", "talk", "talking", "ask", "asked", "asking", "happen", "happens", "happened",
      "happening", "believe", "understand", "remember", "care", "matter",
      // vague nouns and adjectives
      "time", "times", "today", "tomorrow", "yesterday", "tonight", "now", "new", "old", "big",
      "little", "long", "good", "better", "best", "bad", "worse", "great", "fine", "nice",
      "able", "sure", "certain", "first", "last", "next", "other", "else", "whole", "real",
      "true", "wrong", "okay", "mr", "mrs", "ms", "dr", "sir", "madam", "ma", "am", "pm",
      "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};
  return *words;
}

const WordSet& SocialWords() {
  static const WordSet* const words = new WordSet{
      "hello", "hi", "hey", "hiya", "greetings", "morning", "afternoon", "evening", "night",
      "day", "weekend", "bye", "goodbye", "thanks", "thank", "thankyou", "thx", "cheers",
      "welcome", "please", "pleasure", "appreciate", "appreciated", "glad", "happy", "wonderful",
      "awesome", "excellent", "perfect", "lovely", "fantastic", "sorry", "apologize",
      "apologise", "apologies", "calling", "call", "called", "contacting", "contact", "reaching",
      "reached", "help", "helping", "helped", "assist", "assistance", "assisting", "speaking",
      "name", "moment", "moments", "minute", "minutes", "second", "seconds", "hold", "holding",
      "wait", "waiting", "patience", "bear", "problem", "problems", "worries", "care", "hear",
      "great", "nice", "anything", "questions", "question", "concern", "concerns", "today",
      "chat", "chatting", "agent", "representative", "customer", "service", "sir", "madam",
      "ma'am", "folks", "guys"};
  return *words;
}

}  // namespace

bool IsStopword(std::string_view folded_token) { return Stopwords().contains(folded_token); }

bool IsSocialWord(std::string_view folded_token) { return SocialWords().contains(folded_token); }

}  // namespace parley::analysis::summary
