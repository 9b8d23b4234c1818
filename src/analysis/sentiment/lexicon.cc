#include "analysis/sentiment/lexicon.h"

#include <algorithm>

#include "analysis/sentiment/lexicon_data.h"

namespace parley::analysis {
namespace {

// VADER's lexicon is on a [-4, 4] scale, emoji-emotion's on [-5, 5].
constexpr float kEmojiScale = 4.0f / 5.0f;

// Words that negate what follows them (besides every word ending in "n't",
// which the scorer recognises by its suffix).
constexpr std::string_view kNegators[] = {
    "not",     "no",      "never",   "none",    "nobody",  "nothing", "nowhere", "neither",
    "nor",     "cannot",  "without", "nope",    "rarely",  "seldom",  "despite", "aint",
    "arent",   "cant",    "couldnt", "darent",  "didnt",   "doesnt",  "dont",    "hadnt",
    "hasnt",   "havent",  "isnt",    "mightnt", "mustnt",  "neednt",  "oughtnt", "shant",
    "shouldnt", "wasnt",  "werent",  "wont",    "wouldnt", "uhuh",    "uh-uh",
};

// Degree adverbs: intensifiers raise the |valence| of the sentiment word they
// precede, dampeners lower it.
constexpr std::string_view kIntensifiers[] = {
    "absolutely", "amazingly",     "awfully",     "completely",  "considerably", "decidedly",
    "deeply",     "effing",        "enormously",  "entirely",    "especially",   "exceptionally",
    "extremely",  "fabulously",    "flipping",    "flippin",     "fricking",     "frickin",
    "frigging",   "friggin",       "fully",       "fucking",     "greatly",      "hella",
    "highly",     "hugely",        "incredibly",  "intensely",   "majorly",      "more",
    "most",       "particularly",  "purely",      "quite",       "really",       "remarkably",
    "so",         "substantially", "thoroughly",  "totally",     "tremendously", "uber",
    "unbelievably", "unusually",   "utterly",     "very",        "super",        "pretty",
    "truly",      "seriously",     "insanely",    "ridiculously", "terribly",    "horribly",
    "exceedingly", "immensely",    "real",        "sooo",        "soooo",
};
constexpr std::string_view kDampeners[] = {
    "almost",  "barely",   "hardly",  "kinda",    "kindof", "kind-of", "less",   "little",
    "marginally", "occasionally", "partly", "scarcely", "slightly", "somewhat", "sorta",
    "sortof",  "sort-of",  "fairly",  "rather",   "mildly", "reasonably",
};

// Words with a valence of their own that, directly before another sentiment
// word, only modify it: "no good" is not good, not "no" plus "good". Degree
// adverbs with a valence ("pretty", "super", "terribly") get the same flag
// below: "pretty bad" is very bad, not pretty.
constexpr std::string_view kDropBeforeSentimentWords[] = {"no"};

// Words whose VADER valence reflects a sense that customer conversations and
// product reviews rarely use: "number", "credit" (a credit card), "interest"
// (a rate), "please" (a politeness marker), "hand", "top", "security" (a
// security question), "xp". Neutral in Parley.
constexpr std::string_view kDomainNeutral[] = {
    "number", "credit", "interest", "please", "hand", "top", "security", "safety", "xp",
};

// After these, "like" is the verb ("I like it", "would like", "don't like");
// elsewhere it is usually a preposition ("looks like a toy") and neutral.
constexpr std::string_view kLikeSubjects[] = {
    "i",     "we",      "you",    "they",   "he",     "she",    "who",   "really", "also",
    "just",  "still",   "do",     "does",   "did",    "would",  "will",  "to",     "i'd",
    "we'd",  "you'd",   "they'd", "i'll",   "we'll",  "you'll", "truly",  "definitely",
    "totally", "actually", "certainly", "especially", "particularly", "always", "all", "people",
    "customers", "users", "kids", "not", "might", "may", "could", "should", "must", "didnt",
    "dont",  "doesnt",  "wouldnt", "very",  "much",  "personally", "genuinely", "strongly",
};

// Clause cues: where a negation's scope ends when speech-recognition text has
// no punctuation ("it's not the price and the service was great"). "but" and
// "however" end it as contrasts.
constexpr std::string_view kClauseCues[] = {
    "and",    "because", "cause",  "'cause", "since", "although", "though", "while",  "whereas",
    "when",   "then",    "which",  "until",  "unless", "thanks",  "thank",  "okay",   "ok",
    "yes",    "yeah",    "anyway", "anyways",
};

// Subject pronouns: in unpunctuated speech a new clause starts with them
// ("that's not true it's great"), so they end a negation's scope.
constexpr std::string_view kSubjects[] = {
    "i",      "i'm",    "im",      "i've",   "ive",     "i'll",  "i'd",    "we",     "we're",
    "we've",  "we'll",  "we'd",    "you",    "you're",  "you've", "you'll", "they",  "they're",
    "they've", "they'll", "he",    "he's",   "she",     "she's", "it's",   "that's", "thats",
    "there's", "theres",
};

// Verbs that pass their negation on to the clause they introduce ("neg
// raising"): "I don't think it's great" means "I think it isn't great".
constexpr std::string_view kRaisingVerbs[] = {
    "think", "believe", "feel", "suppose", "expect", "guess", "imagine", "reckon", "seem", "seems",
    "seemed", "appear", "appears", "appeared", "say", "mean",
};

// Answers and backchannels of conversation: "okay", "yeah", "sure" say that
// the speaker heard, not that they are pleased ("okay, my account number
// is ..."). Their VADER valence counts only when they are a predicate,
// after a linking verb or a negator ("it's okay", "that's not okay").
constexpr std::string_view kDiscourseWords[] = {
    "okay", "ok", "k", "kay", "okey", "yeah", "yes", "yep", "yup", "yea", "sure", "alright",
};
constexpr std::string_view kLinkingVerbs[] = {
    "is",    "was",    "are",    "were",   "be",    "been",   "being",  "am",    "it's",  "its",
    "that's", "thats", "i'm",    "im",     "you're", "we're", "they're", "he's", "she's", "everything's",
    "seems", "seem",   "seemed", "looks",  "look",  "looked", "sounds", "sound", "sounded", "feel",
    "feels", "felt",   "became", "become", "get",   "got",    "stay",   "stayed", "remains", "remained",
};
// Interjections and turn openers before "well" ("oh well", "yeah well I
// ..."). Not "and" or "so": "and well made", "so well made" are adverbs.
constexpr std::string_view kInterjections[] = {
    "oh",     "ohh", "ah",   "ahh",  "uh",   "uhh", "um",      "umm", "er", "erm", "hmm", "mm",
    "look", "listen", "hey", "yeah", "okay", "ok",  "alright", "yes", "no", "well",
};

struct Valence {
  std::string_view word;
  float valence;
};

// Words customer conversations and product reviews use that VADER's lexicon
// lacks, rated by Parley on VADER's [-4, 4] scale. Added only where VADER has
// no entry; VADER's own ratings always win.
constexpr Valence kSupplement[] = {
    // products and service quality
    {"flimsy", -1.6f},       {"junk", -2.0f},          {"garbage", -1.9f},
    {"faulty", -1.8f},       {"glitch", -1.3f},        {"glitches", -1.3f},
    {"glitchy", -1.5f},      {"buggy", -1.5f},         {"unreliable", -1.8f},
    {"unhelpful", -1.8f},    {"unresponsive", -1.5f},  {"overpriced", -1.6f},
    {"overcharged", -1.9f},  {"malfunction", -1.8f},   {"malfunctions", -1.8f},
    {"malfunctioned", -1.8f}, {"malfunctioning", -1.8f}, {"mediocre", -1.3f},
    {"subpar", -1.5f},       {"sluggish", -1.2f},      {"laggy", -1.3f},
    {"clunky", -1.1f},       {"cumbersome", -1.2f},    {"hassle", -1.5f},
    {"hassles", -1.5f},      {"nightmare", -2.3f},     {"ripoff", -2.2f},
    {"rip-off", -2.2f},      {"unusable", -2.2f},      {"inoperable", -1.8f},
    {"defect", -1.6f},       {"defects", -1.6f},       {"unprofessional", -1.9f},
    {"disrespectful", -2.0f}, {"rubbish", -1.9f},      {"pointless", -1.6f},
    {"slow", -1.0f},         {"slower", -1.0f},        {"unresolved", -1.3f},
    {"dying", -1.9f},        {"reliable", 1.5f},       {"sturdy", 1.3f},
    {"durable", 1.3f},       {"polite", 1.5f},         {"courteous", 1.7f},
    {"knowledgeable", 1.4f}, {"intuitive", 1.3f},      {"seamless", 1.4f},
    {"seamlessly", 1.4f},    {"hassle-free", 1.8f},    {"user-friendly", 1.5f},
    {"well-made", 1.7f},     {"affordable", 1.2f},     {"inexpensive", 0.8f},
    {"reasonable", 0.8f},    {"crisp", 1.0f},          {"smooth", 1.0f},
    {"professional", 1.0f},  {"promptly", 1.0f},       {"fast", 0.6f},
    {"quick", 0.6f},         {"quickly", 0.6f},
    // interjections of pain
    {"ouch", -1.5f},         {"ow", -1.5f},            {"oww", -1.5f},
    {"owww", -1.5f},
};

// Words that carry sentiment only when negated: "it works" is neutral, "it
// doesn't work" is a complaint.
constexpr Valence kNegatedOnly[] = {
    {"work", -1.5f},       {"works", -1.5f},       {"worked", -1.5f},     {"working", -1.5f},
    {"function", -1.4f},   {"functions", -1.4f},   {"functioning", -1.4f}, {"arrive", -1.3f},
    {"arrived", -1.3f},    {"receive", -1.1f},     {"received", -1.1f},   {"respond", -1.3f},
    {"responded", -1.3f},  {"responding", -1.3f},  {"answer", -1.0f},     {"answered", -1.0f},
    {"fix", -1.2f},        {"fixed", -1.2f},       {"charge", -1.2f},     {"charging", -1.2f},
    {"load", -1.0f},       {"loading", -1.0f},     {"connect", -1.0f},    {"connecting", -1.0f},
    {"recognize", -0.9f},  {"recognized", -0.9f},
    // VADER rates these positive; in customer conversations they are
    // neutral ("how can I help you", "it plays DVDs", "it supports MP3")
    // unless negated ("it doesn't support", "that didn't help").
    {"help", -1.3f},       {"helps", -1.3f},       {"helped", -1.3f},     {"play", -1.2f},
    {"plays", -1.2f},      {"played", -1.2f},      {"playing", -1.2f},    {"support", -1.2f},
    {"supports", -1.2f},   {"supported", -1.2f},   {"fit", -1.0f},        {"fits", -1.0f},
    {"care", -1.3f},
    // customer talk: "no issues", "never had an issue" are praise; "I have an
    // issue" states a case, and "issued" is no sentiment at all
    {"issue", 0.8f},       {"issues", 0.8f},
};

struct PhraseSpec {
  std::string_view text;  // space-separated, lower case
  float valence;
  float booster;
  uint32_t flags;
};

// Multi-word units. Idioms carry a valence that replaces their words' own;
// a phrase with neither valence nor flags simply keeps its words from being
// read one by one ("at least", "nothing but", "not only").
constexpr PhraseSpec kPhrases[] = {
    // VADER's special cases
    {"the shit", 3.0f, 0, 0},
    {"the bomb", 3.0f, 0, 0},
    {"bad ass", 1.5f, 0, 0},
    {"yeah right", -2.0f, 0, 0},
    {"cut the mustard", 2.0f, 0, 0},
    {"kiss of death", -1.5f, 0, 0},
    {"hand to mouth", -2.0f, 0, 0},
    // degree adverbs of several words
    {"kind of", 0, -kBoosterStep, 0},
    {"sort of", 0, -kBoosterStep, 0},
    {"a bit", 0, -kBoosterStep, 0},
    {"a little", 0, -kBoosterStep, 0},
    {"a little bit", 0, -kBoosterStep, 0},
    {"just enough", 0, -kBoosterStep, 0},
    {"a lot", 0, kBoosterStep, 0},
    {"by far", 0, kBoosterStep, 0},
    // irrealis: what follows is hypothetical
    {"would have", 0, 0, kIrrealis},
    {"could have", 0, 0, kIrrealis},
    {"should have", 0, 0, kIrrealis},
    {"would've", 0, 0, kIrrealis},
    {"could've", 0, 0, kIrrealis},
    {"should've", 0, 0, kIrrealis},
    {"would be", 0, 0, kIrrealis},
    {"could be", 0, 0, kIrrealis},
    {"should be", 0, 0, kIrrealis},
    {"could use", 0, 0, kIrrealis},
    // negators of several words, and phrases that only look like negation
    {"no longer", 0, 0, kNegator},
    {"at least", 0, 0, 0},
    {"nothing but", 0, 0, 0},
    {"not only", 0, 0, 0},
    {"not just", 0, 0, 0},
    {"at all", 0, 0, kAtAll},
    {"second to none", 2.5f, 0, 0},
    {"can't go wrong", 2.0f, 0, 0},
    {"cannot go wrong", 2.0f, 0, 0},
    {"can not go wrong", 2.0f, 0, 0},
    {"like a charm", 2.0f, 0, 0},
    {"can't complain", 1.2f, 0, 0},
    {"cannot complain", 1.2f, 0, 0},
    {"couldn't be happier", 3.0f, 0, 0},
    {"could not be happier", 3.0f, 0, 0},
    {"couldn't be better", 2.8f, 0, 0},
    {"could not be better", 2.8f, 0, 0},
    {"couldn't be worse", -2.8f, 0, 0},
    {"could not be worse", -2.8f, 0, 0},
    // customer complaints and praise
    {"waste of money", -2.5f, 0, 0},
    {"waste of time", -2.3f, 0, 0},
    {"piece of junk", -2.5f, 0, 0},
    {"piece of crap", -2.8f, 0, 0},
    {"piece of garbage", -2.5f, 0, 0},
    {"piece of shit", -3.0f, 0, 0},
    {"rip off", -2.2f, 0, 0},
    {"ripped off", -2.3f, 0, 0},
    {"stopped working", -2.0f, 0, 0},
    {"stop working", -1.8f, 0, 0},
    {"stops working", -1.8f, 0, 0},
    {"quit working", -2.0f, 0, 0},
    {"quits working", -2.0f, 0, 0},
    {"fell apart", -1.8f, 0, 0},
    {"falls apart", -1.8f, 0, 0},
    {"fall apart", -1.6f, 0, 0},
    {"broke down", -1.9f, 0, 0},
    {"hung up", -1.4f, 0, 0},
    {"run around", -1.2f, 0, 0},
    {"runaround", -1.2f, 0, 0},
    {"never again", -2.0f, 0, 0},
    // exclamations of surprise or exasperation, not praise of anyone ("oh my
    // god it's been an hour"): their words are not read one by one
    {"oh my god", 0, 0, 0},
    {"my god", 0, 0, 0},
    {"oh god", 0, 0, 0},
    {"good god", 0, 0, 0},
    {"oh my gosh", 0, 0, 0},
    // "all right" answers like "alright"
    {"all right", 1.0f, 0, kDiscourse | kClauseCue},
    // greetings and farewells: ritual, not praise ("good morning", "nice to
    // meet you", "good bye")
    {"good morning", 0, 0, 0},
    {"good afternoon", 0, 0, 0},
    {"good evening", 0, 0, 0},
    {"good night", 0, 0, 0},
    {"good bye", 0, 0, 0},
    {"nice to meet you", 0, 0, 0},
    {"nice meeting you", 0, 0, 0},
    {"pleased to meet you", 0, 0, 0},
    {"well made", 1.6f, 0, 0},
    {"well built", 1.5f, 0, 0},
    {"well worth", 2.0f, 0, 0},
    {"worth every penny", 2.5f, 0, 0},
};

}  // namespace

const Lexicon& Lexicon::Default() {
  static const Lexicon* lexicon = new Lexicon();
  return *lexicon;
}

WordInfo& Lexicon::Entry(std::string_view word) {
  return words_[absl::string_view(word.data(), word.size())];
}

void Lexicon::AddPhrase(std::string_view text, float valence, float booster, uint32_t flags) {
  Phrase p;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) p.words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (p.words.size() < 2) return;
  p.valence = valence;
  p.booster = booster;
  p.flags = flags;
  phrases_.push_back(std::move(p));
}

Lexicon::Lexicon() {
  using sentiment_data::kEmojiPolarity;
  using sentiment_data::kEmojiPolaritySize;
  using sentiment_data::kVaderLexicon;
  using sentiment_data::kVaderLexiconSize;
  words_.reserve(kVaderLexiconSize + kEmojiPolaritySize + 512);

  for (size_t i = 0; i < kVaderLexiconSize; ++i) {
    const auto& e = kVaderLexicon[i];
    if (e.token.find(' ') != std::string_view::npos) {
      AddPhrase(e.token, e.valence, 0, 0);  // "fed up", "can't stand"
    } else {
      Entry(e.token).valence = e.valence;
    }
  }
  for (size_t i = 0; i < kEmojiPolaritySize; ++i) {
    Entry(kEmojiPolarity[i].token).valence = kEmojiPolarity[i].valence * kEmojiScale;
  }
  for (const Valence& v : kSupplement) {
    WordInfo& w = Entry(v.word);
    if (w.valence == 0) w.valence = v.valence;
  }
  for (std::string_view w : kDomainNeutral) Entry(w).valence = 0;
  for (const Valence& v : kNegatedOnly) {
    WordInfo& w = Entry(v.word);
    w.valence = 0;
    w.negated_valence = v.valence;
  }

  // Known, so not read as a form of "issue" ("the card was not issued").
  for (std::string_view w : {"issued", "issuing", "issuer"}) Entry(w);
  for (std::string_view w : kNegators) Entry(w).flags |= kNegator;
  for (std::string_view w : kIntensifiers) Entry(w).booster = kBoosterStep;
  for (std::string_view w : kDampeners) Entry(w).booster = -kBoosterStep;
  for (std::string_view w : kDropBeforeSentimentWords) Entry(w).flags |= kDropBeforeSentiment;
  for (std::string_view w : kLikeSubjects) Entry(w).flags |= kLikeSubject;
  for (std::string_view w : {"but", "however"}) Entry(w).flags |= kContrast;
  Entry("least").flags |= kLeast;
  Entry("never").flags |= kNever;
  Entry("so").flags |= kSoThis;
  Entry("this").flags |= kSoThis;
  Entry("like").flags |= kLikeVerb;
  Entry("too").flags |= kToo;
  for (std::string_view w : kClauseCues) Entry(w).flags |= kClauseCue;
  for (std::string_view w : kSubjects) Entry(w).flags |= kSubject;
  for (std::string_view w : kRaisingVerbs) Entry(w).flags |= kRaising;
  for (std::string_view w : {"so", "way", "same"}) Entry(w).flags |= kAnaphor;
  for (std::string_view w : {"if", "wish", "wished", "wishes", "wishing"}) Entry(w).flags |= kIrrealis;
  for (std::string_view w : kDiscourseWords) Entry(w).flags |= kDiscourse;
  for (std::string_view w : kLinkingVerbs) Entry(w).flags |= kLinking;
  for (std::string_view w : kInterjections) Entry(w).flags |= kInterjection;
  // "well" is also an adverb ("it works well"): a discourse marker only where
  // it opens a sentence or follows an interjection.
  Entry("well").flags |= kOpener;

  for (auto& [word, info] : words_) {
    if (info.booster != 0 && info.valence != 0) info.flags |= kDropBeforeSentiment;
  }

  for (const PhraseSpec& p : kPhrases) AddPhrase(p.text, p.valence, p.booster, p.flags);
  // Group phrases by first word, longest first, so the scorer tries the most
  // specific match first.
  std::stable_sort(phrases_.begin(), phrases_.end(), [](const Phrase& a, const Phrase& b) {
    if (a.words[0] != b.words[0]) return a.words[0] < b.words[0];
    return a.words.size() > b.words.size();
  });
  for (size_t i = 0; i < phrases_.size();) {
    size_t j = i;
    while (j < phrases_.size() && phrases_[j].words[0] == phrases_[i].words[0]) ++j;
    WordInfo& w = Entry(phrases_[i].words[0]);
    w.phrase_begin = static_cast<uint16_t>(i);
    w.phrase_count = static_cast<uint16_t>(j - i);
    i = j;
  }
}

}  // namespace parley::analysis
