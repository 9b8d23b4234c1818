// PERSON_NAME, over tokens. A chain of capitalised words on one line (with
// initials "M." and particles "van", "ten" inside) is a name when:
//  * a title precedes it ("Mr.", "Dr", "Ms") or a naming phrase does
//    ("my name is", "Name:", "last name?", "named"): taken as is;
//  * a greeting or self-introduction precedes it ("hi", "thanks", "this
//    is", "I'm") and its first word is a known name, even one that is also
//    an English word ("Grace"), or a word that is neither ("Tomomi");
//  * it starts with a known first name that is not also a common English
//    word ("Sara Schwarz", "Scott"), or with one that is, followed by a
//    surname, an initial or a word that is neither name nor English word
//    ("Will Smith", "Crystal Minh");
//  * it has a middle initial ("Faina D. Yefremova"), or is an unknown word
//    and a known surname ("Tomomi Nishiyama");
//  * a weaker cue precedes it ("by", "with") and it holds a known name;
//  * it is a known name alone at the start of a line followed by ':' (a
//    speaker label).
// It is not a name when an organisation word follows or ends it ("Russell
// Investments", "Aunt Bertha Inc"), a street word ends it ("Mathias
// Pass") or a place word starts it ("San Francisco", "Fort Worth"). Known names and English words come from the gazetteer
// (name_lists.h). Capitalised words that are never names on their own
// (days, months, pronouns) break chains. A lone first name that is also a
// city ("Paris") needs a cue.
#include <algorithm>
#include <string>

#include "analysis/pii/name_lists.h"
#include "analysis/pii/scan_util.h"
#include "analysis/pii/scanners.h"

namespace parley::analysis::pii {
namespace {

constexpr std::string_view kTitles[] = {
    "mr",   "mrs",   "ms",    "miss",   "mx",      "dr",     "prof",   "sir",  "dame",
    "lady", "lord",  "madam", "mister", "doctor",  "professor", "rev", "herr", "frau",
    "mme",  "mlle",  "sr",    "sra",    "srta",    "monsieur", "madame", "señor", "señora",
    "signor", "signora", "mevrouw", "meneer", "fr", "capt", "captain", "sgt", "officer",
    "judge", "aunt", "uncle"};
constexpr std::string_view kWeakCues[] = {
    "hi",   "hello", "hey",   "dear", "thanks", "thank", "by",    "with",  "under", "says",
    "said", "told",  "asked", "meet", "met",    "am",    "im",    "m",     "is",    "was",
    "regards", "sincerely", "cheers", "ask",  "speak", "speaking", "and"};
constexpr std::string_view kGreetings[] = {"hi",     "hello",   "hey",     "dear",  "thanks",
                                           "thank",  "cheers",  "regards", "bye",   "goodbye",
                                           "morning", "afternoon", "evening", "sincerely", "yours"};
// Capitalised words that break a name chain.
constexpr std::string_view kStopWords[] = {
    "i",         "i'm",      "i've",     "i'll",     "i'd",      "the",      "a",
    "an",        "this",     "that",     "these",    "those",    "my",       "your",
    "his",       "her",      "our",      "their",    "its",      "it",       "we",
    "you",       "he",       "she",      "they",     "and",      "or",       "but",
    "monday",    "tuesday",  "wednesday", "thursday", "friday",  "saturday", "sunday",
    "january",   "february", "march",    "april",    "may",      "june",     "july",
    "august",    "september", "october", "november", "december", "hi",       "hello",
    "hey",       "dear",     "thanks",   "thank",    "please",   "yes",      "no",
    "ok",        "okay",     "sir",      "madam",    "god",      "street",   "avenue",
    "road",      "apt",      "suite",    "inc",      "ltd",      "llc",      "corp",
    "company",   "bank",     "university", "christmas", "easter", "mr",      "mrs",
    "ms",        "dr",       "prof",     "what",     "why",      "who",      "when",
    "where",     "how",      "is",       "are",      "was",      "were",     "can",
    "could",     "would",    "should",   "will",     "did",      "do",       "does",
    "have",      "has",      "had",      "not",      "if",       "so",       "as",
    "at",        "in",       "on",       "to",       "for",      "from",     "with",
    "by",        "of",       "user",     "agent",    "customer", "name",     "address",
    "phone",     "email",    "mobile",   "fax",      "date",     "title",    "ceo",
    "usa",       "uk",       "eu",       "us",       "english",  "german",   "french",
    "spanish",   "italian",  "american", "british",  "dutch",    "swedish",  "chinese",
    "japanese",  "russian",  "polish",   "greek",    "irish",    "indian",   "canadian",
    "e-mail",    "tel",      "mob",      "cc",       "bcc",      "re",       "fwd",
    "fw",        "attn",     "ref",      "ps",       "nb",       "url",      "www",
    "http",      "https",    "faq",      "eta",      "id",       "pin",      "ssn",
    "dob",       "iban",     "swift",    "bic",      "ok",       "website",  "ip"};
constexpr std::string_view kPlaceCues[] = {"in", "near", "from", "via"};
// First words of multi-word place names ("San Francisco", "Los Angeles",
// "Fort Worth"): such a chain is a place unless a naming cue precedes it.
constexpr std::string_view kPlacePrefixes[] = {"san", "santa", "santo", "são", "los", "las",
                                               "fort", "port", "mount", "saint", "lake", "palo",
                                               "baton", "des", "porto", "puerto", "rio"};
// Words after a chain that make it an organisation ("Russell Investments",
// "Aunt Bertha Inc") or a street ("Mathias Pass", "Gordon Terrace").
constexpr std::string_view kOrgWords[] = {
    "inc",     "ltd",     "llc",      "llp",         "plc",       "corp",      "corporation",
    "co",      "company", "group",    "orchestra",   "band",      "investments", "partners",
    "bank",    "foundation", "university", "college", "solutions", "insurance", "associates",
    "gmbh",    "ag",      "sa",       "bv",          "holdings",  "industries", "capital",
    "consulting", "systems", "technologies", "labs", "media", "services", "hospital", "school",
    "institute", "enterprises", "international", "trust"};
constexpr std::string_view kStreetEnds[] = {
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive",
    "dr", "court", "ct", "way", "place", "pl", "terrace", "parkway", "circle", "square", "squares",
    "highway", "pass", "union", "unions", "parks", "park", "coves", "cove", "extensions",
    "extension", "gateway", "crossing", "trail", "ridge", "heights", "gardens", "fort", "mews",
    "alley", "plaza", "strasse", "straße", "gasse", "weg", "allee", "platz"};
constexpr std::string_view kParticles[] = {"van", "von", "der", "den", "de",  "da", "del",
                                           "della", "di", "du", "la",  "le",  "ten", "ter",
                                           "bin", "ibn", "al",  "el",  "dos", "das", "do",
                                           "af",  "zu"};

std::string LowerAscii(std::string_view w) {
  std::string s(w);
  for (char& c : s) c = ToLowerAscii(c);
  return s;
}

const WordSet& Titles() {
  static const WordSet* set = new WordSet(kTitles);
  return *set;
}
const WordSet& WeakCues() {
  static const WordSet* set = new WordSet(kWeakCues);
  return *set;
}
const WordSet& Greetings() {
  static const WordSet* set = new WordSet(kGreetings);
  return *set;
}
const WordSet& StopWords() {
  static const WordSet* set = new WordSet(kStopWords);
  return *set;
}
const WordSet& OrgWords() {
  static const WordSet* set = new WordSet(kOrgWords);
  return *set;
}
const WordSet& StreetEnds() {
  static const WordSet* set = new WordSet(kStreetEnds);
  return *set;
}
const WordSet& PlacePrefixes() {
  static const WordSet* set = new WordSet(kPlacePrefixes);
  return *set;
}
const WordSet& Particles() {
  static const WordSet* set = new WordSet(kParticles);
  return *set;
}

struct ChainWord {
  size_t tok;
  size_t end;     // byte end (a possessive "'s" left out)
  uint8_t flags;  // gazetteer flags
  bool initial;   // "M." or "M"
  bool particle;
};

class NameScanner {
 public:
  NameScanner(std::string_view text, const std::vector<Token>& tokens, const NameGazetteer& names)
      : text_(text), tok_(tokens), names_(names) {}

  void Run(std::vector<Finding>* out) {
    const size_t n = tok_.size();
    size_t t = 0;
    while (t < n) {
      if (!IsNameWord(t)) {
        ++t;
        continue;
      }
      ChainWord chain[5];
      int len = 0;
      size_t next = Chain(t, chain, &len);
      Decide(t, chain, len, out);
      t = next > t ? next : t + 1;
    }
  }

 private:
  std::string_view Text(size_t t) const { return tok_[t].text(text_); }
  bool IsWord(size_t t) const { return t < tok_.size() && tok_[t].kind == TokenKind::kWord; }
  bool IsPunct(size_t t, char c) const {
    return t < tok_.size() && tok_[t].kind == TokenKind::kPunct && Text(t).size() == 1 &&
           Text(t)[0] == c;
  }
  bool IsStop(size_t t) const { return StopWords().Contains(Text(t)); }

  // A capitalised word that could be part of a name.
  bool IsNameWord(size_t t) const {
    if (!IsWord(t) || !tok_[t].upper_initial) return false;
    if (Text(t).size() < 2) return false;
    return !IsStop(t);
  }
  bool IsInitial(size_t t) const {
    return IsWord(t) && Text(t).size() == 1 && IsAsciiUpper(Text(t)[0]);
  }

  // Gazetteer flags and byte end of word t, without a possessive 's.
  uint8_t Flags(size_t t, size_t* end, bool* possessive) const {
    std::string_view w = Text(t);
    *end = tok_[t].end;
    *possessive = false;
    for (std::string_view suffix : {std::string_view("'s"), std::string_view("\xE2\x80\x99s")}) {
      if (w.size() > suffix.size() + 1 && w.substr(w.size() - suffix.size()) == suffix) {
        w.remove_suffix(suffix.size());
        *end -= suffix.size();
        *possessive = true;
        break;
      }
    }
    uint8_t f = names_.Lookup(w);
    // All-capital words ("LONDON", "MOSS") are names only when the list says so.
    if (tok_[t].all_upper && (f & (NameGazetteer::kFirstName | NameGazetteer::kLastName)) == 0)
      return 0xFF;
    return f;
  }

  // Collects the chain of name words from t; returns the token after it.
  size_t Chain(size_t t, ChainWord* chain, int* len) const {
    size_t u = t;
    while (u < tok_.size() && *len < 5) {
      if (*len > 0 && (tok_[u].newline_before || !tok_[u].space_before)) break;
      if (IsNameWord(u)) {
        ChainWord w{u, 0, 0, false, false};
        bool possessive;
        w.flags = Flags(u, &w.end, &possessive);
        if (w.flags == 0xFF) break;
        chain[(*len)++] = w;
        ++u;
        if (possessive) break;
        continue;
      }
      if (*len > 0 && IsInitial(u) && IsNameWord(u + 1 + (IsPunct(u + 1, '.') ? 1 : 0))) {
        size_t end = tok_[u].end;
        size_t v = u + 1;
        if (IsPunct(v, '.') && !tok_[v].space_before) {
          end = tok_[v].end;
          ++v;
        }
        chain[(*len)++] = ChainWord{u, end, 0, true, false};
        u = v;
        continue;
      }
      if (*len > 0 && IsWord(u) && IsAsciiLower(Text(u)[0]) && Particles().Contains(Text(u)) &&
          IsNameWord(u + 1) && !tok_[u + 1].newline_before) {
        chain[(*len)++] = ChainWord{u, tok_[u].end, 0, false, true};
        ++u;
        continue;
      }
      break;
    }
    // A chain never ends on an initial or a particle.
    while (*len > 0 && (chain[*len - 1].initial || chain[*len - 1].particle)) --*len;
    return u;
  }

  // What precedes token t: kStrong, a title or naming phrase ("Dr.", "my
  // name is"); kIntro, a greeting or self-introduction ("hi", "thanks",
  // "this is", "I'm"); kWeak, a word often before names ("by", "with");
  // kNone.
  enum Cue { kNone, kWeak, kIntro, kStrong };
  Cue CueBefore(size_t t) const {
    if (t == 0) return kNone;
    size_t p = t - 1;
    if (IsPunct(p, '.') && p > 0) --p;
    if (IsWord(p) && Titles().Contains(Text(p))) return kStrong;
    // "Name: X", "last name? X", "name is X", "named X", "my name's X".
    p = t - 1;
    if ((IsPunct(p, ':') || IsPunct(p, '?')) && p > 0) {
      std::string w = IsWord(p - 1) ? LowerAscii(Text(p - 1)) : "";
      if (w == "name" || w == "by" || w == "from" || w == "to" || w == "contact" || w == "attn")
        return kStrong;
      return kNone;
    }
    if (!IsWord(p)) {
      if (IsPunct(p, ',') && p > 0 && IsWord(p - 1)) {  // "Hi, Freddy", "Thanks, Anna"
        return Greetings().Contains(Text(p - 1)) ? kIntro : kNone;
      }
      return kNone;
    }
    std::string w = LowerAscii(Text(p));
    if (w == "named" || w == "name's" || w == "called" || w == "name" || w == "surname")
      return kStrong;
    std::string v = p > 0 && IsWord(p - 1) ? LowerAscii(Text(p - 1)) : "";
    if (w == "is" && (v == "name" || v == "surname")) return kStrong;
    if (Greetings().Contains(w) || w == "i'm" || w == "im" || (w == "am" && v == "i") ||
        (w == "is" && v == "this") || (w == "m" && v == "i")) {
      return kIntro;
    }
    return WeakCues().Contains(w) ? kWeak : kNone;
  }

  // Whether token t starts a line and the chain ending at token e is
  // followed by ':' (a speaker label, "Melanie: You save").
  bool IsSpeakerLabel(size_t t, size_t e) const {
    bool line_start = t == 0 || tok_[t].newline_before;
    return line_start && IsPunct(e, ':');
  }

  void Emit(const ChainWord* chain, int a, int b, float likelihood,
            std::vector<Finding>* out) const {
    out->push_back({InfoType::kPersonName, tok_[chain[a].tok].start, chain[b - 1].end, likelihood});
  }

  static bool Known(uint8_t f) {
    return (f & (NameGazetteer::kFirstName | NameGazetteer::kLastName)) != 0;
  }
  static bool First(uint8_t f) { return (f & NameGazetteer::kFirstName) != 0; }
  static bool Last(uint8_t f) { return (f & NameGazetteer::kLastName) != 0; }
  static bool Common(uint8_t f) { return (f & NameGazetteer::kCommonWord) != 0; }
  static bool Place(uint8_t f) { return (f & NameGazetteer::kPlace) != 0; }

  // Whether the chain is an organisation or a street rather than a person:
  // an organisation word follows it, or its last word ends a street name.
  bool IsOrgOrStreet(const ChainWord* chain, int len) const {
    size_t after = chain[len - 1].tok + 1;
    if (after < tok_.size() && !tok_[after].newline_before && IsWord(after) &&
        OrgWords().Contains(Text(after))) {
      return true;
    }
    if (len < 2) return false;
    if (PlacePrefixes().Contains(Text(chain[0].tok))) return true;
    std::string_view last = Text(chain[len - 1].tok);
    return StreetEnds().Contains(last) || OrgWords().Contains(last);
  }

  void Decide(size_t t, const ChainWord* chain, int len, std::vector<Finding>* out) const {
    if (len == 0) return;
    const Cue cue = CueBefore(t);
    const size_t after = chain[len - 1].tok + 1;
    if (cue == kStrong) {
      Emit(chain, 0, std::min(len, 4), 0.85f, out);
      return;
    }
    if (IsOrgOrStreet(chain, len)) return;
    bool any_known = false, initial = false;
    for (int k = 0; k < len; ++k) {
      any_known |= Known(chain[k].flags) && !Common(chain[k].flags);
      initial |= chain[k].initial;
    }
    if (cue == kWeak && (any_known || (len >= 2 && Known(chain[0].flags)))) {
      Emit(chain, 0, len, 0.7f, out);
      return;
    }
    // After "hi" or "this is": a name, even one that is also a word
    // ("Grace", "Tom"), or a word that is neither ("Tomomi"); not "Team".
    const uint8_t f0 = chain[0].flags;
    if (cue == kIntro && !tok_[chain[0].tok].all_upper && (Known(f0) || f0 == 0)) {
      Emit(chain, 0, len, 0.75f, out);
      return;
    }
    // "Faina D. Yefremova": a middle initial between capitalised words.
    if (initial && len >= 3 && !chain[0].initial) {
      Emit(chain, 0, len, 0.75f, out);
      return;
    }
    // From the first known first name on.
    for (int a = 0; a < len; ++a) {
      uint8_t f = chain[a].flags;
      if (!First(f)) continue;
      int rest = len - a;
      if (rest >= 2) {
        uint8_t g = chain[a + 1].flags;
        // A surname, an initial, or a word that is neither a known name nor
        // an English word ("Crystal Minh"): not "April Fools".
        bool next_is_surname = chain[a + 1].initial || (Last(g) && !Common(g)) ||
                               (a + 2 < len && Last(chain[a + 2].flags)) ||
                               (g == 0 && !tok_[chain[a + 1].tok].all_upper);
        if (!Common(f) || next_is_surname || (Last(g) && Known(f))) {
          Emit(chain, a, len, 0.85f, out);
          return;
        }
      } else if (a == 0 && !Common(f) && !Place(f) && !tok_[chain[a].tok].all_upper) {
        // A lone first name; not a place after "in", "from". (After other
        // capitalised words, as in "New York", it is part of another name.)
        if (BeforeHasCue(text_, tok_[chain[a].tok].start, 1, 8, kPlaceCues)) return;
        Emit(chain, a, len, IsSpeakerLabel(chain[a].tok, after) ? 0.8f : 0.6f, out);
        return;
      }
    }
    // "Tomomi Nishiyama": an unknown word before a known surname.
    if (len == 2 && chain[0].flags == 0 && Last(chain[1].flags) && !Common(chain[1].flags) &&
        !tok_[chain[0].tok].all_upper) {
      Emit(chain, 0, 2, 0.65f, out);
      return;
    }
    // A speaker label: a known name, or a word that is neither a name nor
    // an English word ("Ubul:"), but not "Agent:" or "Customer:".
    if (len == 1 && (Known(f0) || f0 == 0) && !tok_[chain[0].tok].all_upper &&
        IsSpeakerLabel(t, after)) {
      Emit(chain, 0, 1, 0.6f, out);
    }
  }

  std::string_view text_;
  const std::vector<Token>& tok_;
  const NameGazetteer& names_;
};

}  // namespace

void FindPersonNames(std::string_view text, const std::vector<Token>& tokens,
                     const NameGazetteer& names, std::vector<Finding>* out) {
  NameScanner(text, tokens, names).Run(out);
}

}  // namespace parley::analysis::pii
