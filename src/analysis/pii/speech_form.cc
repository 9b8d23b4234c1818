#include "analysis/pii/speech_form.h"

#include <array>
#include <bit>
#include <cstring>

#include "analysis/pii/name_lists.h"
#include "analysis/pii/scan_util.h"

namespace parley::analysis::pii {
namespace {

enum class NumKind : uint8_t { kNone, kUnit, kTeen, kTens, kHundred, kThousand, kRepeat, kAnd };

struct NumWord {
  NumKind kind = NumKind::kNone;
  int value = 0;  // the unit, teen or tens value; the repeat count
  bool zero_letter = false;  // "oh", "o": zero only inside a run
};

// Classifies a word (any case) without allocating.
// Bit (len) of kNumberLengths[letter]: some number word starts with that
// letter and has that length ("t": two/ten 3, three 5, twelve/twenty/
// thirty/triple 6, thirteen/thousand 8). Most words fail this test.
constexpr uint16_t kNumberLengths[26] = {
    /*a*/ 1 << 3, 0, 0, /*d*/ 1 << 6, /*e*/ (1 << 5) | (1 << 6) | (1 << 8), /*f*/ (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8),
    0, /*h*/ 1 << 7, 0, 0, 0, 0, 0, /*n*/ (1 << 4) | (1 << 6) | (1 << 8),
    /*o*/ (1 << 1) | (1 << 2) | (1 << 3), 0, 0, 0,
    /*s*/ (1 << 3) | (1 << 5) | (1 << 7) | (1 << 9), /*t*/ (1 << 3) | (1 << 5) | (1 << 6) | (1 << 8),
    0, 0, 0, 0, 0, /*z*/ 1 << 4};

// Whether `w` may be a number word (by first letter and length): inline,
// so that the common case costs a few instructions.
inline bool MaybeNumberWord(std::string_view w) {
  if (w.empty() || w.size() > 9) return false;
  const char first = ToLowerAscii(w[0]);
  return IsAsciiLower(first) && (kNumberLengths[first - 'a'] & (1u << w.size()));
}

NumWord ClassifyNumber(std::string_view w) {
  if (!MaybeNumberWord(w)) return {NumKind::kNone, 0, false};
  char buf[9];
  for (size_t i = 0; i < w.size(); ++i) buf[i] = ToLowerAscii(w[i]);
  std::string_view s(buf, w.size());
  struct Entry {
    std::string_view word;
    NumKind kind;
    int value;
  };
  static constexpr Entry kWords[] = {
      {"zero", NumKind::kUnit, 0},       {"one", NumKind::kUnit, 1},
      {"two", NumKind::kUnit, 2},        {"three", NumKind::kUnit, 3},
      {"four", NumKind::kUnit, 4},       {"five", NumKind::kUnit, 5},
      {"six", NumKind::kUnit, 6},        {"seven", NumKind::kUnit, 7},
      {"eight", NumKind::kUnit, 8},      {"nine", NumKind::kUnit, 9},
      {"ten", NumKind::kTeen, 10},       {"eleven", NumKind::kTeen, 11},
      {"twelve", NumKind::kTeen, 12},    {"thirteen", NumKind::kTeen, 13},
      {"fourteen", NumKind::kTeen, 14},  {"fifteen", NumKind::kTeen, 15},
      {"sixteen", NumKind::kTeen, 16},   {"seventeen", NumKind::kTeen, 17},
      {"eighteen", NumKind::kTeen, 18},  {"nineteen", NumKind::kTeen, 19},
      {"twenty", NumKind::kTens, 20},    {"thirty", NumKind::kTens, 30},
      {"forty", NumKind::kTens, 40},     {"fifty", NumKind::kTens, 50},
      {"sixty", NumKind::kTens, 60},     {"seventy", NumKind::kTens, 70},
      {"eighty", NumKind::kTens, 80},    {"ninety", NumKind::kTens, 90},
      {"hundred", NumKind::kHundred, 0}, {"thousand", NumKind::kThousand, 0},
      {"double", NumKind::kRepeat, 2},   {"triple", NumKind::kRepeat, 3},
      {"and", NumKind::kAnd, 0}};
  // Entries by first letter, so that most words are out after one switch.
  static const auto* by_letter = [] {
    auto* t = new std::vector<Entry>[26];
    for (const Entry& e : kWords) t[e.word[0] - 'a'].push_back(e);
    return t;
  }();
  if (!IsAsciiLower(s[0])) return {NumKind::kNone, 0, false};
  if (s == "oh" || s == "o") return {NumKind::kUnit, 0, true};
  for (const Entry& e : by_letter[s[0] - 'a']) {
    if (e.word.size() != s.size()) continue;
    size_t k = 1;  // the first letter matched by bucket; no memcmp call for a few bytes
    while (k < s.size() && e.word[k] == s[k]) ++k;
    if (k == s.size()) return {e.kind, e.value, false};
  }
  return {NumKind::kNone, 0, false};
}

bool AllDigits(std::string_view w) {
  if (w.empty()) return false;
  for (char c : w) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

struct Word {
  uint32_t start, end;
  bool number;       // starts with a digit
  bool plain_gap;    // only spaces (or one hyphen) since the previous word
  bool glued;        // part of an address or name joined by '.', '@' or '_' ("jane.doe@x.com")
};

// Whether a letter (of any script) starts at byte i; sets *len.
bool LetterAt(std::string_view text, size_t i, size_t* len) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) {
    *len = 1;
    return IsAsciiAlpha(static_cast<char>(c));
  }
  return IsWordCodePoint(DecodeUtf8(text, i, len));
}

// Words and numbers of `text`: letters (any script) with inner
// apostrophes, or a digit followed by letters and digits. Everything else
// separates; a word glued to digits ("abc123") is neither.
// Byte classes for Words: one table load per byte.
enum : uint8_t { kOtherByte = 0, kLetterByte = 1, kDigitByte = 2, kHighByte = 4 };
constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = c >= 0x80                                     ? kHighByte
           : (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? kLetterByte
           : (c >= '0' && c <= '9')                      ? kDigitByte
                                                         : kOtherByte;
  }
  return t;
}();
inline uint8_t ByteClass(char c) { return kByteClass[static_cast<unsigned char>(c)]; }

void Words(std::string_view text, std::vector<Word>* out) {
  out->clear();
  size_t i = 0, prev_end = 0;
  const size_t n = text.size();
  while (i < n) {
    size_t len;
    const uint8_t cls = ByteClass(text[i]);
    if (cls == kOtherByte) {
      ++i;
      continue;
    }
    const bool digit = cls == kDigitByte;
    if (cls == kHighByte && !LetterAt(text, i, &len)) {
      i += len;
      continue;
    }
    size_t j = i;
    bool mixed = false;
    if (digit) {
      while (j < n && (ByteClass(text[j]) & (kLetterByte | kDigitByte))) ++j;
    } else {
      while (j < n) {
        const uint8_t c = ByteClass(text[j]);
        if (c == kLetterByte) {
          ++j;
        } else if (c == kDigitByte) {
          mixed = true;
          ++j;
        } else if (text[j] == '\'' && j + 1 < n && IsAsciiAlpha(text[j + 1])) {
          ++j;
        } else if (c == kHighByte && LetterAt(text, j, &len)) {
          j += len;
        } else {
          break;
        }
      }
    }
    if (mixed) {
      prev_end = i = j;
      continue;
    }
    bool plain = true;
    int hyphens = 0;
    for (size_t k = prev_end; k < i; ++k) {
      if (text[k] == '-') {
        ++hyphens;
      } else if (!IsSpaceOrTab(text[k])) {
        plain = false;
      }
    }
    auto joiner = [](char ch) { return ch == '.' || ch == '@' || ch == '_'; };
    const bool glued = (j + 1 < n && joiner(text[j]) && IsAsciiAlnum(text[j + 1])) ||
                       (i >= 2 && joiner(text[i - 1]) && IsAsciiAlnum(text[i - 2]));
    out->push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(j), digit,
                    plain && hyphens <= 1 && !out->empty(), glued});
    prev_end = i = j;
  }
}

// Upper-cases the letter at p[0..n) in place when its capital has the same
// UTF-8 length: ASCII, Latin-1, Latin Extended-A, Cyrillic.
void UpperFirst(char* p, size_t n) {
  const unsigned char c = static_cast<unsigned char>(p[0]);
  if (c < 0x80) {
    p[0] = ToUpperAscii(p[0]);
    return;
  }
  if (n < 2) return;
  size_t len;
  uint32_t cp = DecodeUtf8(std::string_view(p, n), 0, &len);
  if (len != 2) return;
  uint32_t up = cp;
  if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) {
    up = cp - 0x20;
  } else if ((cp >= 0x101 && cp <= 0x137 && cp % 2 == 1) ||
             (cp >= 0x13A && cp <= 0x148 && cp % 2 == 0) ||
             (cp >= 0x14B && cp <= 0x177 && cp % 2 == 1) ||
             (cp >= 0x17A && cp <= 0x17E && cp % 2 == 0)) {
    up = cp - 1;
  } else if (cp >= 0x430 && cp <= 0x44F) {
    up = cp - 0x20;
  }
  p[0] = static_cast<char>(0xC0 | (up >> 6));
  p[1] = static_cast<char>(0x80 | (up & 0x3F));
}

}  // namespace

std::string SpokenDigits(const std::vector<std::string_view>& words) {
  struct Chunk {
    long long value;
    bool literal;      // digits as written
    std::string digits;
    int open_below;    // after "hundred"/"thousand": an addend below this joins
  };
  std::vector<Chunk> chunks;
  size_t i = 0;
  int number_words = 0;
  auto add_value = [&](long long v) {
    if (!chunks.empty() && chunks.back().open_below > v) {
      chunks.back().value += v;
      chunks.back().open_below = 0;
      return;
    }
    chunks.push_back({v, false, "", 0});
  };
  while (i < words.size()) {
    std::string_view w = words[i];
    if (AllDigits(w)) {
      chunks.push_back({0, true, std::string(w), 0});
      ++i;
      continue;
    }
    NumWord nw = ClassifyNumber(w);
    ++number_words;
    switch (nw.kind) {
      case NumKind::kNone:
        return "";
      case NumKind::kUnit:
      case NumKind::kTeen:
        add_value(nw.value);
        ++i;
        break;
      case NumKind::kTens: {
        int v = nw.value;
        ++i;
        if (i < words.size()) {
          NumWord next = ClassifyNumber(words[i]);
          if (next.kind == NumKind::kUnit && next.value > 0 && !next.zero_letter) {
            v += next.value;
            ++i;
          }
        }
        add_value(v);
        break;
      }
      case NumKind::kHundred:
      case NumKind::kThousand: {
        const int mult = nw.kind == NumKind::kHundred ? 100 : 1000;
        const long long limit = mult == 100 ? 99 : 999;
        if (!chunks.empty() && !chunks.back().literal && chunks.back().value >= 1 &&
            chunks.back().value <= limit && chunks.back().open_below == 0) {
          chunks.back().value *= mult;
        } else {
          chunks.push_back({mult, false, "", 0});
        }
        chunks.back().open_below = mult;
        ++i;
        break;
      }
      case NumKind::kRepeat: {
        if (i + 1 >= words.size()) return "";
        NumWord next = ClassifyNumber(words[i + 1]);
        if (next.kind != NumKind::kUnit) return "";
        for (int k = 0; k < nw.value; ++k) chunks.push_back({next.value, false, "", 0});
        i += 2;
        break;
      }
      case NumKind::kAnd:
        // Only inside "one hundred and five".
        if (chunks.empty() || chunks.back().open_below == 0) return "";
        ++i;
        break;
    }
  }
  if (number_words == 0) return "";
  std::string out;
  for (const Chunk& c : chunks) {
    if (c.literal) {
      out += c.digits;
    } else {
      out += std::to_string(c.value);
    }
  }
  return out;
}

namespace {

constexpr std::string_view kStreetSuffixes[] = {
    "street", "st",      "avenue",  "ave",     "av",     "road",    "rd",      "boulevard",
    "blvd",   "lane",    "ln",      "drive",   "dr",     "court",   "ct",      "way",
    "place",  "pl",      "terrace", "parkway", "pkwy",   "circle",  "cir",     "highway",
    "hwy",    "square",  "sq",      "trail",   "alley",  "plaza",   "crescent", "close",
    "row",    "loop",    "pike",    "path",    "run",    "point",   "ridge",   "heights",
    "gardens", "grove",  "hill",    "hills",   "park",   "view",    "walk",    "expressway",
    "freeway", "turnpike", "crossing", "cove",  "creek", "estates", "glen",    "harbor",
    "landing", "meadows", "mews",   "pass",    "pines",  "springs", "summit",  "valley",
    "village", "vista",  "woods"};
// Words that may open a place name after a street ("san francisco").
constexpr std::string_view kPlaceStarts[] = {
    "san",  "santa", "santo", "los",  "las",   "la",    "el",    "new",  "fort", "port",
    "mount", "saint", "st",   "lake", "north", "south", "east",  "west", "palo", "salt",
    "des",  "baton", "grand", "long", "palm",  "little", "rock", "city", "beach", "falls",
    "springs", "island", "york", "jersey", "carolina", "dakota", "hampshire", "mexico",
    "virginia", "alto", "diego", "jose", "angeles", "vegas", "francisco", "orleans"};
constexpr std::string_view kUsStates[] = {
    "alabama",   "alaska",    "arizona",   "arkansas",  "california", "colorado", "connecticut",
    "delaware",  "florida",   "georgia",   "hawaii",    "idaho",      "illinois", "indiana",
    "iowa",      "kansas",    "kentucky",  "louisiana", "maine",      "maryland", "massachusetts",
    "michigan",  "minnesota", "mississippi", "missouri", "montana",   "nebraska", "nevada",
    "ohio",      "oklahoma",  "oregon",    "pennsylvania", "tennessee", "texas",  "utah",
    "vermont",   "washington", "wisconsin", "wyoming", "ca", "ny", "tx", "fl", "wa", "il",
    "pa", "oh", "ga", "nc", "mi", "nj", "va", "az", "ma", "tn", "md", "co", "mn", "mo", "wi",
    "or", "ut", "nv", "ia", "ar", "ks", "ky", "la", "ms", "nm", "ne", "wv", "id", "hi", "nh",
    "me", "ri", "mt", "de", "sd", "nd", "ak", "vt", "wy", "dc", "al", "ok", "ct", "sc", "in"};
// Units after a street: "apartment 4", "suite 200".
constexpr std::string_view kUnits[] = {"apartment", "apt", "suite", "unit", "floor", "room",
                                       "building", "flat", "number"};
// Phrases after which the next words are a name whatever they are (unless
// one of kNotNames): "my name is", "name's", "called".
constexpr std::string_view kNotNames[] = {
    "a",      "an",     "the",    "and",    "or",    "but",    "i",      "i'm",   "is",
    "it",     "its",    "it's",   "my",     "your",  "not",    "just",   "so",    "uh",
    "um",     "uhm",    "er",     "erm",    "hmm",   "yeah",   "yes",    "no",    "ok",
    "okay",   "well",   "like",   "calling", "from", "with",   "here",   "speaking", "on",
    "in",     "at",     "to",     "for",    "of",    "and",    "spelled", "that",  "this",
    "was",    "also",   "actually", "still", "going", "gonna",  "wanna",  "right", "sorry",
    "please", "thanks", "thank",  "you",    "we",    "he",     "she",    "they",  "me",
    "hello",  "hi",     "hey",    "good",   "correct", "be",   "have",   "has",   "had",
    "do",     "does",   "did",    "will",   "would", "can",    "could",  "should", "about",
    "what",   "who",    "how",    "why",    "when",  "where",  "there",  "their", "our",
    "his",    "her",    "as",     "by",     "if",    "then",   "than",   "because", "again",
    "one",    "two",    "three",  "four",   "five",  "six",    "seven",  "eight", "nine",
    "zero",   "name",   "last",   "first",  "full",  "number", "account", "order", "email",
    "address", "phone", "very",   "really", "great", "fine",   "glad",   "happy", "sure",
    "having", "trying", "looking", "getting", "wondering", "having", "an", "all", "some",
    // Contractions typed or transcribed without the apostrophe, and chat
    // shorthand: in no word list, yet no name.
    "im",     "ive",    "id",     "ill",    "dont",  "doesnt", "didnt",  "cant",  "couldnt",
    "wont",   "wouldnt", "shouldnt", "isnt", "arent", "wasnt",  "werent", "havent", "hasnt",
    "hadnt",  "youre",  "youve",  "youll",  "theyre", "thats", "whats",  "lets",  "theres",
    "heres",  "ur",     "pls",    "plz",   "thx",    "ty",     "lol",   "idk",
    "btw",    "omg",    "tbh",    "asap",   "fyi",   "gotta",  "kinda",  "sorta", "ya",
    "yep",    "nope",   "nah",    "mhm",    "uhh",   "umm",    "ahh",    "ohh",   "hmmm",
    "http",   "https",  "www",    "com",    "rly",   "cus",    "cuz",    "coz",   "tho",
    "wtf",    "smh",    "lmao",   "ftw",    "irl"};

// Street types before the name ("rue gafsa", "via franscini").
constexpr std::string_view kLeadingStreetTypes[] = {
    "rue",   "rua",    "via",   "viale", "vicolo", "calle", "avenida", "avda", "carrer",
    "rambla", "camino", "plaza", "piazza", "largo",  "ul",    "ulica",   "str",  "strada",
    "avenue", "boulevard", "chemin", "allée", "place", "travessa", "praça", "alameda"};
constexpr std::string_view kParticles[] = {"do", "da", "de", "del", "della", "di", "du", "des",
                                           "la", "le", "al", "el", "van", "von", "der", "den",
                                           "dos", "das", "y", "e"};
const WordSet& LeadingStreetTypes() {
  static const WordSet* set = new WordSet(kLeadingStreetTypes);
  return *set;
}
const WordSet& Particles() {
  static const WordSet* set = new WordSet(kParticles);
  return *set;
}
// The last words of the naming cues of Truecaser::NameCue.
constexpr std::string_view kCueEnds[] = {
    "is", "name's", "names", "named", "called", "mr", "mrs", "ms", "miss", "dr", "doctor",
    "surname", "name", "i'm", "im", "am", "hi", "hello", "hey", "thanks", "you", "bye", "with",
    "to", "speaking", "dear", "me"};
const WordSet& CueEnds() {
  static const WordSet* set = new WordSet(kCueEnds);
  return *set;
}
const WordSet& StreetSuffixes() {
  static const WordSet* set = new WordSet(kStreetSuffixes);
  return *set;
}
const WordSet& PlaceStarts() {
  static const WordSet* set = new WordSet(kPlaceStarts);
  return *set;
}
const WordSet& UsStates() {
  static const WordSet* set = new WordSet(kUsStates);
  return *set;
}
const WordSet& Units() {
  static const WordSet* set = new WordSet(kUnits);
  return *set;
}
const WordSet& NotNames() {
  static const WordSet* set = new WordSet(kNotNames);
  return *set;
}

bool Is(std::string_view text, const Word& w, std::string_view lower) {
  std::string_view s = text.substr(w.start, w.end - w.start);
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (ToLowerAscii(s[i]) != lower[i]) return false;
  }
  return true;
}

// The end of word `w` without a possessive "'s" ("matej's" -> "matej").
uint32_t StemEnd(std::string_view text, const Word& w) {
  if (w.end - w.start > 3 && text[w.end - 2] == '\'' && ToLowerAscii(text[w.end - 1]) == 's') {
    return w.end - 2;
  }
  return w.end;
}

// Gazetteer flags of a lower-case word (without a possessive "'s"), looked
// up capitalised; with `all`, kProperNoun too.
uint8_t FlagsOf(std::string_view text, const Word& w, const NameGazetteer& names,
                bool all = false) {
  char buf[32];
  size_t n = StemEnd(text, w) - w.start;
  if (n == 0 || n > sizeof buf) return 0;
  std::memcpy(buf, text.data() + w.start, n);
  UpperFirst(buf, n);
  const std::string_view token(buf, n);
  return all ? names.LookupAll(token) : names.Lookup(token);
}

constexpr uint8_t kNameFlags = NameGazetteer::kFirstName | NameGazetteer::kLastName;

// Capitalises names and streets in lower-case text (offsets unchanged).
class Truecaser {
 public:
  Truecaser(std::string* text, const std::vector<Word>& words, const NameGazetteer& names)
      : text_(*text), w_(words), names_(names), bloom_(BloomStorage()) {}

  void Run() {
    const size_t n = w_.size();
    // Both Bloom filters for every word of three letters or more (without
    // a possessive), with one hash each: most words of lower-case text are
    // out after this.
    bloom_.assign(n, 0);
    for (size_t k = 0; k < n; ++k) {
      const size_t len = StemEnd(text_, w_[k]) - w_[k].start;
      if (w_[k].number || len < 3 || len > 24) continue;
      char buf[24];
      for (size_t i = 0; i < len; ++i) buf[i] = ToLowerAscii(text_[w_[k].start + i]);
      bloom_[k] = kProbed | names_.BloomBits(std::string_view(buf, len));
    }
    for (size_t k = 0; k < n; ++k) {
      if (w_[k].glued) continue;  // inside an email address, a host name, an id
      if (w_[k].number) {
        if (!Street(k)) EuropeanStreet(k + 1, 4);
        continue;
      }
      const unsigned char first = static_cast<unsigned char>(text_[w_[k].start]);
      if (first >= 0x80 ? Upper(k) : IsAsciiUpper(static_cast<char>(first))) {
        continue;  // capitalised by an earlier rule
      }
      int cue = NameCue(k);
      if (cue > 0) {
        Name(k, cue == 2);
        continue;
      }
      if (NumberAhead(k) && LeadingStreetTypes().Contains(Text(k)) && EuropeanStreet(k, 5)) {
        continue;
      }
      // Most words of lower-case text are no rare name (and names have
      // three letters or more): a cached filter spares the gazetteer lookup.
      if (!(bloom_[k] & NameGazetteer::kMaybeRareName)) continue;
      uint8_t f = FlagsOf(text_, w_[k], names_);
      // A known name that is not an English word or a city: "maria",
      // "steve's account"; not a shop or restaurant ("at wendy's").
      const bool shop = StemEnd(text_, w_[k]) != w_[k].end && Before(k, "at");
      if ((f & kNameFlags) && !(f & (NameGazetteer::kCommonWord | NameGazetteer::kPlace)) &&
          w_[k].end - w_[k].start >= 3 && !NotNames().Contains(Text(k)) && !shop) {
        Cap(k);
        // "tomomi nishiyama": an unknown word just before a known name.
        if (k > 0 && w_[k].plain_gap && Unknown(k - 1) && !Upper(k - 1)) Cap(k - 1);
        // "crystal minh": an unknown word just after a first name.
        if (k + 1 < n && w_[k + 1].plain_gap && (f & NameGazetteer::kFirstName) &&
            Unknown(k + 1)) {
          Cap(k + 1);
          ++k;
        }
      }
    }
    // Middle initials: "szabina j gelencsér".
    for (size_t k = 1; k + 1 < n; ++k) {
      if (w_[k].end - w_[k].start == 1 && !w_[k].number && w_[k].plain_gap &&
          w_[k + 1].plain_gap && Upper(k - 1) && Upper(k + 1) && text_[w_[k].start] != 'a' &&
          text_[w_[k].start] != 'i') {
        Cap(k);
      }
    }
  }

 private:
  std::string_view Text(size_t k) const {
    return std::string_view(text_).substr(w_[k].start, w_[k].end - w_[k].start);
  }
  // Without a possessive "'s".
  std::string_view Stem(size_t k) const {
    return std::string_view(text_).substr(w_[k].start, StemEnd(text_, w_[k]) - w_[k].start);
  }
  bool IsWord(size_t k, std::string_view lower) const {
    return k < w_.size() && !w_[k].number && Is(text_, w_[k], lower);
  }
  // Whether words k-2, k-1 (joined plainly to k) are `a b`.
  bool Before(size_t k, std::string_view a, std::string_view b) const {
    return k >= 2 && w_[k].plain_gap && w_[k - 1].plain_gap && IsWord(k - 2, a) && IsWord(k - 1, b);
  }
  bool Before(size_t k, std::string_view a) const {
    return k >= 1 && w_[k].plain_gap && IsWord(k - 1, a);
  }
  bool Upper(size_t k) const { return IsUpperAt(text_, w_[k].start); }
  bool NumberAhead(size_t k) const {
    for (size_t j = k + 1; j < w_.size() && j <= k + 5; ++j) {
      if (w_[j].number) return true;
    }
    return false;
  }
  // Neither a known name nor an English word ("tomomi", "allika").
  bool Unknown(size_t k) const {
    return !w_[k].number && w_[k].end - w_[k].start >= 3 && !Contraction(k) &&
           FlagsOf(text_, w_[k], names_) == 0 && !NotNames().Contains(Text(k));
  }
  // "doesn't", "we'll": an apostrophe other than a possessive "'s".
  bool Contraction(size_t k) const {
    const std::string_view stem(text_.data() + w_[k].start, StemEnd(text_, w_[k]) - w_[k].start);
    return stem.find('\'') != std::string_view::npos;
  }
  void Cap(size_t k) {
    UpperFirst(&text_[w_[k].start], w_[k].end - w_[k].start);
    changed_ = true;
  }

 public:
  bool changed() const { return changed_; }

 private:

  // 2: a naming phrase ("name is", "name's", "called"); 1: a greeting or
  // introduction ("hi", "this is", "i'm", "speaking with"); 0: none.
  int NameCue(size_t k) const {
    if (k == 0 || !w_[k].plain_gap || w_[k - 1].number || w_[k - 1].end - w_[k - 1].start > 8 ||
        !CueEnds().Contains(Text(k - 1))) {
      return 0;
    }
    if (Before(k, "name", "is") || Before(k, "name's") || Before(k, "names") ||
        Before(k, "named") || Before(k, "called") || Before(k, "mr") || Before(k, "mrs") ||
        Before(k, "ms") || Before(k, "miss") || Before(k, "dr") || Before(k, "doctor") ||
        Before(k, "surname") || Before(k, "name")) {
      return 2;
    }
    if (Before(k, "this", "is") || Before(k, "i'm") || Before(k, "im") || Before(k, "i", "am") ||
        Before(k, "hi") || Before(k, "hello") || Before(k, "hey") || Before(k, "thanks") ||
        Before(k, "thank", "you") || Before(k, "bye") || Before(k, "speaking", "with") ||
        Before(k, "speak", "to") || Before(k, "talking", "to") || Before(k, "speaking") ||
        Before(k, "dear") || Before(k, "call", "me") || Before(k, "calls", "me")) {
      return 1;
    }
    return 0;
  }

  // Names with no cue, from the words alone: two or three words in a row
  // of which one is in no list at all ("eustachy gorski", "tomomi
  // nishiyama", "crystal minh") or with a middle initial between them
  // ("faina d yefremova", "sari j paavolainen"); a word of a common first
  // name that is also an English word ("crystal") needs a cue instead.
  // Speech-recognition and chat text has few words that no list knows;
  // most are names. Text where many words are unknown is another language
  // or noise, and gets no such names. A chain
  // next to a number or holding a street word is left to the street rules
  // ("brucker bundesstrasse 31"); a chain after "in", "at" is a place.
  enum class Kind : uint8_t { kOther, kUnknown, kRareName, kInitial };

  Kind KindOf(size_t k) const {
    const Word& w = w_[k];
    if (w.number || w.glued) return Kind::kOther;
    const size_t len = StemEnd(text_, w) - w.start;
    const std::string_view t(text_.data() + w.start, len);
    if (len == 1) {
      const char c = ToLowerAscii(t[0]);
      return IsAsciiLower(c) && c != 'a' && c != 'i' && c != 'o' ? Kind::kInitial : Kind::kOther;
    }
    if (len < 3 || len > 24 || Contraction(k) || NotNames().Contains(t)) return Kind::kOther;
    if (StreetSuffixes().Contains(t) || LeadingStreetTypes().Contains(t) || Units().Contains(t) ||
        EuropeanStreetWord(t)) {
      return Kind::kOther;
    }
    if (static_cast<unsigned char>(t[0]) < 0x80) {
      char buf[24];
      for (size_t i = 0; i < len; ++i) buf[i] = ToLowerAscii(t[i]);
      if (!names_.MaybeKnown(std::string_view(buf, len))) return UnknownKind(t);
    }
    const uint8_t f = FlagsOf(text_, w, names_, /*all=*/true);
    if (f == 0) return UnknownKind(t);
    if ((f & kNameFlags) && !(f & (NameGazetteer::kCommonWord | NameGazetteer::kPlace))) {
      return Kind::kRareName;
    }
    return Kind::kOther;
  }

  // A word in no list is a name candidate when it is shaped like one: Latin
  // script (lower-case text with Greek capitals, "ΜΟΝΗ", says nothing), a
  // vowel ("ttg", "ntv" are abbreviations), no letter three times in a row
  // ("gwooood"), at most 14 bytes ("frieswithicecream" is a hashtag), and
  // not the plural of a known word ("bots").
  Kind UnknownKind(std::string_view t) const {
    if (t.size() > 14) return Kind::kOther;
    bool vowel = false;
    int run = 1;
    for (size_t i = 0; i < t.size();) {
      const unsigned char c = static_cast<unsigned char>(t[i]);
      size_t len = 1;
      if (c >= 0x80) {
        if (DecodeUtf8(t, i, &len) >= 0x250) return Kind::kOther;
        vowel = true;  // accented letters are mostly vowels
      } else {
        const char l = ToLowerAscii(static_cast<char>(c));
        vowel |= l == 'a' || l == 'e' || l == 'i' || l == 'o' || l == 'u' || l == 'y';
        run = i > 0 && ToLowerAscii(t[i - 1]) == l ? run + 1 : 1;
        if (run >= 3) return Kind::kOther;
      }
      i += len;
    }
    if (!vowel) return Kind::kOther;
    if (t.size() >= 4 && ToLowerAscii(t.back()) == 's') {
      char buf[24];
      const size_t n = t.size() - 1;
      for (size_t i = 0; i < n; ++i) buf[i] = i == 0 ? ToUpperAscii(t[0]) : t[i];
      if (names_.LookupAll(std::string_view(buf, n)) != 0) return Kind::kOther;
    }
    if (Typo(t)) return Kind::kOther;
    return Kind::kUnknown;
  }

  // Whether an ASCII word is one typing slip from a known word: chats
  // misspell ("withdrawl", "wtih", "brittish") or run words together
  // ("limitfor"), and a misspelt word is no name. Two letters swapped;
  // from seven letters on also one letter deleted, inserted or replaced,
  // or a split into two known words. Shorter names are one letter from
  // some word too often ("faina": "fain", "gyala": "gala").
  bool Typo(std::string_view t) const {
    const size_t n = t.size();
    if (n < 4 || n > 13) return false;
    char w[16], c[16];
    for (size_t i = 0; i < n; ++i) {
      if (static_cast<unsigned char>(t[i]) >= 0x80) return false;
      w[i] = ToLowerAscii(t[i]);
    }
    // An English word or a proper noun that is no name (the Bloom filter
    // first: most edits are no word at all).
    auto known = [&](const char* p, size_t len) {
      if (len < 2 || len > 16 || !names_.MaybeKnown(std::string_view(p, len))) return false;
      char cap[16];
      std::memcpy(cap, p, len);
      cap[0] = ToUpperAscii(cap[0]);
      const uint8_t f = names_.LookupAll(std::string_view(cap, len));
      return (f & NameGazetteer::kCommonWord) ||
             ((f & NameGazetteer::kProperNoun) && !(f & kNameFlags));
    };
    for (size_t i = 0; i + 1 < n; ++i) {  // swaps
      std::memcpy(c, w, n);
      std::swap(c[i], c[i + 1]);
      if (c[i] != c[i + 1] && known(c, n)) return true;
    }
    if (n < 7) return false;
    for (size_t i = 0; i < n; ++i) {  // deletions
      std::memcpy(c, w, i);
      std::memcpy(c + i, w + i + 1, n - i - 1);
      if (known(c, n - 1)) return true;
    }
    for (size_t i = 0; i < n; ++i) {  // replacements
      std::memcpy(c, w, n);
      for (char l = 'a'; l <= 'z'; ++l) {
        if (l == w[i]) continue;
        c[i] = l;
        if (known(c, n)) return true;
      }
    }
    for (size_t i = 0; i <= n; ++i) {  // insertions
      std::memcpy(c, w, i);
      std::memcpy(c + i + 1, w + i, n - i);
      for (char l = 'a'; l <= 'z'; ++l) {
        c[i] = l;
        if (known(c, n + 1)) return true;
      }
    }
    for (size_t i = 3; i + 3 <= n; ++i) {  // two words run together
      if (known(w, i) && known(w + i, n - i)) return true;
    }
    return false;
  }

  // An unknown word or an initial: where a chain may be (cheap: a Bloom
  // probe for most words).
  bool Anchor(size_t k) const {
    const Word& w = w_[k];
    if (w.number || w.glued) return false;
    const size_t len = w.end - w.start;
    if (len == 1) return KindOf(k) == Kind::kInitial;
    // Most words are known (the Bloom bits of Run), before any other test;
    // a word starting with a non-ASCII letter is looked up.
    if (!(bloom_[k] & kProbed)) return false;
    if (static_cast<unsigned char>(text_[w.start]) < 0x80 &&
        (bloom_[k] & NameGazetteer::kMaybeKnown)) {
      return false;
    }
    return KindOf(k) == Kind::kUnknown;
  }

 public:
  void SpeechNames(std::vector<std::pair<uint32_t, uint32_t>>* out) {
    const size_t n = w_.size();
    thread_local std::vector<uint8_t> anchor;
    anchor.assign(n, 0);
    int words = 0, anchors = 0, unknown = 0;
    for (size_t k = 0; k < n; ++k) {
      words += !w_[k].number;
      anchor[k] = Anchor(k);
      anchors += anchor[k];
      unknown += anchor[k] && w_[k].end - w_[k].start > 1;  // not an initial
    }
    if (anchors == 0 || (words >= 6 && unknown * 3 > words)) return;
    for (size_t k = 0; k < n; ++k) {
      if (!anchor[k]) continue;
      auto member = [&](size_t j) { return KindOf(j) != Kind::kOther; };
      auto possessive = [&](size_t j) { return StemEnd(text_, w_[j]) != w_[j].end; };
      size_t a = k;
      while (a > 0 && k - a < 4 && w_[a].plain_gap && !possessive(a - 1) && member(a - 1)) --a;
      size_t b = k + 1;
      while (b < n && b - a < 7 && w_[b].plain_gap && !possessive(b - 1) && member(b)) ++b;
      const size_t next = b;
      // No initial at either end.
      while (a < b && KindOf(a) == Kind::kInitial) ++a;
      while (b > a && KindOf(b - 1) == Kind::kInitial) --b;
      int words = 0, unknown = 0, initials = 0;
      for (size_t j = a; j < b; ++j) {
        const Kind kind = KindOf(j);
        words += kind != Kind::kInitial;
        unknown += kind == Kind::kUnknown;
        initials += kind == Kind::kInitial;
      }
      // A house number after the words ("brucker bundesstrasse 31"; a
      // postal code of five digits or more is no house number) or before
      // them ("233 erzsébet tér"): a street.
      const bool street = (a > 0 && w_[a].plain_gap && w_[a - 1].number) ||
                          (b < n && w_[b].plain_gap && w_[b].number &&
                           w_[b].end - w_[b].start <= 4) ||
                          (a > 0 && w_[a].plain_gap && (IsWord(a - 1, "in") || IsWord(a - 1, "at")));
      if (words >= 2 && words <= 4 && (unknown >= 1 || initials >= 1) && !street) {
        for (size_t j = a; j < b; ++j) Cap(j);
        out->push_back({w_[a].start, StemEnd(text_, w_[b - 1])});
      }
      k = next > k ? next - 1 : k;
    }
  }

  // A name spelled out letter by letter ("crystal c r y s t a l", "my name
  // is c r y s t a l", "spelled m i n h"): three single letters or more in a
  // row, after a name or a spelling or naming word within three words.
  void SpelledNames(std::vector<std::pair<uint32_t, uint32_t>>* out) {
    const size_t n = w_.size();
    auto letter = [&](size_t j) {
      return !w_[j].number && !w_[j].glued && w_[j].end - w_[j].start == 1;
    };
    for (size_t k = 0; k < n; ++k) {
      if (!letter(k)) continue;
      size_t e = k + 1;
      while (e < n && w_[e].plain_gap && letter(e)) ++e;
      if (e - k >= 3) {
        bool cue = false;
        for (size_t j = k; j > 0 && k - j < 3 && !cue; --j) {
          cue = (Upper(j - 1) && !w_[j - 1].number) || IsWord(j - 1, "spelled") ||
                IsWord(j - 1, "spell") || IsWord(j - 1, "spelling") || IsWord(j - 1, "spelt") ||
                IsWord(j - 1, "name");
          if (!cue && IsWord(j - 1, "is") && j >= 2 && IsWord(j - 2, "name")) cue = true;
        }
        if (cue) out->push_back({w_[k].start, w_[e - 1].end});
      }
      k = e - 1;
    }
  }

 private:
  // Capitalises the name starting at word k after a cue; `strong` takes
  // any word that is not a function word.
  void Name(size_t k, bool strong) {
    size_t taken = 0;
    for (size_t j = k; j < w_.size() && taken < 3; ++j) {
      if (j > k && !w_[j].plain_gap) break;
      if (w_[j].number || NotNames().Contains(Text(j))) break;
      uint8_t f = FlagsOf(text_, w_[j], names_);
      bool name = (f & kNameFlags) != 0;
      bool unknown = f == 0 && w_[j].end - w_[j].start >= 2;
      bool ok;
      if (taken == 0) {
        ok = strong ? true : (name || unknown);
        // "this is" and "i'm" precede many words: a known name only there.
        if (!strong && (f & NameGazetteer::kCommonWord) && !name) ok = false;
      } else {
        ok = (name && !(f & NameGazetteer::kCommonWord)) || unknown ||
             (strong && name);
      }
      if (!ok) break;
      Cap(j);
      ++taken;
    }
  }

  // A house number at word k: "1200 market street", "6821 1st ave".
  bool Street(size_t k) {
    size_t j = k + 1;
    size_t suffix = 0;
    for (; j < w_.size() && j <= k + 4; ++j) {
      if (!w_[j].plain_gap) return false;
      if (j > k + 1 && !w_[j].number && StreetSuffixes().Contains(Text(j))) {
        suffix = j;
        break;
      }
      if (!w_[j].number && NotNames().Contains(Text(j))) return false;
    }
    if (suffix == 0) return false;
    for (size_t m = k + 1; m <= suffix; ++m) {
      if (!w_[m].number) Cap(m);
    }
    Tail(suffix + 1);
    return true;
  }

  // A European street from word k: up to `max_words` words then a house
  // number ("allika 46", "rua do arenque 1634", "villacher strasse 89"),
  // when the words are not English or a unit follows ("edeby 55 apt 297").
  bool EuropeanStreet(size_t k, size_t max_words) {
    size_t j = k;
    bool foreign = false, english = false;
    for (; j < w_.size() && j < k + max_words; ++j) {
      if (j > k && !w_[j].plain_gap) return false;
      if (w_[j].number) break;
      std::string_view t = Text(j);
      if (NotNames().Contains(t) && !Particles().Contains(t)) return false;
      uint8_t f = FlagsOf(text_, w_[j], names_);
      if (f == 0 || LeadingStreetTypes().Contains(t) || EuropeanStreetWord(t)) {
        foreign = true;
      } else if (f & NameGazetteer::kCommonWord) {
        english = true;
      }
    }
    if (j == k || j >= w_.size() || !w_[j].number || !w_[j].plain_gap) return false;
    if (j - k == 1 && Particles().Contains(Text(k))) return false;
    bool unit = j + 2 < w_.size() && !w_[j + 1].number && Units().Contains(Text(j + 1)) &&
                w_[j + 2].number;
    if (!unit && (english || !foreign)) return false;
    for (size_t m = k; m < j; ++m) {
      if (!Particles().Contains(Text(m))) Cap(m);
    }
    Tail(j + 1);
    return true;
  }

  // After a street: a unit ("apartment 4"), then city and state.
  void Tail(size_t j) {
    // A unit: "apartment 4b".
    if (j + 1 < w_.size() && w_[j].plain_gap && !w_[j].number && Units().Contains(Text(j)) &&
        w_[j + 1].number) {
      Cap(j);
      j += 2;
    }
    // City and state: place words, names, unknown words.
    for (int taken = 0; j < w_.size() && taken < 4; ++j, ++taken) {
      if (w_[j].number) break;
      std::string_view t = Text(j);
      uint8_t f = FlagsOf(text_, w_[j], names_);
      bool place = PlaceStarts().Contains(t) || (t.size() > 2 && UsStates().Contains(t)) ||
                   ((f & (NameGazetteer::kPlace | kNameFlags)) && !(f & NameGazetteer::kCommonWord)) ||
                   (f == 0 && t.size() >= 3);
      if (t.size() == 2 && UsStates().Contains(t) && j + 1 < w_.size() && w_[j + 1].number) {
        text_[w_[j].start] = ToUpperAscii(text_[w_[j].start]);
        changed_ = true;
        text_[w_[j].start + 1] = ToUpperAscii(text_[w_[j].start + 1]);
        break;
      }
      if (!place || NotNames().Contains(t)) break;
      Cap(j);
    }
  }

  // "kiannonkatu", "søndergade", "passauer strasse": a street word or ending.
  static bool EuropeanStreetWord(std::string_view t) {
    for (std::string_view end : {"strasse", "straße", "straat", "gasse", "katu", "tie", "vej",
                                 "gade", "gatan", "vägen", "veien", "weg", "allee", "platz",
                                 "utca", "tér", "ulica", "cesta", "iela", "gatve", "tänav"}) {
      if (t.size() >= end.size() && t.substr(t.size() - end.size()) == end) return true;
    }
    return false;
  }

  std::string& text_;
  const std::vector<Word>& w_;
  const NameGazetteer& names_;
  // NameGazetteer::BloomBits of each word, with kProbed (a word of three
  // letters or more, not a number).
  static constexpr uint8_t kProbed = 0x80;
  // Reused across texts of a thread: no allocation per message.
  static std::vector<uint8_t>& BloomStorage() {
    thread_local std::vector<uint8_t> storage;
    return storage;
  }
  std::vector<uint8_t>& bloom_;
  bool changed_ = false;
};

// Whether a number word follows a number word or digits, joined by spaces
// or a hyphen ("four one", "415 five"): a byte scan, no allocation.
bool HasSpokenNumberRun(std::string_view text) {
  int prev = 0;  // 1 a number word, 2 digits
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const char c = text[i];
    if (IsAsciiAlpha(c)) {
      size_t j = i + 1;
      while (j < n && IsAsciiAlpha(text[j])) ++j;
      const std::string_view w = text.substr(i, j - i);
      bool num = false;
      if (MaybeNumberWord(w)) {
        const NumWord nw = ClassifyNumber(w);
        num = nw.kind != NumKind::kNone && nw.kind != NumKind::kAnd;
      }
      if (num && prev != 0) return true;
      prev = num ? 1 : 0;
      i = j;
    } else if (IsDigit(c)) {
      while (i < n && IsAsciiAlnum(text[i])) ++i;
      if (prev == 1) return true;
      prev = 2;
    } else {
      if (c != ' ' && c != '-') prev = 0;
      ++i;
    }
  }
  return false;
}

// Lower-case text whose every word is known to change nothing: a fast exit
// from SpeechView::Build that gives the same answer as the full pass
// (Build returns false) without collecting words or running the truecaser.
// A word's part in that answer depends on the word alone, so it is worked
// out once per thread and word (calls and chats repeat their vocabulary)
// from the same tests the full pass makes:
//  * no number word ("one", "oh", "double"), so no number run ("and"
//    alone is none);
//  * not the last word of a naming cue ("is", "hi", "name"...), except the
//    second word of a two-word cue ("name is", "thank you"), which changes
//    nothing unless its first word ("this", "thank", "i" ...) precedes it;
//  * of three letters or more (without a possessive "'s"): no possible rare
//    name (Bloom bit), and a possible known word (so no name anchor);
//  * one letter: only "a" or "i" (no initial), and never three single
//    letters in a row (a spelled name);
//  * a word glued into an address or id by '.', '@' or '_' needs only the
//    first two.
// Text with a capital, a digit or a non-ASCII byte takes the full pass.
enum WordRole : uint8_t {
  kInertWord = 1,   // changes nothing by itself
  kCueFirst = 2,    // the first word of a two-word naming cue
  kCueSecond = 4,   // the second word of one
  kSingleLetter = 8,
  kGluedInert = 16,  // changes nothing inside an address or id ("jane.doe@x.com")
};

uint8_t RoleOf(std::string_view w, const NameGazetteer& names) {
  uint8_t role = 0;
  for (std::string_view f : {"this", "i", "thank", "speaking", "speak", "talking", "call",
                             "calls", "name"}) {
    if (w == f) role |= kCueFirst;
  }
  // "and" joins numbers only inside a run, which needs a number word.
  const NumKind kind = ClassifyNumber(w).kind;
  if (kind != NumKind::kNone && kind != NumKind::kAnd) return role;
  if (w.size() == 1) {
    role |= kGluedInert | kSingleLetter;
    return (w[0] == 'a' || w[0] == 'i') ? role | kInertWord : role;
  }
  if (w.size() <= 8 && CueEnds().Contains(w)) {
    if (w == "is" || w == "am" || w == "you" || w == "with" || w == "to" || w == "me") {
      role |= kCueSecond;
    } else {
      return role;
    }
  }
  // A glued word is skipped by the truecaser and is no name anchor: only
  // its number and cue parts count.
  role |= kGluedInert;
  size_t len = w.size();  // without a possessive, as StemEnd
  if (len > 3 && w[len - 2] == '\'' && w[len - 1] == 's') len -= 2;
  if (len >= 3 && len <= 24) {
    const uint8_t bits = names.BloomBits(w.substr(0, len));
    if ((bits & NameGazetteer::kMaybeRareName) || !(bits & NameGazetteer::kMaybeKnown)) {
      return role;
    }
  }
  return role | kInertWord;
}

bool InertLowerText(std::string_view text, const NameGazetteer& names) {
  // A word of up to 24 bytes is its own key, zero-padded (no word holds a
  // zero byte), compared as three 64-bit words (KeyPart).
  struct Entry {
    uint64_t key[3] = {0, 0, 0};  // all zero: empty
    uint8_t role = 0;
  };
  struct Cache {
    const NameGazetteer* names = nullptr;
    std::array<Entry, 512> entries{};
  };
  thread_local Cache cache;
  if (cache.names != &names) {
    cache.entries.fill(Entry{});
    cache.names = &names;
  }
  const size_t n = text.size();
  uint8_t prev = 0;
  int letters = 0;  // single-letter words in a row
  for (size_t i = 0; i < n;) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80 || IsDigit(static_cast<char>(c)) || IsAsciiUpper(static_cast<char>(c))) {
      return false;
    }
    if (!IsAsciiLower(static_cast<char>(c))) {
      ++i;
      continue;
    }
    // A word as Words reads it: letters, and apostrophes before a letter
    // (the letters eight at a time).
    size_t j = i + 1;
    for (;;) {
      if (std::endian::native == std::endian::little && j + 8 <= n) {
        const uint64_t other = ~BytesInRange8(LoadBytes8(text.data() + j), 'a', 'z') & kHighBits8;
        if (other == 0) {
          j += 8;
          continue;
        }
        j += static_cast<size_t>(std::countr_zero(other)) >> 3;
      } else {
        while (j < n && IsAsciiLower(text[j])) ++j;
      }
      if (j + 1 < n && text[j] == '\'' && IsAsciiLower(text[j + 1])) {
        j += 2;
        continue;
      }
      break;
    }
    const std::string_view w = text.substr(i, j - i);
    uint8_t role;
    if (w.size() > 24) {
      role = RoleOf(w, names);
    } else {
      uint64_t key[3];
      for (size_t k = 0; k < 3; ++k) key[k] = KeyPart(text, i + 8 * k, j);
      const uint64_t h = (key[0] * 0x9E3779B97F4A7C15ull) ^ (key[1] * 0xC2B2AE3D27D4EB4Full) ^
                         (key[2] * 0x165667B19E3779F9ull);
      Entry& e = cache.entries[(h >> 40) & (cache.entries.size() - 1)];
      if (e.key[0] != key[0] || e.key[1] != key[1] || e.key[2] != key[2]) {
        std::memcpy(e.key, key, sizeof key);
        e.role = RoleOf(w, names);
      }
      role = e.role;
    }
    auto joiner = [](char ch) { return ch == '.' || ch == '@' || ch == '_'; };
    const bool glued = (j + 1 < n && joiner(text[j]) && IsAsciiAlnum(text[j + 1])) ||
                       (i >= 2 && joiner(text[i - 1]) && IsAsciiAlnum(text[i - 2]));
    if (!(role & (glued ? kGluedInert : kInertWord))) return false;
    if ((role & kCueSecond) && (prev & kCueFirst)) return false;
    letters = (role & kSingleLetter) ? letters + 1 : 0;
    if (letters >= 3) return false;
    prev = role;
    i = j;
  }
  return true;
}

}  // namespace

bool SpeechView::Build(std::string_view text, const NameGazetteer& names) {
  // Written text (capitals) needs a view only for spoken-number runs; a
  // byte scan tells it, without collecting words.
  bool lower = true;
  const size_t n = text.size();
  // Most speech-recognition text has no capital at all: one pass that
  // vectorises tells it; the exact test ("I" is no evidence) runs otherwise.
  uint64_t capitals = 0;
  size_t i8 = 0;
  for (; i8 + 8 <= n; i8 += 8) capitals |= BytesInRange8(LoadBytes8(text.data() + i8), 'A', 'Z');
  for (; i8 < n; ++i8) capitals |= IsAsciiUpper(text[i8]);
  plain_lower_ = !capitals && InertLowerText(text, names);
  if (plain_lower_) return false;
  for (size_t i = 0; capitals && i < n; ++i) {
    // "I", "I'm", "I'll": not evidence of written text.
    if (IsAsciiUpper(text[i]) &&
        !(text[i] == 'I' && (i == 0 || !IsAsciiAlpha(text[i - 1])) &&
          (i + 1 == n || !IsAsciiAlpha(text[i + 1]) ))) {
      lower = false;
      break;
    }
  }
  if (!lower && !HasSpokenNumberRun(text)) return false;
  thread_local std::vector<Word> words;
  Words(text, &words);
  bool numbers = !lower;  // HasSpokenNumberRun said so
  if (lower) {
    int prev = 0;  // the previous word, if joined plainly: 1 a number word, 2 digits
    for (const Word& w : words) {
      if (!w.plain_gap) prev = 0;
      if (w.number) {
        if (prev == 1) numbers = true;
        prev = 2;
        continue;
      }
      const std::string_view word = text.substr(w.start, w.end - w.start);
      NumWord nw;
      if (MaybeNumberWord(word)) nw = ClassifyNumber(word);
      const bool num = nw.kind != NumKind::kNone && nw.kind != NumKind::kAnd;
      if (num && prev != 0) numbers = true;
      prev = num ? 1 : 0;
    }
  }

  text_.clear();
  runs_.clear();
  names_.clear();
  size_t copied = 0;
  if (numbers) {
    std::vector<std::string_view> run;
    size_t k = 0;
    while (k < words.size()) {
      // A run: number words and digit groups joined by spaces or a hyphen,
      // starting with a number word or digits (not "oh", "and").
      auto starts = [&](size_t m) {
        if (words[m].glued) return false;
        std::string_view s = text.substr(words[m].start, words[m].end - words[m].start);
        if (AllDigits(s)) return true;
        NumWord nw = ClassifyNumber(s);
        return nw.kind != NumKind::kNone && nw.kind != NumKind::kAnd && !nw.zero_letter;
      };
      if (!starts(k)) {
        ++k;
        continue;
      }
      size_t e = k + 1;
      while (e < words.size() && words[e].plain_gap && !words[e].glued) {
        std::string_view s = text.substr(words[e].start, words[e].end - words[e].start);
        if (!AllDigits(s) && ClassifyNumber(s).kind == NumKind::kNone) break;
        ++e;
      }
      // Trailing "and", "double", "oh" belong to the text, not the number.
      while (e > k + 1) {
        NumWord last = ClassifyNumber(
            text.substr(words[e - 1].start, words[e - 1].end - words[e - 1].start));
        if (last.kind == NumKind::kAnd || last.kind == NumKind::kRepeat) {
          --e;
        } else {
          break;
        }
      }
      run.clear();
      bool any_word = false;
      for (size_t m = k; m < e; ++m) {
        std::string_view s = text.substr(words[m].start, words[m].end - words[m].start);
        any_word |= !AllDigits(s);
        run.push_back(s);
      }
      std::string digits = (e - k >= 2 && any_word) ? SpokenDigits(run) : "";
      // A North American number said digit by digit, grouped as written
      // (3-3-4, after an optional 1), so that its shape counts.
      const size_t nanp = digits.size() == 11 && digits[0] == '1' ? 1 : 0;
      if (digits.size() == 10 + nanp && digits[nanp] >= '2' && digits[nanp + 3] >= '2') {
        digits.insert(nanp + 6, " ");
        digits.insert(nanp + 3, " ");
        if (nanp) digits.insert(1, " ");
      }
      if (digits.size() >= 2) {
        text_.append(text.substr(copied, words[k].start - copied));
        Run r;
        r.orig_start = words[k].start;
        r.orig_end = words[e - 1].end;
        r.view_start = static_cast<uint32_t>(text_.size());
        text_.append(digits);
        r.view_end = static_cast<uint32_t>(text_.size());
        runs_.push_back(r);
        copied = r.orig_end;
      }
      k = e;
    }
  }
  if (!lower && runs_.empty()) return false;
  text_.append(text.substr(copied));
  if (lower) {
    if (!runs_.empty()) Words(text_, &words);
    Truecaser truecaser(&text_, words, names);
    truecaser.Run();
    truecaser.SpeechNames(&names_);
    truecaser.SpelledNames(&names_);
    // Nothing capitalised and no number replaced: the text reads as it is.
    if (!truecaser.changed() && runs_.empty() && names_.empty()) return false;
  }
  return true;
}

size_t SpeechView::OriginalStart(size_t v) const {
  size_t shift_from_view = 0, shift_from_orig = 0;
  for (const Run& r : runs_) {
    if (v < r.view_start) break;
    if (v < r.view_end) return r.orig_start;
    shift_from_view = r.view_end;
    shift_from_orig = r.orig_end;
  }
  return v - shift_from_view + shift_from_orig;
}

size_t SpeechView::OriginalEnd(size_t v) const {
  size_t shift_from_view = 0, shift_from_orig = 0;
  for (const Run& r : runs_) {
    if (v <= r.view_start) break;
    if (v <= r.view_end) return r.orig_end;
    shift_from_view = r.view_end;
    shift_from_orig = r.orig_end;
  }
  return v - shift_from_view + shift_from_orig;
}

}  // namespace parley::analysis::pii
