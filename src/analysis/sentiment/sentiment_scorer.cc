#include "analysis/sentiment/sentiment_scorer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace parley::analysis {
namespace {

// Rule constants. The caps, negation, "!", "?", "but" and distance constants
// are VADER's published, empirically derived values. The negation scope (up
// to 4 words instead of VADER's 3, ended early by clause cues), irrealis blocking (as in Taboada et al.'s SO-CAL)
// and "too" are Parley's, chosen on the tuning split of custrev.all (see
// docs/quality/sentiment.md).
constexpr float kCapsStep = 0.733f;              // ALL CAPS word among mixed case
constexpr float kNegationScalar = -0.74f;        // valence multiplier per negation
constexpr float kNegatedNegativeScalar = -0.3f;  // ... of a negative word ("not bad")
constexpr float kExclamationStep = 0.292f;       // per "!", up to kMaxExclamations
constexpr int kMaxExclamations = 4;
constexpr float kQuestionStep = 0.18f;           // per "?" when there are 2 or 3
constexpr float kManyQuestions = 0.96f;          // 4 or more "?"
constexpr float kBeforeContrast = 0.5f;          // "good, but ..." : before "but"
constexpr float kAfterContrast = 1.5f;           // after "but"
constexpr float kDistanceScale[3] = {1.0f, 0.95f, 0.9f};  // modifier 1, 2, 3 words back
constexpr int kWindow = 3;                       // words a modifier reaches forward
constexpr int kNegationScope = 4;                // words a negator reaches forward at most
constexpr int kRaisedScope = 6;                  // ... counted from a raising verb ("don't think")
constexpr float kIrrealisScale = 0.0f;           // sentiment after "if", "would have"
constexpr float kTooValence = -1.0f;             // "too" + a word: "too small"

// Texts longer than this are scored on their first kMaxBytes bytes (offsets
// are 32-bit).
constexpr size_t kMaxBytes = size_t{1} << 31;

// ---- characters -----------------------------------------------------------

enum CharClass : uint8_t {
  kOther = 0,      // ignored punctuation and symbols
  kSpace,          // separates chunks
  kAlnum,          // letter or digit
  kJoiner,         // ' - & : part of a word when between word characters
  kSentenceEnd,    // . ! ? (a "." between word characters is part of the word)
  kClauseBreak,    // , ; : ( ) [ ] / and the like
};

struct CharTable {
  uint8_t cls[256];
  char lower[256];
  constexpr CharTable() : cls(), lower() {
    for (int c = 0; c < 256; ++c) {
      lower[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      cls[c] = kOther;
    }
    for (int c = '0'; c <= '9'; ++c) cls[c] = kAlnum;
    for (int c = 'a'; c <= 'z'; ++c) cls[c] = kAlnum;
    for (int c = 'A'; c <= 'Z'; ++c) cls[c] = kAlnum;
    for (unsigned char c : {' ', '\t', '\n', '\r', '\f', '\v'}) cls[c] = kSpace;
    for (unsigned char c : {'\'', '-', '&'}) cls[c] = kJoiner;
    for (unsigned char c : {'.', '!', '?'}) cls[c] = kSentenceEnd;
    for (unsigned char c : {',', ';', ':', '(', ')', '[', ']', '{', '}', '/', '|'}) cls[c] = kClauseBreak;
  }
};
constexpr CharTable kChars;

inline uint8_t Class(unsigned char c) { return kChars.cls[c]; }
inline bool IsAsciiAlnum(unsigned char c) { return c < 0x80 && kChars.cls[c] == kAlnum; }

// Decodes the UTF-8 sequence at text[i] (i < size, text[i] >= 0x80). Returns
// its code point and sets *len; malformed input decodes as U+FFFD of length 1.
uint32_t DecodeUtf8(const unsigned char* s, size_t size, size_t i, size_t* len) {
  unsigned char c = s[i];
  int n;
  uint32_t cp;
  if (c >= 0xF0 && c < 0xF8) {
    n = 4;
    cp = c & 0x07;
  } else if (c >= 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else {
    *len = 1;
    return 0xFFFD;
  }
  if (c >= 0xF8 || i + n > size) {
    *len = 1;
    return 0xFFFD;
  }
  for (int k = 1; k < n; ++k) {
    unsigned char cc = s[i + k];
    if ((cc & 0xC0) != 0x80) {
      *len = 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  *len = n;
  return cp;
}

enum class CodePointKind { kLetter, kEmoji, kModifier, kApostrophe, kSpace, kClauseBreak, kSentenceEnd, kOther };

CodePointKind Classify(uint32_t cp) {
  if (cp == 0xFE0F || cp == 0xFE0E || cp == 0x200D || (cp >= 0x1F3FB && cp <= 0x1F3FF)) {
    return CodePointKind::kModifier;  // variation selectors, joiners, skin tones
  }
  if ((cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) ||
      (cp >= 0x2300 && cp <= 0x23FF) || (cp >= 0x2B00 && cp <= 0x2BFF) || cp == 0x3030 ||
      cp == 0x303D) {
    return CodePointKind::kEmoji;
  }
  if (cp == 0x2019 || cp == 0x2018 || cp == 0x02BC) return CodePointKind::kApostrophe;
  if (cp == 0x00A0 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F || cp == 0x3000) {
    return CodePointKind::kSpace;
  }
  if (cp == 0x2013 || cp == 0x2014 || cp == 0x2015) return CodePointKind::kClauseBreak;
  if (cp == 0x2026 || cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F) return CodePointKind::kSentenceEnd;
  if (cp == 0xFFFD || (cp >= 0x2010 && cp <= 0x206F) || cp == 0x00AB || cp == 0x00BB) {
    return CodePointKind::kOther;  // quotes, bullets and other general punctuation
  }
  return CodePointKind::kLetter;
}

// ---- per-thread scratch -----------------------------------------------------

struct Token {
  std::string_view text;  // lower case, in Scratch::lower
  uint32_t begin;         // bytes of the original text
  uint32_t end;
  uint32_t sentence;
  uint32_t clause;
  const WordInfo* info;   // null when the lexicon does not know it
  bool caps;              // ALL CAPS word of two or more letters
  bool word;              // a word, not an emoji or emoticon (counts toward the
                          // caps differential)
};

// A scoring unit: one token, or the tokens of a matched phrase.
struct Unit {
  uint32_t begin;
  uint32_t end;
  uint32_t sentence;
  uint32_t clause;
  float valence;          // own valence before the rules
  float negated_valence;
  float booster;
  uint32_t flags;
  bool caps;
  uint8_t negations;      // negators whose scope covers this unit
  int32_t negator;        // the nearest of them, -1 if none
  float final_valence;
};

struct Sentence {
  uint32_t first_unit = 0;
  uint16_t exclamations = 0;
  uint16_t questions = 0;
  float emphasis = 0;     // signed, after scoring
};

struct Scratch {
  std::string lower;
  std::vector<Token> tokens;
  std::vector<Unit> units;
  std::vector<Sentence> sentences;

  // Gives back the memory of an unusually long text, so that one huge
  // message does not pin megabytes in every worker thread.
  void Trim() {
    if (lower.size() <= kKeepBytes) return;
    lower = std::string();
    tokens = std::vector<Token>();
    units = std::vector<Unit>();
    sentences = std::vector<Sentence>();
  }
  static constexpr size_t kKeepBytes = 1 << 20;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

inline float Sign(float v) { return v < 0 ? -1.0f : 1.0f; }

// ---- tokenizer --------------------------------------------------------------

class Tokenizer {
 public:
  Tokenizer(const Lexicon& lexicon, std::string_view text, Scratch* s)
      : lexicon_(lexicon),
        text_(reinterpret_cast<const unsigned char*>(text.data())),
        size_(std::min(text.size(), kMaxBytes)),
        s_(*s) {
    s_.tokens.clear();
    s_.sentences.clear();
    s_.sentences.push_back(Sentence{});
    if (s_.lower.size() < size_) s_.lower.resize(size_);
    out_ = s_.lower.data();
  }

  void Run() {
    size_t i = 0;
    while (i < size_) {
      unsigned char c = text_[i];
      if (c < 0x80 && Class(c) == kSpace) {
        if (c == '\n') pending_sentence_ = true;
        ++i;
        continue;
      }
      size_t chunk_end = i;
      while (chunk_end < size_ && !(text_[chunk_end] < 0x80 && Class(text_[chunk_end]) == kSpace)) ++chunk_end;
      if (!TryEmoticon(i, chunk_end)) ScanChunk(i, chunk_end);
      i = chunk_end;
    }
  }

 private:
  // A whitespace-delimited chunk that starts or ends with punctuation may be
  // an emoticon the lexicon knows (":)", ":-(", "<3", "d:").
  bool TryEmoticon(size_t b, size_t e) {
    size_t n = e - b;
    if (n < 2 || n > 8) return false;
    unsigned char first = text_[b], last = text_[e - 1];
    bool punct_edge = (first < 0x80 && Class(first) != kAlnum) || (last < 0x80 && Class(last) != kAlnum);
    if (!punct_edge) return false;
    char buf[8];
    for (size_t k = 0; k < n; ++k) buf[k] = kChars.lower[text_[b + k]];
    const WordInfo* info = lexicon_.Find(std::string_view(buf, n));
    if (info == nullptr || info->valence == 0) return false;
    std::memcpy(out_, buf, n);
    Emit(std::string_view(out_, n), b, e, info, false, false);
    out_ += n;
    glued_ = false;
    return true;
  }

  void ScanChunk(size_t i, size_t e) {
    while (i < e) {
      unsigned char c = text_[i];
      if (c < 0x80) {
        switch (Class(c)) {
          case kAlnum:
            i = ScanWord(i, e);
            continue;
          case kSentenceEnd:
            if (c == '!') ++s_.sentences.back().exclamations;
            if (c == '?') ++s_.sentences.back().questions;
            pending_sentence_ = true;
            glued_ = false;
            ++i;
            continue;
          case kClauseBreak:
            pending_clause_ = true;
            glued_ = false;
            ++i;
            continue;
          case kJoiner:
            if (c == '\'' && i + 1 < e && IsAsciiAlnum(text_[i + 1])) {
              i = ScanClitic(i, 1, e);
              continue;
            }
            if (c == '-' && (i + 1 >= e || !IsAsciiAlnum(text_[i + 1]))) pending_clause_ = true;
            glued_ = false;
            ++i;
            continue;
          default:
            glued_ = false;
            ++i;
            continue;
        }
      }
      size_t len;
      uint32_t cp = DecodeUtf8(text_, e, i, &len);
      switch (Classify(cp)) {
        case CodePointKind::kLetter:
          i = ScanWord(i, e);
          continue;
        case CodePointKind::kEmoji:
          EmitEmoji(i, len);
          i += len;
          continue;
        case CodePointKind::kApostrophe:
          if (i + len < e && IsAsciiAlnum(text_[i + len])) {
            i = ScanClitic(i, len, e);
            continue;
          }
          break;
        case CodePointKind::kClauseBreak:
          pending_clause_ = true;
          break;
        case CodePointKind::kSentenceEnd:
          pending_sentence_ = true;
          if (cp == 0xFF01) ++s_.sentences.back().exclamations;
          if (cp == 0xFF1F) ++s_.sentences.back().questions;
          break;
        case CodePointKind::kSpace:
        case CodePointKind::kModifier:
        case CodePointKind::kOther:
          break;
      }
      glued_ = false;
      i += len;
    }
    glued_ = true;  // only whitespace until the next chunk, so far
  }

  // Length of the word character at i (0 if none): ASCII letters and digits,
  // non-ASCII letters, and ' - & . or a typographic apostrophe between two of
  // those. Writes its lower-case form to out_ and notes upper/lower case.
  size_t WordChar(size_t i, size_t e, bool at_start, bool* upper, bool* lower_case) {
    unsigned char c = text_[i];
    if (c < 0x80) {
      uint8_t cls = Class(c);
      if (cls == kAlnum) {
        if (c >= 'A' && c <= 'Z') *upper = true;
        if (c >= 'a' && c <= 'z') *lower_case = true;
        *out_++ = kChars.lower[c];
        return 1;
      }
      if (!at_start && (cls == kJoiner || c == '.') && i + 1 < e && IsAsciiAlnum(text_[i + 1])) {
        *out_++ = static_cast<char>(c);
        return 1;
      }
      return 0;
    }
    size_t len;
    uint32_t cp = DecodeUtf8(text_, e, i, &len);
    CodePointKind kind = Classify(cp);
    if (kind == CodePointKind::kLetter) {
      std::memcpy(out_, text_ + i, len);
      out_ += len;
      *lower_case = true;  // non-ASCII letters never make a word ALL CAPS
      return len;
    }
    if (kind == CodePointKind::kApostrophe && !at_start && i + len < e && IsAsciiAlnum(text_[i + len])) {
      *out_++ = '\'';
      return len;
    }
    return 0;
  }

  size_t ScanWord(size_t i, size_t e) {
    char* start = out_;
    size_t b = i;
    bool upper = false, lower_case = false;
    int letters = 0;
    for (bool at_start = true; i < e; at_start = false) {
      size_t n = WordChar(i, e, at_start, &upper, &lower_case);
      if (n == 0) break;
      if (n == 1 && IsAsciiAlnum(text_[i]) && text_[i] > '9') ++letters;
      i += n;
    }
    std::string_view word(start, out_ - start);
    // Penn-Treebank-style "do n't": glue "n't" back onto its verb.
    if (word == "n't" && glued_ && !s_.tokens.empty() && s_.tokens.back().word) {
      GlueToPrevious(word, i);
      return i;
    }
    bool caps = upper && !lower_case && letters >= 2;
    Emit(word, b, i, Lookup(word), caps, true);
    glued_ = false;
    return i;
  }

  // An apostrophe at i (of `len` bytes) followed by letters: a clitic ('s,
  // 're, 'll) glued to the previous word as "it 's" in tokenized text, or a
  // quotation mark. Returns the position after it.
  size_t ScanClitic(size_t i, size_t len, size_t e) {
    if (!glued_ || s_.tokens.empty() || !s_.tokens.back().word) {
      glued_ = false;
      return i + len;  // an opening quote: skip it, the word follows
    }
    char* start = out_;
    *out_++ = '\'';
    size_t j = i + len;
    while (j < e && IsAsciiAlnum(text_[j])) *out_++ = kChars.lower[text_[j++]];
    GlueToPrevious(std::string_view(start, out_ - start), j);
    return j;
  }

  void GlueToPrevious(std::string_view suffix, size_t end) {
    Token& prev = s_.tokens.back();
    // The previous token's text ends right where `suffix` starts in the buffer.
    prev.text = std::string_view(prev.text.data(), prev.text.size() + suffix.size());
    prev.end = static_cast<uint32_t>(end);
    prev.info = Lookup(prev.text);
  }

  void EmitEmoji(size_t i, size_t len) {
    std::memcpy(out_, text_ + i, len);
    std::string_view e(out_, len);
    out_ += len;
    Emit(e, i, i + len, lexicon_.Find(e), false, false);
    glued_ = false;
  }

  void Emit(std::string_view text, size_t b, size_t e, const WordInfo* info, bool caps, bool word) {
    if (pending_sentence_) {
      if (!s_.tokens.empty()) {
        ++sentence_;
        ++clause_;
        s_.sentences.push_back(Sentence{});
      }
      pending_sentence_ = false;
      pending_clause_ = false;
    } else if (pending_clause_) {
      ++clause_;
      pending_clause_ = false;
    }
    s_.tokens.push_back(Token{text, static_cast<uint32_t>(b), static_cast<uint32_t>(e), sentence_, clause_,
                              info, caps, word});
  }

  // The lexicon entry for a word, trying its base form ("crashes" -> "crash",
  // "hated" -> "hate", "worries" -> "worry") when the word itself is unknown
  // or known only as a modifier.
  const WordInfo* Lookup(std::string_view w) const {
    const WordInfo* info = lexicon_.Find(w);
    if (info != nullptr || w.size() < 5) return info;
    auto has_sentiment = [](const WordInfo* i) {
      return i != nullptr && (i->valence != 0 || i->negated_valence != 0);
    };
    auto try_stem = [&](std::string_view stem, std::string_view add) -> const WordInfo* {
      char buf[64];
      if (stem.size() + add.size() > sizeof buf) return nullptr;
      std::memcpy(buf, stem.data(), stem.size());
      std::memcpy(buf + stem.size(), add.data(), add.size());
      const WordInfo* i = lexicon_.Find(std::string_view(buf, stem.size() + add.size()));
      return has_sentiment(i) ? i : nullptr;
    };
    const WordInfo* found = nullptr;
    auto ends = [&](std::string_view suffix) {
      return w.size() > suffix.size() + 2 && w.substr(w.size() - suffix.size()) == suffix;
    };
    if (ends("ies") || ends("ied")) {
      found = try_stem(w.substr(0, w.size() - 3), "y");
    } else if (ends("ing")) {
      std::string_view stem = w.substr(0, w.size() - 3);
      found = try_stem(stem, "");
      if (!found) found = try_stem(stem, "e");
      if (!found && stem.size() > 3 && stem[stem.size() - 1] == stem[stem.size() - 2]) {
        found = try_stem(stem.substr(0, stem.size() - 1), "");  // "stopping"
      }
    } else if (ends("ed")) {
      std::string_view stem = w.substr(0, w.size() - 2);
      found = try_stem(stem, "");
      if (!found) found = try_stem(stem, "e");
      if (!found && stem.size() > 3 && stem[stem.size() - 1] == stem[stem.size() - 2]) {
        found = try_stem(stem.substr(0, stem.size() - 1), "");
      }
    } else if (ends("es")) {
      found = try_stem(w.substr(0, w.size() - 2), "");
      if (!found) found = try_stem(w.substr(0, w.size() - 1), "");
    } else if (ends("s") && !ends("ss") && !ends("us") && !ends("is")) {
      found = try_stem(w.substr(0, w.size() - 1), "");
    }
    return found;
  }

  const Lexicon& lexicon_;
  const unsigned char* text_;
  size_t size_;
  Scratch& s_;
  char* out_;
  uint32_t sentence_ = 0;
  uint32_t clause_ = 0;
  bool pending_sentence_ = false;
  bool pending_clause_ = false;
  bool glued_ = false;  // only whitespace since the last token ended
};

// ---- phrases ----------------------------------------------------------------

// Groups tokens into units, matching the lexicon's phrases (longest first).
void BuildUnits(const Lexicon& lexicon, Scratch* s) {
  const std::vector<Token>& tokens = s->tokens;
  const std::vector<Phrase>& phrases = lexicon.phrases();
  s->units.clear();
  uint32_t sentence = 0;
  for (size_t i = 0; i < tokens.size();) {
    const Token& t = tokens[i];
    const Phrase* match = nullptr;
    if (t.info != nullptr && t.info->phrase_count > 0) {
      for (uint16_t p = 0; p < t.info->phrase_count && !match; ++p) {
        const Phrase& ph = phrases[t.info->phrase_begin + p];
        size_t n = ph.words.size();
        if (i + n > tokens.size() || tokens[i + n - 1].sentence != t.sentence) continue;
        bool ok = true;
        for (size_t k = 1; k < n && ok; ++k) ok = tokens[i + k].text == ph.words[k];
        if (ok) match = &ph;
      }
    }
    if (t.sentence != sentence) {
      sentence = t.sentence;
      s->sentences[sentence].first_unit = static_cast<uint32_t>(s->units.size());
    }
    Unit u;
    u.begin = t.begin;
    u.sentence = t.sentence;
    u.clause = t.clause;
    u.final_valence = 0;
    if (match != nullptr) {
      size_t n = match->words.size();
      u.end = tokens[i + n - 1].end;
      u.valence = match->valence;
      u.negated_valence = 0;
      u.booster = match->booster;
      u.flags = match->flags;
      bool caps = true;
      for (size_t k = 0; k < n; ++k) caps = caps && tokens[i + k].caps;
      u.caps = caps;
      i += n;
    } else {
      u.end = t.end;
      if (t.info != nullptr) {
        u.valence = t.info->valence;
        u.negated_valence = t.info->negated_valence;
        u.booster = t.info->booster;
        u.flags = t.info->flags;
      } else {
        u.valence = 0;
        u.negated_valence = 0;
        u.booster = 0;
        u.flags = 0;
      }
      // Any word ending in "n't" ("wouldn't", "ain't") negates.
      if (t.text.size() >= 3 && t.text.substr(t.text.size() - 3) == "n't") u.flags |= kNegator;
      u.caps = t.caps;
      ++i;
    }
    s->units.push_back(u);
  }
}

// ---- rules ------------------------------------------------------------------

// Whether the discourse word at i ("okay", "yeah") is a predicate: a linking
// verb or a negator comes before it in its clause, with at most degree
// adverbs between ("it's okay", "that's not okay", "it's pretty much ok").
bool Predicate(const std::vector<Unit>& units, size_t i) {
  for (size_t d = 1; d <= kWindow && d <= i; ++d) {
    const Unit& m = units[i - d];
    if (m.clause != units[i].clause) return false;
    if (m.flags & (kLinking | kNegator)) return true;
    if (m.booster == 0) return false;
  }
  return false;
}

// Negation scope. A negator covers the words after it up to kNegationScope
// words, and less where a clause ends: punctuation, a contrast ("but"), a
// clause cue ("and", "because", "thanks", "okay"), or a subject pronoun
// ("i", "it's", "they") — in speech-recognition text, which has no
// punctuation, the words are all there is to tell clauses apart. After a
// raising verb ("I don't think it's great", "I don't feel they helped") the
// scope runs on through the next clause's subject, kRaisedScope words past
// the verb. Sets each unit's `negations` and `negator`.
void ScopeNegations(std::vector<Unit>* all) {
  std::vector<Unit>& units = *all;
  struct Scope {
    uint32_t start;
    uint32_t limit;  // last unit covered
    bool raised;
  };
  constexpr int kMaxScopes = 4;
  Scope scopes[kMaxScopes];
  int active = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    Unit& u = units[i];
    u.negations = 0;
    u.negator = -1;
    if (active > 0) {
      // A discourse word that is a predicate ("not okay") is no clause cue.
      const bool cue = (u.flags & kClauseCue) && !((u.flags & kDiscourse) && Predicate(units, i));
      if ((i > 0 && units[i - 1].clause != u.clause) || (u.flags & kContrast) || cue) {
        active = 0;
      } else {
        int kept = 0;
        for (int k = 0; k < active; ++k) {
          const bool ended = scopes[k].limit < i || ((u.flags & kSubject) && !scopes[k].raised);
          if (!ended) scopes[kept++] = scopes[k];
        }
        active = kept;
      }
      for (int k = 0; k < active; ++k) {
        ++u.negations;
        u.negator = std::max<int32_t>(u.negator, static_cast<int32_t>(scopes[k].start));
        if ((u.flags & kRaising) && !scopes[k].raised) {
          scopes[k].raised = true;
          scopes[k].limit = static_cast<uint32_t>(i + kRaisedScope);
        }
      }
    }
    if (u.flags & kNegator) {
      if (active == kMaxScopes) {
        for (int k = 1; k < active; ++k) scopes[k - 1] = scopes[k];
        --active;
      }
      scopes[active++] = Scope{static_cast<uint32_t>(i), static_cast<uint32_t>(i + kNegationScope), false};
    }
  }
}

void ScoreUnits(Scratch* s, bool caps_differential) {
  std::vector<Unit>& units = s->units;
  const size_t n = units.size();
  ScopeNegations(&units);
  for (size_t i = 0; i < n; ++i) {
    Unit& u = units[i];
    float base = u.valence;
    if ((u.flags & kLikeVerb) && i > 0 && units[i - 1].sentence == u.sentence &&
        !(units[i - 1].flags & kLikeSubject)) {
      base = 0;  // "looks like a toy"
    }
    if ((u.flags & kDropBeforeSentiment) && i + 1 < n && units[i + 1].clause == u.clause &&
        (units[i + 1].valence != 0 || units[i + 1].negated_valence != 0)) {
      base = 0;  // "no good", "pretty bad": the next word carries the sentiment
    }
    if ((u.flags & kToo) && i + 1 < n && units[i + 1].clause == u.clause) {
      base = kTooValence;  // "too small", "too long"
    }
    if ((u.flags & kDiscourse) && base != 0 && !Predicate(units, i)) {
      base = 0;  // "okay", "yeah, sure": an answer, not praise
    }
    if ((u.flags & kOpener) && base != 0 &&
        (s->sentences[u.sentence].first_unit == i ||
         (units[i - 1].sentence == u.sentence && (units[i - 1].flags & kInterjection)))) {
      base = 0;  // "well, I ...", "oh well"
    }
    if (base == 0 && u.negated_valence == 0) continue;

    // Negators whose scope covers it (ScopeNegations); other modifiers up to
    // kWindow units back, within the same clause.
    float boost = 0;
    int negations = u.negations;
    float emphasis = 1;
    if (u.negator >= 0 && (units[u.negator].flags & kNever)) {
      const int d = static_cast<int>(i) - u.negator;
      if (d >= 2 && d <= kWindow && (units[u.negator + 1].flags & kSoThis)) {
        emphasis *= d == 2 ? 1.5f : 1.25f;  // "never so good"
        --negations;
      }
    }
    if (negations > 0) {
      // "not happy at all", "not at all happy", "no problem at all"
      for (size_t k = u.negator + 1; k < n && k <= i + 2 && units[k].clause == u.clause; ++k) {
        if (units[k].flags & kAtAll) {
          boost += kBoosterStep;
          break;
        }
      }
    }
    for (int d = 1; d <= kWindow && static_cast<int>(i) - d >= 0; ++d) {
      const Unit& m = units[i - d];
      if (m.clause != u.clause || (m.flags & kContrast)) break;
      if (m.flags & kNegator) {
        continue;  // counted by its scope
      } else if (m.flags & kLeast) {
        ++negations;  // "the least helpful" ("at least" is a neutral phrase)
      } else if (m.booster != 0) {
        float step = m.booster;
        if (m.caps && caps_differential) step += Sign(step) * kCapsStep;
        boost += step * kDistanceScale[d - 1];
      } else if ((m.flags & kToo) && d == 1 && base > 0) {
        base = 0;  // "too good to be true", "too easy to break": "too" carries it
      }
    }

    float v;
    if (base == 0) {
      if (negations % 2 == 0) continue;  // "it works": no sentiment
      v = u.negated_valence;            // "it doesn't work"
      negations = 0;
    } else {
      v = base;
    }
    float magnitude = std::fabs(v);
    if (u.caps && caps_differential) magnitude += kCapsStep;
    magnitude = std::max(0.0f, magnitude + boost);
    v = Sign(v) * magnitude * emphasis;
    for (int k = 0; k < negations; ++k) v *= v < 0 ? kNegatedNegativeScalar : kNegationScalar;
    u.final_valence = v;
  }
  // Irrealis: what follows "if", "would have", "could be", "wish" in the same
  // clause is hypothetical ("it would have been nice", "if you want a great
  // camera"), not the writer's sentiment.
  for (size_t i = 0; i < n; ++i) {
    if (!(units[i].flags & kIrrealis)) continue;
    size_t k = i + 1;
    for (; k < n && units[k].clause == units[i].clause; ++k) units[k].final_valence *= kIrrealisScale;
    i = k - 1;
  }

  // A sentence that only disowns the one before it — "I do not feel that
  // way.", "I don't think so." (a negator, a raising verb, and an anaphor
  // at its end, no sentiment of its own) — negates that sentence.
  for (size_t k = 1; k < s->sentences.size(); ++k) {
    const size_t first = s->sentences[k].first_unit;
    const size_t end = k + 1 < s->sentences.size() ? s->sentences[k + 1].first_unit : n;
    if (end <= first || end - first > 8 || !(units[end - 1].flags & kAnaphor)) continue;
    bool negator = false, disowns = false, own_sentiment = false;
    for (size_t i = first; i < end; ++i) {
      own_sentiment = own_sentiment || units[i].final_valence != 0;
      if (units[i].flags & kNegator) negator = true;
      if (negator && (units[i].flags & kRaising)) disowns = true;
    }
    if (!disowns || own_sentiment) continue;
    for (size_t i = s->sentences[k - 1].first_unit; i < first; ++i) {
      float& v = units[i].final_valence;
      v *= v < 0 ? kNegatedNegativeScalar : kNegationScalar;
    }
  }

  // "but": within a sentence, what comes before weighs half, what comes after
  // half again as much. A sentence that opens with "But" contrasts with the
  // sentence before it.
  for (size_t i = 0; i < n; ++i) {
    if (!(units[i].flags & kContrast)) continue;
    uint32_t sentence = units[i].sentence;
    size_t first = s->sentences[sentence].first_unit;
    if (first == i && sentence > 0) first = s->sentences[sentence - 1].first_unit;
    for (size_t k = first; k < i; ++k) units[k].final_valence *= kBeforeContrast;
    for (size_t k = i + 1; k < n && units[k].sentence == sentence; ++k) units[k].final_valence *= kAfterContrast;
    // Only the first contrast in a sentence counts.
    while (i + 1 < n && units[i + 1].sentence == sentence) ++i;
  }

  // "!" and "?" emphasise the sentence they end, in the direction it leans.
  for (size_t k = 0; k < s->sentences.size(); ++k) {
    Sentence& sen = s->sentences[k];
    sen.emphasis = 0;
    if (sen.exclamations == 0 && sen.questions < 2) continue;
    size_t end = k + 1 < s->sentences.size() ? s->sentences[k + 1].first_unit : n;
    float sum = 0;
    for (size_t i = sen.first_unit; i < end; ++i) sum += units[i].final_valence;
    if (sum == 0) continue;
    float amp = std::min<int>(sen.exclamations, kMaxExclamations) * kExclamationStep;
    if (sen.questions > 3) {
      amp += kManyQuestions;
    } else if (sen.questions > 1) {
      amp += sen.questions * kQuestionStep;
    }
    sen.emphasis = Sign(sum) * amp;
  }
}

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Whether `text` at `pos` starts with the lower-case ASCII `pattern`,
// ignoring case.
bool StartsWithCI(std::string_view text, size_t pos, std::string_view pattern) {
  if (pos + pattern.size() > text.size()) return false;
  for (size_t k = 0; k < pattern.size(); ++k) {
    if (LowerAscii(text[pos + k]) != pattern[k]) return false;
  }
  return true;
}

// Sarcasm: praise that opens a sentence and stands alone or introduces a
// complaint — "Just great.", "Oh wonderful!", "Great, another hour on hold",
// "Thanks for nothing". Praise inside a sentence ("works just great") is
// not sarcasm.
bool Sarcastic(std::string_view text) {
  static constexpr std::string_view kPraise[] = {"great", "perfect", "wonderful", "fantastic",
                                                 "lovely", "brilliant", "awesome", "terrific"};
  static constexpr std::string_view kOpeners[] = {"just ", "oh ", "oh, ", "well ", "well, ", ""};
  static constexpr std::string_view kComplaints[] = {"another", "more", "again", "now"};
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '"')) ++pos;
    // Every pattern starts with one of these letters.
    const char first = pos < text.size() ? LowerAscii(text[pos]) : 0;
    if (first != 'j' && first != 'o' && first != 'w' && first != 't' && first != 'g' && first != 'p' &&
        first != 'f' && first != 'l' && first != 'b' && first != 'a') {
      // Not a pattern: on to the next sentence.
    } else if (StartsWithCI(text, pos, "thanks for nothing") || StartsWithCI(text, pos, "thanks a lot for nothing")) {
      return true;
    } else {
      for (std::string_view opener : kOpeners) {
        if (!StartsWithCI(text, pos, opener)) continue;
        for (std::string_view praise : kPraise) {
          size_t after = pos + opener.size();
          if (!StartsWithCI(text, after, praise)) continue;
          after += praise.size();
          // Alone: the sentence ends here ("Just great.").
          const bool ends = after == text.size() || text[after] == '.' || text[after] == '!';
          if (ends && !opener.empty()) return true;
          // Introducing a complaint: "Great, another hour on hold".
          if (after < text.size() && text[after] == ',') {
            size_t w = after + 1;
            while (w < text.size() && text[w] == ' ') ++w;
            for (std::string_view c : kComplaints) {
              if (StartsWithCI(text, w, c) && (w + c.size() == text.size() || text[w + c.size()] == ' ')) return true;
            }
          }
        }
      }
    }
    // The next sentence: the first '.', '!' or '?' from here (memchr, as
    // most texts have few: speech-recognition text often none).
    size_t end = text.size();
    for (char stop : {'.', '!', '?'}) {
      const void* at = std::memchr(text.data() + pos, stop, end - pos);
      if (at != nullptr) end = static_cast<size_t>(static_cast<const char*>(at) - text.data());
    }
    pos = end;
    while (pos < text.size() && (text[pos] == '.' || text[pos] == '!' || text[pos] == '?')) ++pos;
  }
  return false;
}

// An apology as politeness: in an agent's message these words express no
// sentiment of the speaker ("I'm sorry to hear that", "I apologise for the
// inconvenience").
bool ApologyWord(std::string_view w) {
  static constexpr std::string_view kWords[] = {"sorry", "apologize", "apologise", "apologies",
                                                "apology", "apologizing", "apologising", "regret",
                                                "inconvenience", "afraid"};
  for (std::string_view a : kWords) {
    if (w.size() != a.size()) continue;
    bool same = true;
    for (size_t k = 0; k < w.size() && same; ++k) same = LowerAscii(w[k]) == a[k];
    if (same) return true;
  }
  return false;
}

}  // namespace

SentimentScorer::SentimentScorer(const Lexicon& lexicon) : lexicon_(lexicon) {}

SentimentScorer::Result SentimentScorer::Compute(std::string_view text,
                                                 std::vector<core::SentimentContribution>* explain,
                                                 bool agent) const {
  if (explain != nullptr) explain->clear();
  Result r;
  if (text.empty()) return r;
  Scratch& s = ThreadScratch();
  Tokenizer tokenizer(lexicon_, text, &s);
  tokenizer.Run();
  if (s.tokens.empty()) {
    s.Trim();
    return r;
  }

  int words = 0, caps_words = 0;
  for (const Token& t : s.tokens) {
    if (t.word && t.text.size() >= 2) {
      ++words;
      caps_words += t.caps;
    }
  }
  bool caps_differential = caps_words > 0 && caps_words < words;

  BuildUnits(lexicon_, &s);
  ScoreUnits(&s, caps_differential);

  const std::vector<Unit>& units = s.units;
  // Praise turns to blame; looked for only when the text has praise.
  bool positive = false;
  for (const Unit& u : units) positive = positive || u.final_valence > 0;
  const bool sarcastic = positive && Sarcastic(text);
  for (size_t k = 0; k < s.sentences.size(); ++k) {
    const Sentence& sen = s.sentences[k];
    size_t end = k + 1 < s.sentences.size() ? s.sentences[k + 1].first_unit : units.size();
    for (size_t i = sen.first_unit; i < end; ++i) {
      float v = units[i].final_valence;
      if (v == 0) continue;
      if (sarcastic && v > 0) v = -v;
      if (agent && v < 0 && ApologyWord(text.substr(units[i].begin, units[i].end - units[i].begin))) continue;
      r.sum += v;
      r.abs_sum += std::fabs(v);
      if (explain != nullptr) {
        core::SentimentContribution& c = explain->emplace_back();
        c.set_token(std::string(text.substr(units[i].begin, units[i].end - units[i].begin)));
        c.set_valence(v);
      }
    }
    if (sen.emphasis != 0) {
      r.sum += sarcastic ? -std::fabs(sen.emphasis) : sen.emphasis;
      r.abs_sum += std::fabs(sen.emphasis);
      if (explain != nullptr) {
        std::string mark(std::min<int>(sen.exclamations, kMaxExclamations), '!');
        if (sen.questions > 1) mark.append(std::min<int>(sen.questions, 4), '?');
        core::SentimentContribution& c = explain->emplace_back();
        c.set_token(std::move(mark));
        c.set_valence(sarcastic ? -std::fabs(sen.emphasis) : sen.emphasis);
      }
    }
  }
  s.Trim();
  return r;
}

core::Sentiment SentimentScorer::Score(std::string_view text,
                                       std::vector<core::SentimentContribution>* explain, bool agent) const {
  Result r = Compute(text, explain, agent);
  core::Sentiment out;
  float score = r.sum / std::sqrt(r.sum * r.sum + kScoreAlpha);
  out.set_score(std::clamp(score, -1.0f, 1.0f));
  out.set_magnitude(r.abs_sum / kMagnitudeUnit);
  return out;
}

float SentimentScorer::RawSum(std::string_view text) const { return Compute(text, nullptr, false).sum; }

}  // namespace parley::analysis
