// Proper nouns, over tokens. A chain is a run of capitalised words on one
// line ("Redondo Beach", "iPhone 12", "Bank of America", "M&S"), joined by
// "of" (and "of the"), "&", name particles ("de", "van") and, when the whole
// is a known name, "and" ("Marks and Spencer"). A chain that opens a sentence
// loses its first word when that word is an ordinary English word ("Can",
// "Thanks"). The chain is then typed, first rule that applies:
//
//  1. the gazetteer knows it whole: event, work, product, organisation, place;
//  2. it splits into two known places ("Austin Texas");
//  3. it starts with a known brand or product ("Amazon Prime Video"): a
//     product when a number or a product word follows, else an organisation;
//  4. its last word is an organisation word ("... Bank", "... Inc"), a place
//     word ("... Beach", "... County") or an event word ("... Festival"), or
//     it opens with one ("University of", "Lake", "Fort");
//  5. a work cue precedes it ("watching", "the song", quotes around it);
//  6. its shape: a word mixing letters and digits or camel case ("PS5",
//     "iPhone"), or a number at its end: a product;
//  7. its words are known person names: a person (most are found earlier by
//     the PII name scanner);
//  8. a place cue precedes it ("live in", "flew to", "near"): a place;
//  9. every word is an ordinary English word ("Customer Service"): nothing;
// 10. a short all-capitals word ("NASA"): an organisation;
// 11. a single word no list knows, capitalised mid-sentence ("Shaq"): a
//     person (chosen on the tuning half of WNUT-17: such words are mostly
//     names and nicknames);
// 12. otherwise OTHER.
//
// Text set in capitals or title case says nothing through capitals: there
// only rule 1 applies. Lower-case words are considered in two cases: a payee
// after "to", "from", "for", "pay" whose first word is a known first name
// ("to guy kephart"), and a known brand or place that is not an English word
// ("netflix", "london").
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "analysis/entities/scanners.h"
#include "analysis/pii/scan_util.h"

namespace parley::analysis::entities {
namespace {

using pii::IsAsciiLower;
using pii::IsAsciiUpper;
using pii::NameGazetteer;
using pii::Token;
using pii::TokenKind;
using pii::WordSet;

// Capitalised words that are not proper nouns here.
constexpr std::string_view kStopWords[] = {
    "i", "i'm", "i've", "i'll", "i'd", "im", "ive", "the", "a", "an", "this", "that", "these",
    "those", "my", "your", "his", "her", "our", "their", "its", "it", "we", "you", "he", "she",
    "they", "me", "him", "us", "them", "and", "or", "but", "if", "so", "as", "at", "in", "on",
    "to", "for", "from", "with", "by", "of", "is", "are", "was", "were", "be", "been", "do",
    "does", "did", "have", "has", "had", "can", "could", "would", "should", "will", "shall",
    "may", "might", "must", "not", "no", "yes", "yeah", "yep", "nope", "ok", "okay", "hi",
    "hello", "hey", "dear", "thanks", "thank", "please", "sorry", "sir", "madam", "maam",
    "ma'am", "mr", "mrs", "ms", "dr", "what", "why", "who", "when", "where", "how", "which",
    "lol", "lmao", "omg", "wtf", "rt", "haha", "lmfao", "smh", "tbh", "idk", "btw", "fyi",
    "asap", "pls", "plz", "wow", "oh", "ah", "uh", "um", "hmm", "ugh", "god", "jesus",
    "agent", "customer", "caller", "user", "system", "operator", "speaker", "january", "february",
    "march", "april", "june", "july", "august", "september", "october", "november",
    "december", "today", "tomorrow", "yesterday", "tonight", "there", "here", "then", "now",
    "just", "also", "all", "any", "some", "every", "each", "one", "two", "good",
    "great", "happy", "merry", "best", "love", "like", "get", "got", "let", "let's", "go",
    "via", "re", "fwd", "fw", "cc", "ps", "pm", "am", "id", "pin", "atm", "tv", "ceo",
    "faq", "eta", "asap", "usa", "uk", "eu", "us", "gmt", "utc", "est", "pst", "ok", "dm",
    "lmk", "imo", "imho", "nsfw", "aka", "vs", "etc", "mon", "tue", "wed", "thu", "fri",
    "sat", "sun"};

// Last words that make a chain an organisation, a place, an event.
constexpr std::string_view kOrgEnds[] = {
    "inc", "inc.", "ltd", "llc", "llp", "plc", "corp", "corporation", "co", "company",
    "companies", "group", "bank", "airlines", "airways", "air", "motors", "university",
    "college", "school", "academy", "hospital", "clinic", "institute", "foundation",
    "association", "society", "club", "fc", "united", "records", "studios", "studio",
    "entertainment", "media", "news", "network", "party", "council", "ministry",
    "department", "agency", "police", "army", "navy", "church", "store", "stores", "shop",
    "restaurant", "cafe", "café", "bar", "grill", "pub", "hotel", "hotels", "pharmacy",
    "market", "supermarket", "team", "band", "gmbh", "ag", "sa", "bv", "holdings",
    "industries", "capital", "consulting", "systems", "technologies", "labs", "services",
    "solutions", "insurance", "partners", "associates", "international", "enterprises",
    "trust", "bancorp", "financial", "telecom", "energy", "pharmaceuticals", "foods",
    "brewery", "gallery", "museum", "library", "post", "times", "journal", "magazine",
    "committee", "commission", "union", "federation", "league", "senate", "court", "office",
    "mobile", "wireless", "games", "software", "electronics", "express"};
constexpr std::string_view kPlaceEnds[] = {
    "city", "county", "beach", "river", "lake", "island", "islands", "mountain", "mountains",
    "mount", "valley", "bay", "park", "street", "st", "avenue", "ave", "road", "rd",
    "boulevard", "blvd", "square", "bridge", "airport", "station", "hills", "heights",
    "falls", "canyon", "coast", "ocean", "sea", "desert", "forest", "village", "town",
    "province", "state", "region", "peninsula", "harbor", "harbour", "springs", "creek",
    "district", "mall", "plaza", "lane", "drive", "highway", "hwy", "square", "stadium",
    "arena", "center", "centre", "tower", "palace", "castle", "cathedral", "temple",
    "garden", "gardens", "zoo", "pier", "port", "coast", "republic", "kingdom", "states",
    "land", "ville", "shire"};
constexpr std::string_view kEventEnds[] = {
    "festival", "fest", "conference", "summit", "expo", "championship", "championships",
    "cup", "olympics", "tournament", "awards", "marathon", "concert", "tour", "parade",
    "fair", "week", "day", "eve", "bowl", "con", "gala", "prix", "open", "series",
    "classic", "derby", "games", "war", "revolution", "election", "elections", "summit",
    "convention", "show", "weekend", "party", "finals", "final", "playoffs", "race"};
constexpr std::string_view kOrgStarts[] = {"university", "bank", "department", "ministry",
                                           "college", "institute", "church", "museum",
                                           "school", "federation", "house", "league"};
constexpr std::string_view kPlaceStarts[] = {"mount", "mt", "lake", "fort", "ft", "port",
                                             "cape", "isle", "gulf", "san", "santa", "los",
                                             "las", "saint", "st", "sao", "são", "rio"};
constexpr std::string_view kProductWords[] = {
    "pro", "max", "plus", "mini", "ultra", "edition", "series", "phone", "pad", "book",
    "watch", "tv", "console", "card", "app", "premium", "lite", "air", "note", "galaxy"};
// Words before a chain that make it a work of art, a place.
constexpr std::string_view kWorkCues[] = {
    "watch", "watched", "watching", "rewatch", "rewatching", "binge", "read", "reading",
    "listen", "listening", "listened", "song", "songs", "movie", "movies", "film", "films",
    "show", "album", "book", "novel", "series", "episode", "season", "play", "playing",
    "played", "sing", "singing", "sang", "track", "single", "poem", "painting", "musical",
    "documentary", "tv", "game", "sitcom", "anime", "manga", "comic", "titled", "called",
    "starring", "premiere", "finale", "trailer", "soundtrack", "cover", "remix", "ep", "lp",
    "video"};
constexpr std::string_view kPlaceCues[] = {
    "in", "near", "to", "from", "visit", "visiting", "visited", "downtown", "around",
    "across", "outside", "inside", "towards", "toward", "via", "through", "across", "leaving",
    "reach", "arrive", "arrived", "flight", "fly", "flew", "flying", "moved", "move",
    "trip", "travel", "travelling", "traveling", "based", "born", "live", "lives", "living",
    "city", "state", "country"};
// Pronouns and question words that take a clitic ("There's", "Who'll").
constexpr std::string_view kFunctionWords[] = {"there", "here", "who", "where", "how", "what",
                                               "that", "it", "he", "she", "they", "we", "you",
                                               "i", "let", "when", "why", "this", "somebody",
                                               "someone", "everyone", "nobody", "everything"};
// Last words of a street address after a house number ("1200 market street").
constexpr std::string_view kStreetWords[] = {
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive",
    "dr", "way", "court", "ct", "place", "pl", "parkway", "pkwy", "highway", "hwy", "terrace",
    "circle", "cir", "square", "sq", "trail", "plaza", "alley", "crescent", "close"};
// Words after a number that make it a quantity, not a house number ("5 minutes drive").
constexpr std::string_view kNotStreetWords[] = {
    "minute", "minutes", "min", "mins", "hour", "hours", "hrs", "day", "days", "week", "weeks",
    "month", "months", "year", "years", "second", "seconds", "mile", "miles", "km", "block",
    "blocks", "more", "times", "percent", "dollars", "bucks", "people", "items", "orders"};
// Company words that make "WORD bank" an organisation in lower-case text,
// and words that do not ("food bank", "my bank", "online bank").
constexpr std::string_view kCompanyWords[] = {
    "bank", "inc", "ltd", "llc", "corp", "corporation", "insurance", "airlines", "airways",
    "bancorp", "telecom", "wireless", "financial", "motors", "pharmacy", "mobile", "energy"};
constexpr std::string_view kGenericModifiers[] = {
    "the", "my", "your", "our", "their", "his", "her", "its", "this", "that", "a", "an", "any",
    "some", "another", "other", "same", "different", "new", "old", "big", "small", "local",
    "online", "central", "national", "food", "blood", "piggy", "river", "data", "sperm",
    "savings", "investment", "commercial", "retail", "private", "public", "mobile", "life",
    "car", "auto", "health", "home", "travel", "pet", "renters", "dental", "medical", "which",
    "what", "whose", "and", "or", "with", "from", "at", "in", "on", "to", "for", "of", "by",
    "is", "was", "are", "not", "no", "own", "main", "first", "second", "good", "best", "one"};
// Words before a lower-case payee name.
constexpr std::string_view kPayeeCues[] = {"to", "from", "for", "pay", "paid", "paying",
                                           "named", "name", "payee", "beneficiary"};

const WordSet& StopWords() {
  static const WordSet* s = new WordSet(kStopWords);
  return *s;
}
const WordSet& OrgEnds() {
  static const WordSet* s = new WordSet(kOrgEnds);
  return *s;
}
const WordSet& PlaceEnds() {
  static const WordSet* s = new WordSet(kPlaceEnds);
  return *s;
}
const WordSet& EventEnds() {
  static const WordSet* s = new WordSet(kEventEnds);
  return *s;
}
const WordSet& OrgStarts() {
  static const WordSet* s = new WordSet(kOrgStarts);
  return *s;
}
const WordSet& PlaceStarts() {
  static const WordSet* s = new WordSet(kPlaceStarts);
  return *s;
}
const WordSet& ProductWords() {
  static const WordSet* s = new WordSet(kProductWords);
  return *s;
}
const WordSet& WorkCues() {
  static const WordSet* s = new WordSet(kWorkCues);
  return *s;
}
const WordSet& PlaceCues() {
  static const WordSet* s = new WordSet(kPlaceCues);
  return *s;
}
const WordSet& FunctionWords() {
  static const WordSet* s = new WordSet(kFunctionWords);
  return *s;
}
const WordSet& StreetWords() {
  static const WordSet* s = new WordSet(kStreetWords);
  return *s;
}
const WordSet& NotStreetWords() {
  static const WordSet* s = new WordSet(kNotStreetWords);
  return *s;
}
const WordSet& CompanyWords() {
  static const WordSet* s = new WordSet(kCompanyWords);
  return *s;
}
const WordSet& GenericModifiers() {
  static const WordSet* s = new WordSet(kGenericModifiers);
  return *s;
}
const WordSet& PayeeCues() {
  static const WordSet* s = new WordSet(kPayeeCues);
  return *s;
}

// Up to 8 bytes as one integer, first byte lowest (exact: words hold no NUL).
constexpr uint64_t Pack8(std::string_view s) {
  uint64_t v = 0;
  for (size_t k = 0; k < s.size(); ++k) v |= uint64_t{static_cast<uint8_t>(s[k])} << (8 * k);
  return v;
}

// First names that are no English word ("maria", "priya"), as a Bloom
// filter over the lower-case name (262,144 bits, two probes: under 1 % false
// positives), so that scanning lower-case text asks the names gazetteer about
// few words. Probed with the entity gazetteer's hash of the word
// (EntityGazetteer::KeyHash), which the scanner computes anyway.
class FirstNameFilter {
 public:
  static const FirstNameFilter& Get() {
    static const FirstNameFilter* f = new FirstNameFilter();
    return *f;
  }
  // `hash`: EntityGazetteer::KeyHash of the lower-cased word.
  bool MayContain(size_t hash) const {
    const uint64_t h = hash;
    return Bit(h) && Bit(h >> 32);
  }

 private:
  FirstNameFilter() : bits_(kWords, 0) {
    std::string_view data(pii::kNameListData);  // NUL-terminated lines
    std::string lower;
    while (!data.empty()) {
      size_t nl = data.find('\n');
      std::string_view line = data.substr(0, nl);
      data = nl == std::string_view::npos ? std::string_view() : data.substr(nl + 1);
      size_t tab = line.find('\t');
      if (tab == std::string_view::npos) continue;
      std::string_view flags = line.substr(0, tab);
      if (flags.find('F') == std::string_view::npos || flags.find('C') != std::string_view::npos)
        continue;
      lower.clear();
      for (char c : line.substr(tab + 1)) lower.push_back(pii::ToLowerAscii(c));
      const uint64_t h = EntityGazetteer::KeyHash(lower);
      Set(h);
      Set(h >> 32);
    }
  }
  static_assert(sizeof(size_t) == 8, "two probes from one 64-bit hash");
  static constexpr size_t kWords = 4096;  // of 64 bits
  bool Bit(uint64_t h) const { return (bits_[(h >> 6) % kWords] >> (h & 63)) & 1; }
  void Set(uint64_t h) { bits_[(h >> 6) % kWords] |= uint64_t{1} << (h & 63); }
  std::vector<uint64_t> bits_;
};

// What LowerCase needs to know about a word by itself: its entity-gazetteer
// flags (words of three letters or more) and whether it may be a first name
// that is no English word (the filter above).
struct WordFacts {
  uint16_t known = 0;
  bool maybe_first_name = false;
};

WordFacts ComputeWordFacts(std::string_view w, const EntityGazetteer& gazetteer) {
  char buf[40];  // w.size() <= 40
  const std::string_view lower = LowerAsciiInto(w, buf);
  const size_t hash = EntityGazetteer::KeyHash(lower);  // for the gazetteer and the filter
  return WordFacts{w.size() >= 3 ? gazetteer.Lookup(lower, hash) : uint16_t{0},
                   FirstNameFilter::Get().MayContain(hash)};
}

// The facts of recent words, per thread (calls and chats repeat their
// vocabulary): 512 entries, direct-mapped by the word's bytes, for words of
// 2 to 24 bytes; an entry holds the word's length and bytes, zero-padded, so
// a hit is the same word.
class WordFactsCache {
 public:
  // `w` lies in `text`.
  static WordFacts Get(std::string_view w, std::string_view text,
                       const EntityGazetteer& gazetteer) {
    if (w.size() > 24) return ComputeWordFacts(w, gazetteer);
    thread_local WordFactsCache cache;
    if (cache.gazetteer_ != &gazetteer) {
      cache.entries_.fill(Entry{});
      cache.gazetteer_ = &gazetteer;
    }
    const size_t from = static_cast<size_t>(w.data() - text.data());
    const uint64_t k0 = pii::KeyPart(text, from, from + w.size());
    const uint64_t k1 = pii::KeyPart(text, from + 8, from + w.size());
    const uint64_t k2 = pii::KeyPart(text, from + 16, from + w.size());
    const uint64_t h = (k0 * 0x9E3779B97F4A7C15ull) ^ (k1 * 0xBF58476D1CE4E5B9ull) ^
                       (k2 * 0x94D049BB133111EBull) ^ w.size();
    Entry& e = cache.entries_[(h ^ (h >> 29)) % kEntries];
    if (e.length == w.size() && e.key[0] == k0 && e.key[1] == k1 && e.key[2] == k2) return e.facts;
    e.facts = ComputeWordFacts(w, gazetteer);
    e.key[0] = k0;
    e.key[1] = k1;
    e.key[2] = k2;
    e.length = static_cast<uint8_t>(w.size());
    return e.facts;
  }

 private:
  static constexpr size_t kEntries = 512;
  struct Entry {
    uint64_t key[3] = {0, 0, 0};
    WordFacts facts;
    uint8_t length = 0;  // 0: empty (words have 2 bytes or more)
  };
  const EntityGazetteer* gazetteer_ = nullptr;
  std::array<Entry, kEntries> entries_{};
};

constexpr uint16_t kEntityBits = EntityGazetteer::kPlace | EntityGazetteer::kOrganization |
                                 EntityGazetteer::kProduct | EntityGazetteer::kEvent |
                                 EntityGazetteer::kWorkOfArt;

class ProperNounScanner {
 public:
  ProperNounScanner(std::string_view text, const std::vector<Token>& tokens,
                    const std::vector<uint8_t>& covered, const EntityGazetteer& gazetteer,
                    const NameGazetteer& names)
      : text_(text), tok_(tokens), covered_(covered), gaz_(gazetteer), names_(names) {}

  void Run(std::vector<EntityFinding>* out) {
    out_ = out;
    caps_informative_ = CapsInformative(tok_);
    const size_t n = tok_.size();
    size_t t = 0;
    while (t < n) {
      if (size_t e = Address(t); e > t) {
        t = e;
        continue;
      }
      if (!IsCapWord(t)) {
        size_t e = caps_informative_ ? LowerCase(t) : 0;
        t = e > t ? e : t + 1;
        continue;
      }
      size_t end = Chain(t);
      Decide(t, end);
      t = end > t ? end : t + 1;
    }
  }

 private:
  std::string_view Text(size_t t) const { return tok_[t].text(text_); }
  bool Free(size_t t) const { return t < tok_.size() && !covered_[t]; }
  bool IsWord(size_t t) const { return Free(t) && tok_[t].kind == TokenKind::kWord; }
  bool IsPunct(size_t t, char c) const {
    return t < tok_.size() && tok_[t].kind == TokenKind::kPunct && Text(t).size() == 1 &&
           Text(t)[0] == c;
  }
  bool Glued(size_t t) const { return t < tok_.size() && !tok_[t].space_before; }
  bool SameLine(size_t t) const { return t < tok_.size() && !tok_[t].newline_before; }
  bool WordIs(size_t t, std::string_view lower) const {
    if (t >= tok_.size() || tok_[t].kind != TokenKind::kWord || Text(t).size() != lower.size())
      return false;
    std::string_view w = Text(t);
    for (size_t k = 0; k < w.size(); ++k) {
      if (pii::ToLowerAscii(w[k]) != lower[k]) return false;
    }
    return true;
  }
  bool InSet(size_t t, const WordSet& set) const {
    return t < tok_.size() && tok_[t].kind == TokenKind::kWord && set.Contains(Text(t));
  }
  // After a username marker ("@name") or inside a URL or hashtag.
  bool Tagged(size_t t) const {
    return t > 0 && Glued(t) && (IsPunct(t - 1, '@') || IsPunct(t - 1, '/') || IsPunct(t - 1, '.'));
  }
  static bool IsCamel(std::string_view w) {
    // "iPhone", "eBay": a lower-case letter, then an upper-case one.
    if (w.size() < 3 || !IsAsciiLower(w[0])) return false;
    for (size_t k = 1; k < w.size(); ++k) {
      if (IsAsciiUpper(w[k])) return k <= 2;
    }
    return false;
  }
  static bool MixesDigits(std::string_view w) {
    bool digit = false, alpha = false;
    for (char c : w) {
      digit |= pii::IsDigit(c);
      alpha |= pii::IsAsciiAlpha(c);
    }
    return digit && alpha;
  }
  // A capitalised word that may be part of a proper noun.
  bool IsCapWord(size_t t) const {
    if (!IsWord(t) || Tagged(t)) return false;
    std::string_view w = Text(t);
    if (!tok_[t].upper_initial && !IsCamel(w)) return false;
    if (w.size() == 1) return IsPunct(t + 1, '&') && Glued(t + 1);  // "M&S"
    return !StopWords().Contains(w) && !IsContraction(w);
  }
  // "Don't", "Can't", "It's", "You'll", "We're": a function word with a
  // clitic, never a name. ("McDonald's" is a name with a possessive: its
  // base is no function word.)
  static bool IsContraction(std::string_view w) {
    size_t q = w.rfind('\'');
    size_t qlen = 1;
    if (q == std::string_view::npos) {
      q = w.rfind("\xE2\x80\x99");
      qlen = 3;
    }
    if (q == std::string_view::npos || q == 0) return false;
    std::string_view suffix = w.substr(q + qlen);
    std::string_view base = w.substr(0, q);
    char sbuf[4];
    if (suffix.size() > sizeof sbuf) return false;
    std::string_view sl = LowerAsciiInto(suffix, sbuf);
    if (sl == "t" && base.size() >= 2 && pii::ToLowerAscii(base.back()) == 'n') return true;  // n't
    if (sl != "s" && sl != "re" && sl != "ll" && sl != "ve" && sl != "d" && sl != "m") return false;
    return StopWords().Contains(base) || FunctionWords().Contains(base);
  }
  // Names-gazetteer flags of a word, looked up capitalised, without a possessive.
  uint8_t NameFlags(size_t t) const {
    std::string_view w = StripPossessive(Text(t));
    if (w.size() < 2 || w.size() > 32) return 0;
    char buf[32];
    buf[0] = pii::ToUpperAscii(w[0]);
    for (size_t k = 1; k < w.size(); ++k) buf[k] = pii::ToLowerAscii(w[k]);
    return names_.Lookup(std::string_view(buf, w.size()));
  }
  bool IsCommonWord(size_t t) const {
    return (NameFlags(t) & NameGazetteer::kCommonWord) != 0;
  }
  static std::string_view StripPossessive(std::string_view w) {
    if (w.size() > 3 && (w.substr(w.size() - 2) == "'s" || w.substr(w.size() - 2) == "s'"))
      return w.substr(0, w.size() - 2);
    if (w.size() > 5 && w.substr(w.size() - 4) == "\xE2\x80\x99s") return w.substr(0, w.size() - 4);
    return w;
  }
  bool SentenceStart(size_t t) const {
    if (t == 0 || tok_[t].newline_before) return true;
    const Token& p = tok_[t - 1];
    if (p.kind != TokenKind::kPunct) return false;
    std::string_view s = Text(t - 1);
    return s == "." || s == "!" || s == "?" || s == ":" || s == ";" || s == "\"" ||
           s == "(" || s == "-" || s == "\xE2\x80\x9C" || s == "\xE2\x80\xA6" || s == "|" ||
           s == ">" || s == "*";
  }

  // The lower-case, single-spaced key of tokens [a, b); possessive dropped.
  std::string Key(size_t a, size_t b) const {
    std::string key;
    for (size_t t = a; t < b; ++t) {
      std::string_view w = Text(t);
      if (t + 1 == b) w = StripPossessive(w);
      if (t > a && tok_[t].space_before) key.push_back(' ');
      for (char c : w) key.push_back(pii::ToLowerAscii(c));
    }
    return key;
  }
  uint16_t Lookup(size_t a, size_t b) const {
    if (b - a == 1) {  // no allocation for one word
      std::string_view w = StripPossessive(Text(a));
      if (w.size() > 40) return 0;
      char buf[40];
      return gaz_.Lookup(LowerAsciiInto(w, buf));
    }
    return gaz_.Lookup(Key(a, b));
  }

  // The end of the chain that starts at t.
  size_t Chain(size_t t) const {
    size_t u = t + 1;
    int words = 1;
    while (u < tok_.size() && words < 6 && SameLine(u)) {
      if (tok_[u - 1].kind == TokenKind::kWord && StripPossessive(Text(u - 1)) != Text(u - 1))
        break;  // "Anna's Car": the possessive ends the chain
      if (IsCapWord(u) && tok_[u].space_before) {
        ++u;
        ++words;
        continue;
      }
      // "M&S", "AT&T", "Johnson & Johnson"
      if (IsPunct(u, '&') && u + 1 < tok_.size() && IsWord(u + 1) &&
          (tok_[u + 1].upper_initial || IsCamel(Text(u + 1)))) {
        u += 2;
        ++words;
        continue;
      }
      // "Bank of America", "Lord of the Rings"
      if (WordIs(u, "of") && tok_[u].space_before) {
        size_t v = u + 1;
        if (WordIs(v, "the")) ++v;
        if (IsCapWord(v)) {
          u = v + 1;
          words += 2;
          continue;
        }
        break;
      }
      // "Marks and Spencer", "Rick and Morty": only when known whole.
      if (WordIs(u, "and") && IsCapWord(u + 1)) {
        size_t end = u + 2;
        while (end < tok_.size() && end < u + 4 && IsCapWord(end) && SameLine(end)) ++end;
        bool known = false;
        for (size_t e = end; e > u + 1 && !known; --e) known = (Lookup(t, e) & kEntityBits) != 0;
        if (known) {
          u += 2;
          words += 2;
          continue;
        }
        break;
      }
      // "iPhone 12", "Windows 10", "Galaxy S21": a number after a product
      // or brand word.
      if (tok_[u].kind == TokenKind::kNumber && covered_[u] <= 1 && tok_[u].space_before &&
          Text(u).size() <= 4 &&
          ((Lookup(t, u) & (EntityGazetteer::kProduct | EntityGazetteer::kOrganization)) ||
           IsCamel(Text(u - 1)) || MixesDigits(Text(u - 1)))) {
        ++u;
        ++words;
        continue;
      }
      break;
    }
    return u;
  }

  void Emit(EntityType type, size_t a, size_t b, float confidence) {
    EntityFinding f;
    f.type = type;
    f.start = tok_[a].start;
    std::string_view last = Text(b - 1);
    f.end = tok_[b - 1].end - static_cast<uint32_t>(last.size() - StripPossessive(last).size());
    f.confidence = confidence;
    out_->push_back(std::move(f));
  }

  static EntityType FromFlags(uint16_t f) {
    if (f & EntityGazetteer::kEvent) return EntityType::kEvent;
    if (f & EntityGazetteer::kWorkOfArt) return EntityType::kWorkOfArt;
    if (f & EntityGazetteer::kProduct) return EntityType::kConsumerGood;
    if (f & EntityGazetteer::kOrganization) return EntityType::kOrganization;
    return EntityType::kLocation;
  }

  // The word before token a (skipping "the", quotes), lower-cased into buf.
  size_t CueIndex(size_t a) const {
    if (a == 0) return SIZE_MAX;
    size_t p = a - 1;
    if (WordIs(p, "the") || IsPunct(p, '"') || (Text(p) == "\xE2\x80\x9C")) {
      if (p == 0) return SIZE_MAX;
      --p;
    }
    if (tok_[p].kind != TokenKind::kWord) return SIZE_MAX;
    return p;
  }
  bool CueIn(size_t a, const WordSet& set) const {
    size_t p = CueIndex(a);
    if (p == SIZE_MAX) return false;
    if (set.Contains(Text(p))) return true;
    // "listen to X", "live in X", "moved to X"
    if ((WordIs(p, "to") || WordIs(p, "in")) && p > 0 && tok_[p - 1].kind == TokenKind::kWord)
      return set.Contains(Text(p - 1)) && &set == &WorkCues();
    return false;
  }
  bool Quoted(size_t a, size_t b) const {
    if (a == 0 || b >= tok_.size()) return false;
    std::string_view o = Text(a - 1), c = Text(b);
    return (o == "\"" && c == "\"") || (o == "\xE2\x80\x9C" && c == "\xE2\x80\x9D") ||
           (o == "'" && c == "'");
  }

  void Decide(size_t a, size_t b) {
    // Sentence-initial ordinary words go: "Can", "Thanks", "Reading".
    while (a < b && SentenceStart(a) && IsCommonWord(a) && !IsCamel(Text(a))) {
      uint16_t own = Lookup(a, a + 1);
      bool keep = (own & kEntityBits) && !(own & EntityGazetteer::kCommonWord) &&
                  !(own & EntityGazetteer::kPlace);
      if (keep || (b - a > 1 && (Lookup(a, b) & kEntityBits))) break;
      ++a;
      while (a < b && (WordIs(a, "of") || WordIs(a, "the") || WordIs(a, "and") ||
                       IsPunct(a, '&') || tok_[a].kind == TokenKind::kNumber)) {
        ++a;
      }
    }
    if (a >= b) return;
    // 1. Known whole.
    const uint16_t whole = Lookup(a, b);
    if (whole & kEntityBits) {
      Emit(FromFlags(whole), a, b, 0.85f);
      return;
    }
    if (!caps_informative_) {
      EmitKnownParts(a, b);
      return;
    }
    const size_t n = b - a;
    // 2. Two known places: "Austin Texas", "Paris France".
    if (n >= 2) {
      for (size_t m = a + 1; m < b; ++m) {
        if ((Lookup(a, m) & EntityGazetteer::kPlace) && (Lookup(m, b) & EntityGazetteer::kPlace)) {
          Emit(EntityType::kLocation, a, m, 0.8f);
          Emit(EntityType::kLocation, m, b, 0.8f);
          return;
        }
      }
    }
    // 3. A known brand or product first.
    for (size_t m = b - 1; m > a; --m) {
      uint16_t f = Lookup(a, m);
      if (!(f & (EntityGazetteer::kOrganization | EntityGazetteer::kProduct))) continue;
      bool product = (f & EntityGazetteer::kProduct) != 0;
      for (size_t k = m; k < b; ++k) {
        product |= tok_[k].kind == TokenKind::kNumber || MixesDigits(Text(k)) ||
                   InSet(k, ProductWords());
      }
      Emit(product ? EntityType::kConsumerGood : EntityType::kOrganization, a, b, 0.75f);
      return;
    }
    // 4. The last or first word.
    const size_t last = b - 1;
    if (n >= 2 || tok_[a].all_upper) {
      if (InSet(last, OrgEnds())) {
        Emit(EntityType::kOrganization, a, b, 0.75f);
        return;
      }
      if (InSet(last, EventEnds())) {
        Emit(EntityType::kEvent, a, b, 0.7f);
        return;
      }
      if (InSet(last, PlaceEnds())) {
        Emit(EntityType::kLocation, a, b, 0.7f);
        return;
      }
      if (InSet(a, OrgStarts()) && WordIs(a + 1, "of")) {
        Emit(EntityType::kOrganization, a, b, 0.75f);
        return;
      }
      if (InSet(a, PlaceStarts())) {
        Emit(EntityType::kLocation, a, b, 0.65f);
        return;
      }
    }
    // 5. A work cue or quotes.
    if (CueIn(a, WorkCues()) || Quoted(a, b)) {
      Emit(EntityType::kWorkOfArt, a, b, 0.6f);
      return;
    }
    // 6. Product shapes.
    for (size_t k = a; k < b; ++k) {
      if (IsCamel(Text(k)) || MixesDigits(Text(k)) || tok_[k].kind == TokenKind::kNumber) {
        Emit(EntityType::kConsumerGood, a, b, 0.6f);
        return;
      }
    }
    // 7. Known person names.
    bool all_names = true, all_common = true, any_unknown = false;
    for (size_t k = a; k < b; ++k) {
      if (tok_[k].kind != TokenKind::kWord) continue;
      uint8_t f = NameFlags(k);
      bool name = (f & (NameGazetteer::kFirstName | NameGazetteer::kLastName)) != 0;
      all_names &= name;
      all_common &= (f & NameGazetteer::kCommonWord) != 0;
      any_unknown |= f == 0;
    }
    const uint8_t f0 = NameFlags(a);
    if (!tok_[a].all_upper && (f0 & NameGazetteer::kFirstName) &&
        (!(f0 & NameGazetteer::kCommonWord) || (n >= 2 && all_names))) {
      Emit(EntityType::kPerson, a, b, 0.6f);
      return;
    }
    // 8. A place cue.
    if (!all_common && CueIn(a, PlaceCues()) && !all_names) {
      Emit(EntityType::kLocation, a, b, 0.5f);
      return;
    }
    // 9. Ordinary words.
    if (all_common) return;
    // 10. Acronyms.
    if (n == 1 && tok_[a].all_upper && Text(a).size() <= 5) {
      Emit(EntityType::kOrganization, a, b, 0.45f);
      return;
    }
    if (all_names && n >= 2) {
      Emit(EntityType::kPerson, a, b, 0.55f);
      return;
    }
    // 11. A word no list knows, mid-sentence and capitalised, is most often
    // a person's name or nickname ("Shaq", "Kimmel"); longer unknown chains
    // are anything.
    if (n == 1 && NameFlags(a) == 0 && !tok_[a].all_upper && !SentenceStart(a)) {
      Emit(EntityType::kPerson, a, b, 0.4f);
      return;
    }
    (void)any_unknown;
    Emit(EntityType::kOther, a, b, 0.4f);
  }

  // The longest known parts of [a, b), left to right ("To London Today").
  void EmitKnownParts(size_t a, size_t b) {
    size_t i = a;
    while (i < b) {
      size_t best = 0;
      for (size_t j = std::min(b, i + 4); j > i; --j) {
        if (tok_[i].kind == TokenKind::kWord && tok_[j - 1].kind == TokenKind::kWord &&
            (Lookup(i, j) & kEntityBits) && !(Lookup(i, j) & EntityGazetteer::kCommonWord)) {
          best = j;
          break;
        }
      }
      if (best == 0) {
        ++i;
        continue;
      }
      Emit(FromFlags(Lookup(i, best)), i, best, 0.7f);
      i = best;
    }
  }

  // Whether the words before t introduce a person's name: "hi", "hello",
  // "thanks", "dear", "my name is", "this is", "thank you", "speaking with".
  bool NameCue(size_t t) const {
    if (t == 0 || tok_[t - 1].kind != TokenKind::kWord) return false;
    // Cheap first: the word before must be 2 to 8 letters.
    std::string_view p = Text(t - 1);
    if (p.size() < 2 || p.size() > 8) return false;
    // The lower-cased word packed into one integer (at most 8 bytes, so
    // packing is exact): a switch of integer compares, no memcmp call.
    uint64_t w = 0;
    for (size_t k = 0; k < p.size(); ++k) {
      w |= uint64_t{static_cast<uint8_t>(pii::ToLowerAscii(p[k]))} << (8 * k);
    }
    switch (w) {
      case Pack8("hi"):
      case Pack8("mr"):
      case Pack8("ms"):
      case Pack8("hey"):
      case Pack8("bye"):
      case Pack8("mrs"):
      case Pack8("dear"):
      case Pack8("miss"):
      case Pack8("hello"):
      case Pack8("thanks"):
      case Pack8("goodbye"):
        return true;
      case Pack8("is"):
        return t >= 2 && (WordIs(t - 2, "name") || WordIs(t - 2, "this"));
      case Pack8("you"):
        return t >= 2 && WordIs(t - 2, "thank");
      case Pack8("with"):
        return t >= 2 && (WordIs(t - 2, "speaking") || WordIs(t - 2, "talking"));
      default:
        return false;
    }
  }
  // A street address at t: a house number, one to three words, a street
  // word ("1200 market street", "12 Baker St"), and a city after it when the
  // gazetteer knows one ("1200 market street san francisco"). Returns the end
  // token, or 0.
  size_t Address(size_t t) {
    if (t >= tok_.size() || tok_[t].kind != TokenKind::kNumber || covered_[t] > 1 ||
        Text(t).size() > 6) {
      return 0;
    }
    size_t e = t + 1;
    for (int words = 0; words < 4 && IsWord(e) && SameLine(e); ++words, ++e) {
      if (words > 0 && InSet(e, StreetWords())) {
        ++e;
        if (IsPunct(e, '.') && Glued(e)) ++e;  // "St."
        // A known city right after: "san francisco", "Austin".
        size_t c = IsPunct(e, ',') ? e + 1 : e;
        for (size_t k = std::min(tok_.size(), c + 3); k > c; --k) {
          bool words_only = true;
          for (size_t m = c; m < k; ++m) words_only &= IsWord(m) && SameLine(m);
          if (words_only && (Lookup(c, k) & EntityGazetteer::kPlace) &&
              !(Lookup(c, k) & EntityGazetteer::kCommonWord)) {
            e = k;
            break;
          }
        }
        Emit(EntityType::kAddress, t, e, 0.7f);
        return e;
      }
      if (StopWords().Contains(Text(e)) || InSet(e, StreetWords()) || InSet(e, NotStreetWords()))
        return 0;
    }
    return 0;
  }

  // Lower-case proper nouns at t: payee names and known brands and places.
  // Returns the end token, or 0.
  size_t LowerCase(size_t t) {
    if (!IsWord(t) || Tagged(t) || !IsAsciiLower(Text(t)[0])) return 0;
    // A payee: "to guy kephart", "from brandalynn darrah".
    // The first word is a known first name; a second word that is a
    // surname or no English word makes it surer ("guy kephart"), and is
    // needed when the first is also an English word ("guy", "grace").
    if (t > 0 && InSet(t - 1, PayeeCues()) && !covered_[t - 1] && !StopWords().Contains(Text(t))) {
      uint8_t f = NameFlags(t);
      char lower[40];
      bool known = Text(t).size() <= sizeof lower &&
                   (gaz_.Lookup(LowerAsciiInto(Text(t), lower)) & kEntityBits);
      if ((f & NameGazetteer::kFirstName) && !known) {
        size_t e = t + 1;
        uint8_t g = IsWord(e) ? NameFlags(e) : 0xFF;
        if (IsWord(e) && SameLine(e) && IsAsciiLower(Text(e)[0]) && !StopWords().Contains(Text(e)) &&
            !(g & NameGazetteer::kCommonWord)) {
          ++e;
        }
        if (e > t + 1 || !(f & NameGazetteer::kCommonWord)) {
          Emit(EntityType::kPerson, t, e, 0.5f);
          return e;
        }
      }
    }
    std::string_view w = StripPossessive(Text(t));
    if (w.size() < 2 || w.size() > 40) return 0;
    const WordFacts facts = WordFactsCache::Get(w, text_, gaz_);
    const uint16_t known = facts.known;
    // "acme bank", "zenith insurance": a word that is no function or
    // generic word, then a company word.
    if (w.size() >= 3 && MaybeCompanyWord(t + 1) && IsWord(t + 1) && SameLine(t + 1) &&
        IsAsciiLower(Text(t + 1)[0]) && InSet(t + 1, CompanyWords()) &&
        !InSet(t, GenericModifiers())) {
      Emit(EntityType::kOrganization, t, t + 2, 0.45f);
      return t + 2;
    }
    // A first name after a name cue ("hi maria", "my name is john
    // peterson"), or one that is no English word, and a surname after it
    // (speech-recognition text is lower case).
    // (The names gazetteer is asked only after a cue or when the filter
    // says the word may be a first name that is no English word.)
    const bool cue = NameCue(t);
    const uint8_t f =
        cue || (!(known & kEntityBits) && facts.maybe_first_name) ? NameFlags(t) : 0;
    if ((f & NameGazetteer::kFirstName) &&
        (cue || (!(f & NameGazetteer::kCommonWord) && !(known & kEntityBits))) &&
        !StopWords().Contains(w) && !IsContraction(w)) {
      size_t e = t + 1;
      const uint8_t g = IsWord(e) ? NameFlags(e) : 0;
      if (IsWord(e) && SameLine(e) && IsAsciiLower(Text(e)[0]) && !StopWords().Contains(Text(e)) &&
          !(g & NameGazetteer::kCommonWord) && ((g & NameGazetteer::kLastName) || (cue && g == 0))) {
        ++e;
      }
      Emit(EntityType::kPerson, t, e, cue ? 0.55f : 0.45f);
      return e;
    }
    // A known name that is not an English word: "netflix", "london".
    if (w.size() < 3 || !(known & kEntityBits) || (known & EntityGazetteer::kCommonWord) ||
        IsCommonWord(t) || StopWords().Contains(w)) {
      return 0;
    }
    // Two-word names: "amazon prime", "new york".
    if (IsWord(t + 1) && SameLine(t + 1) && IsAsciiLower(Text(t + 1)[0])) {
      uint16_t f2 = Lookup(t, t + 2);
      if (f2 & kEntityBits) {
        Emit(FromFlags(f2), t, t + 2, 0.5f);
        return t + 2;
      }
    }
    Emit(FromFlags(known), t, t + 1, 0.5f);
    return t + 1;
  }

  // A cheap test before the set lookup: whether a company word has the
  // first letter and length of token t.
  bool MaybeCompanyWord(size_t t) const {
    if (t >= tok_.size()) return false;
    static const uint64_t mask = [] {
      uint64_t m = 0;
      for (std::string_view c : kCompanyWords) m |= uint64_t{1} << ((c[0] * 7u + c.size()) & 63);
      return m;
    }();
    std::string_view x = Text(t);
    if (x.empty()) return false;
    return (mask >> ((static_cast<unsigned char>(pii::ToLowerAscii(x[0])) * 7u + x.size()) & 63)) & 1;
  }

  std::string_view text_;
  const std::vector<Token>& tok_;
  const std::vector<uint8_t>& covered_;
  const EntityGazetteer& gaz_;
  const NameGazetteer& names_;
  std::vector<EntityFinding>* out_ = nullptr;
  bool caps_informative_ = true;
};

}  // namespace

void FindProperNouns(std::string_view text, const std::vector<pii::Token>& tokens,
                     const std::vector<uint8_t>& covered, const EntityGazetteer& gazetteer,
                     const pii::NameGazetteer& names, std::vector<EntityFinding>* out) {
  ProperNounScanner(text, tokens, covered, gazetteer, names).Run(out);
}

}  // namespace parley::analysis::entities
