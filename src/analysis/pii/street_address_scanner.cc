// STREET_ADDRESS, over tokens. A core is one of:
//  A. house number, optional direction, 1-4 capitalised name words, a street
//     suffix from USPS Publication 28 ("12 Glyn St", "3911 Fourth Avenue");
//  B. optional house number, a leading street type ("Rue", "Via", "Calle",
//     ...) and 1-4 name words, optional number ("Via Franscini 71");
//  C. a word ending in a street word of a European language ("Koskikatu",
//     "Søndergade", "Bundesstrasse") or followed by one ("Piroska u.",
//     "Erzsébet tér"), then a house number; optionally after a number;
//  D. a post-office or military box: "P.O. Box 12", "PSC 0413, Box 8144",
//     "Unit 4719 Box 7394", then "APO AA 42323".
// A core extends over unit designators ("Apt. 864", "Suite 5") and a
// city / state / postal-code tail ("Springfield, IL 62704") when one
// follows within a few tokens (across lines) and ends in a postal code or a
// state. Two cores joined as "the corner of A and B" are one address. A weak
// core, [number] name words and a house number ("28030 Edeby 55"), counts
// only with a unit or tail after it or an address word ("lives at", "send
// to", "Address:") before it.
#include <algorithm>

#include "analysis/pii/scan_util.h"
#include "analysis/pii/scanners.h"

namespace parley::analysis::pii {
namespace {

// Lower-case street suffixes and their USPS abbreviations.
constexpr std::string_view kSuffixes[] = {
    "alley", "aly", "annex", "arcade", "avenue", "ave", "av", "bayou", "beach", "bend", "bluff",
    "bluffs", "boulevard", "blvd", "branch", "bridge", "brook", "brooks", "burg", "bypass",
    "camp", "canyon", "cape", "causeway", "center", "centre", "circle", "cir", "circles",
    "cliff", "cliffs", "close", "club", "common", "commons", "corner", "corners", "course",
    "court", "ct", "courts", "cove", "coves", "creek", "crescent", "cres", "crest", "crossing",
    "xing", "crossroad", "curve", "dale", "dam", "divide", "drive", "dr", "drives", "estate",
    "estates", "expressway", "expy", "extension", "ext", "falls", "ferry", "field", "fields",
    "flat", "flats", "ford", "fords", "forest", "forge", "forges", "fork", "forks", "fort",
    "freeway", "fwy", "garden", "gardens", "gdns", "gateway", "glen", "glens", "green",
    "greens", "grove", "groves", "harbor", "harbors", "haven", "heights", "hts", "highway",
    "hwy", "hill", "hills", "hollow", "inlet", "island", "islands", "isle", "junction",
    "junctions", "key", "keys", "knoll", "knolls", "lake", "lakes", "landing", "lane", "ln",
    "light", "lights", "loaf", "lock", "locks", "lodge", "loop", "mall", "manor", "manors",
    "meadow", "meadows", "mews", "mill", "mills", "mission", "motorway", "mount", "mountain",
    "mountains", "neck", "orchard", "oval", "overpass", "parade", "park", "parks", "parkway",
    "pkwy", "pass", "passage", "path", "pike", "pine", "pines", "place", "pl", "plain",
    "plains", "plaza", "plz", "point", "points", "port", "ports", "prairie", "quay", "radial",
    "ramp", "ranch", "rapid", "rapids", "rest", "ridge", "ridges", "rise", "river", "road",
    "rd", "roads", "route", "rte", "row", "rue", "run", "shoal", "shoals", "shore", "shores",
    "skyway", "spring", "springs", "spur", "spurs", "square", "sq", "squares", "station",
    "stravenue", "stream", "street", "st", "str", "streets", "summit", "terrace", "ter",
    "tce", "throughway", "trace", "track", "trafficway", "trail", "trl", "tunnel",
    "turnpike", "underpass", "union", "unions", "valley", "valleys", "viaduct", "view",
    "views", "village", "villages", "ville", "vista", "walk", "walks", "wall", "way", "ways",
    "well", "wells", "wharf", "wynd"};

// Street types written before the name.
constexpr std::string_view kPrefixTypes[] = {
    "rue",   "rua",    "via",   "viale",  "calle",   "avenida", "avda",   "avenue", "boulevard",
    "chemin", "place", "plaza", "piazza", "strada",  "ulica",   "ul",     "carrer", "camino",
    "largo", "travessa", "praça", "praca", "corso",  "vicolo",  "paseo",  "allée",  "quai",
    "rambla", "route", "avinguda", "estrada", "rodovia", "aleja", "calea", "bulevardul",
    "strada"};

// Word endings (compound street names) and separate street words that come
// before the house number in much of Europe.
constexpr std::string_view kCompoundEndings[] = {
    "strasse", "straße", "str", "weg", "gasse", "platz", "allee", "damm", "ufer",
    "laan", "straat", "gracht", "plein", "kade", "singel", "steeg", "vej", "gade", "vænget",
    "gata", "gatan", "vägen", "veien", "vei", "veg", "katu", "tie", "kuja", "polku", "väylä",
    "stræti", "vegur", "utca", "út", "tér", "körút", "sor", "köz", "kapu", "cesta", "ulice",
    "náměstí", "ulica", "gränd", "stig", "torget", "torv"};
constexpr std::string_view kStreetWords[] = {
    "u",      "utca",  "út",    "tér",   "körút", "krt",   "sor",    "köz",   "kapu",
    "str",    "ul",    "cesta", "ulica", "strasse", "straße", "gasse", "weg", "platz",
    "allee",  "laan",  "straat", "vej",  "gade",  "gata",  "gatan",  "vägen", "katu",
    "tie",    "terrasse", "rkp"};
// Words shortly before an address ("lives at", "send it to", "Address:").
constexpr std::string_view kAddressCues[] = {
    "address", "addresses", "lives", "live", "living", "located", "location", "send",
    "sent",    "ship",      "shipping", "deliver", "delivered", "delivery", "moved", "reside",
    "resides", "residence", "return", "mail", "post", "headquarters", "hq", "visit"};

constexpr std::string_view kUnitWords[] = {"apt",  "apartment", "suite", "ste",  "unit", "flat",
                                           "floor", "fl",       "room",  "rm",   "bldg", "building",
                                           "lot",  "dept"};
constexpr std::string_view kDirections[] = {"n",  "s",  "e",  "w",     "ne",    "nw",  "se",
                                            "sw", "north", "south", "east", "west"};
constexpr std::string_view kParticles[] = {"de", "da", "do", "dos", "das", "del", "della", "di",
                                           "du", "la", "le", "les", "el", "al", "van", "von",
                                           "der", "den", "of", "the", "y"};

// Case-insensitive equality with a lower-case ASCII word.
bool EqualsLower(std::string_view w, std::string_view lower) {
  if (w.size() != lower.size()) return false;
  for (size_t k = 0; k < w.size(); ++k) {
    if (ToLowerAscii(w[k]) != lower[k]) return false;
  }
  return true;
}

const WordSet& Suffixes() {
  static const WordSet* set = new WordSet(kSuffixes);
  return *set;
}
const WordSet& PrefixTypes() {
  static const WordSet* set = new WordSet(kPrefixTypes);
  return *set;
}
const WordSet& CompoundEndings() {
  static const WordSet* set = new WordSet(kCompoundEndings);
  return *set;
}
const WordSet& StreetWords() {
  static const WordSet* set = new WordSet(kStreetWords);
  return *set;
}
const WordSet& UnitWords() {
  static const WordSet* set = new WordSet(kUnitWords);
  return *set;
}
const WordSet& Directions() {
  static const WordSet* set = new WordSet(kDirections);
  return *set;
}
const WordSet& Particles() {
  static const WordSet* set = new WordSet(kParticles);
  return *set;
}

class AddressScanner {
 public:
  AddressScanner(std::string_view text, const std::vector<Token>& tokens)
      : text_(text), tok_(tokens) {}

  void Run(std::vector<Finding>* out) {
    const size_t n = tok_.size();
    size_t t = 0;
    size_t next_number = 0;
    while (t < n) {
      // Every form holds a number within its first 7 tokens.
      if (next_number < t) next_number = t;
      while (next_number < n && tok_[next_number].kind != TokenKind::kNumber) ++next_number;
      if (next_number == n) break;
      if (next_number > t + 7) {
        t = next_number - 7;
        continue;
      }
      size_t end_tok = 0;
      float likelihood = 0.7f;
      if (size_t e = MatchCorner(t); e != 0) {
        out->push_back({InfoType::kStreetAddress, tok_[t].start, tok_[e - 1].end, 0.7f});
        t = e;
        continue;
      }
      if (MatchCore(t, &end_tok, &likelihood)) {
        end_tok = ExtendUnits(end_tok);
        size_t tail = ExtendTail(end_tok);
        if (tail != end_tok) likelihood = 0.85f;
        end_tok = ExtendUnits(tail);
        out->push_back({InfoType::kStreetAddress, tok_[t].start, tok_[end_tok - 1].end, likelihood});
        t = end_tok;
        continue;
      }
      // A number, a name and a number ("28030 Edeby 55") is an address only
      // with a unit or postal tail after it or an address word before it.
      if (MatchWeakCore(t, &end_tok)) {
        size_t units = ExtendUnits(end_tok);
        size_t tail = ExtendTail(units);
        if (units != end_tok || tail != units ||
            BeforeHasCue(text_, tok_[t].start, 6, 60, kAddressCues)) {
          size_t e = ExtendUnits(tail);
          out->push_back({InfoType::kStreetAddress, tok_[t].start, tok_[e - 1].end,
                          tail != units ? 0.75f : 0.6f});
          t = e;
          continue;
        }
      }
      ++t;
    }
  }

 private:
  std::string_view Text(size_t t) const { return tok_[t].text(text_); }
  bool IsNumber(size_t t, size_t max_digits = 6) const {
    if (t >= tok_.size() || tok_[t].kind != TokenKind::kNumber) return false;
    std::string_view s = Text(t);
    size_t d = 0;
    while (d < s.size() && IsDigit(s[d])) ++d;
    return d <= max_digits && s.size() - d <= 1;  // "12", "12B"
  }
  bool IsPunct(size_t t, char c) const {
    return t < tok_.size() && tok_[t].kind == TokenKind::kPunct && Text(t).size() == 1 &&
           Text(t)[0] == c;
  }
  bool IsWord(size_t t) const { return t < tok_.size() && tok_[t].kind == TokenKind::kWord; }
  bool IsCapitalWord(size_t t) const {
    return IsWord(t) && (tok_[t].upper_initial || tok_[t].all_upper);
  }
  // Token t exists and is on the line of token t - 1.
  bool SameLine(size_t t) const { return t < tok_.size() && !tok_[t].newline_before; }
  bool WordIs(size_t t, std::string_view lower) const {
    return IsWord(t) && EqualsLower(Text(t), lower);
  }
  // A word in `set`, with an optional '.' after it; returns the next token.
  size_t MatchWord(size_t t, const WordSet& set) const {
    if (!IsWord(t) || !set.Contains(Text(t))) return 0;
    if (IsPunct(t + 1, '.') && !tok_[t + 1].space_before) return t + 2;
    return t + 1;
  }
  // An ordinal street name: "5th", "42nd".
  bool IsOrdinal(size_t t) const {
    if (t >= tok_.size() || tok_[t].kind != TokenKind::kNumber) return false;
    std::string_view s = Text(t);
    if (s.size() < 3) return false;
    std::string_view suf = s.substr(s.size() - 2);
    return suf == "st" || suf == "nd" || suf == "rd" || suf == "th";
  }
  bool EndsWithCompound(size_t t) const {
    if (!IsWord(t)) return false;
    std::string_view w = Text(t);
    // Endings are 2 to 8 bytes; the stem before them at least 3.
    for (size_t len = 2; len <= 8 && len + 3 <= w.size(); ++len) {
      if ((static_cast<uint8_t>(w[w.size() - len]) & 0xC0) == 0x80) continue;  // mid-character
      if (CompoundEndings().Contains(w.substr(w.size() - len))) return true;
    }
    return false;
  }

  // Name words from t, on the line: capitalised words, ordinals, and
  // particles between capitalised words. Returns the index after the last
  // name word (t when none), at most `max` words.
  size_t NameWords(size_t t, int max) const {
    int count = 0;
    size_t last = t;
    while (t < tok_.size() && count < max && (t == last || SameLine(t))) {
      if (IsCapitalWord(t) || IsOrdinal(t)) {
        ++count;
        last = ++t;
        continue;
      }
      if (IsWord(t) && Particles().Contains(Text(t)) && IsCapitalWord(t + 1) && SameLine(t + 1)) {
        ++t;
        continue;
      }
      break;
    }
    return last;
  }

  bool MatchCore(size_t t, size_t* end, float* likelihood) const {
    // D. Boxes.
    if (size_t e = MatchBox(t); e != 0) {
      *end = e;
      *likelihood = 0.8f;
      return true;
    }
    if (IsNumber(t)) {
      if (IsWordCharBefore(text_, tok_[t].start)) return false;
      size_t p = t + 1;
      if (!SameLine(p)) return false;
      if (IsNumber(p) && SameLine(p + 1)) ++p;  // a postal code first: "17151 2450 Crown St"
      if (size_t d = MatchWord(p, Directions()); d != 0 && IsCapitalWord(p) && SameLine(d)) p = d;
      // B. Leading street type.
      if (size_t q = MatchWord(p, PrefixTypes()); q != 0 && IsCapitalWord(p) && SameLine(q)) {
        size_t e = NameWords(q, 4);
        if (e > q) {
          if (IsNumber(e, 5) && SameLine(e)) ++e;
          *end = e;
          return true;
        }
      }
      // C. Compound street name and house number after a postal code.
      if (size_t e = MatchCompound(p); e != 0) {
        *end = e;
        *likelihood = 0.6f;
        return true;
      }
      // A. Name words and a suffix.
      size_t e = NameWords(p, 4);
      if (e > p) {
        // The suffix may be the last "name" word ("Glyn St", "Crown Street").
        for (size_t s = e; s > p; --s) {
          size_t after = MatchWord(s - 1, Suffixes());
          if (after != 0 && s - 1 > p) {
            *end = after;
            return true;
          }
        }
        if (size_t after = MatchWord(e, Suffixes()); after != 0 && SameLine(e)) {
          *end = after;
          return true;
        }
      }
      return false;
    }
    // B without a house number: "Via Franscini 71", "Rua do Arenque 1634".
    if (IsCapitalWord(t)) {
      if (size_t q = MatchWord(t, PrefixTypes()); q != 0 && SameLine(q)) {
        size_t e = NameWords(q, 4);
        if (e > q && IsNumber(e, 5) && SameLine(e)) {
          *end = e + 1;
          return true;
        }
      }
    }
    // C without a postal code.
    if (size_t e = MatchCompound(t); e != 0) {
      *end = e;
      *likelihood = 0.6f;
      return true;
    }
    return false;
  }

  // [number] 1-3 capitalised words, then a house number, on one line.
  bool MatchWeakCore(size_t t, size_t* end) const {
    size_t p = t;
    if (IsNumber(p)) {
      if (IsWordCharBefore(text_, tok_[p].start)) return false;
      ++p;
      if (!SameLine(p)) return false;
    }
    size_t e = NameWords(p, 3);
    if (e == p || !IsNumber(e, 5) || !SameLine(e)) return false;
    if (e + 1 < tok_.size() && tok_[e + 1].kind == TokenKind::kWord && !tok_[e + 1].space_before)
      return false;
    *end = e + 1;
    return true;
  }

  // "the corner of <street> and <street>". Returns the end or 0.
  size_t MatchCorner(size_t t) const {
    size_t p = t;
    if (WordIs(p, "the")) ++p;
    if (!WordIs(p, "corner")) return 0;
    ++p;
    if (!WordIs(p, "of")) return 0;
    ++p;
    size_t a = Street(p);
    if (a == 0) return 0;
    if (!WordIs(a, "and") && !IsPunct(a, '&')) return 0;
    size_t b = Street(a + 1);
    return b;
  }

  // One street of a corner: a core, a weak core or capitalised words ending
  // in a street suffix or type. Returns the end or 0.
  size_t Street(size_t p) const {
    size_t e = 0;
    float unused;
    if (MatchCore(p, &e, &unused) || MatchWeakCore(p, &e)) return e;
    size_t w = NameWords(p, 4);
    if (w == p) return 0;
    if (w < tok_.size() && MatchWord(w, Suffixes()) != 0) return MatchWord(w, Suffixes());
    if (MatchWord(w - 1, Suffixes()) != 0 && w - 1 > p) return w;
    return 0;
  }

  // "Koskikatu 25", "Erzsébet tér 19", "Piroska u. 97". Returns the end or 0.
  size_t MatchCompound(size_t t) const {
    if (!IsWord(t) || !SameLine(t + 1)) return 0;
    size_t p = 0;
    if (IsNumber(t + 1, 5) && EndsWithCompound(t)) {
      p = t + 1;
    } else if (IsCapitalWord(t) && IsWord(t + 1)) {
      p = MatchWord(t + 1, StreetWords());
      if (p == 0 || !SameLine(p) || !IsNumber(p, 5)) return 0;
    } else {
      return 0;
    }
    size_t e = p + 1;
    if (IsPunct(e, '.') && !tok_[e].space_before && e + 1 < tok_.size() && tok_[e + 1].newline_before)
      ++e;  // "tér 19." at the end of a line
    return e;
  }

  // P.O. Box / PSC / Unit ... Box, with an APO/FPO/DPO line after.
  size_t MatchBox(size_t t) const {
    size_t p = 0;
    if (!IsWord(t) || Text(t).size() > 7) return 0;
    if ((WordIs(t, "psc") || WordIs(t, "unit") || WordIs(t, "cmr")) && IsNumber(t + 1)) {
      p = t + 2;
      if (IsPunct(p, ',')) ++p;
      if (!WordIs(p, "box") || !IsNumber(p + 1)) return 0;
      p += 2;
    } else if (WordIs(t, "po") || WordIs(t, "p") || WordIs(t, "postbox") || WordIs(t, "pobox")) {
      bool joined = WordIs(t, "postbox") || WordIs(t, "pobox");
      p = t + 1;
      while (p < tok_.size() && (IsPunct(p, '.') || WordIs(p, "o"))) ++p;
      if (!joined) {
        if (!WordIs(p, "box")) return 0;
        ++p;
      }
      if (!IsNumber(p)) return 0;
      ++p;
    } else {
      return 0;
    }
    // "APO AA 42323"
    if ((WordIs(p, "apo") || WordIs(p, "fpo") || WordIs(p, "dpo")) && IsWord(p + 1) &&
        tok_[p + 1].all_upper && IsNumber(p + 2)) {
      p += 3;
    }
    return p;
  }

  // A quoted-mail marker ">" opening a line.
  bool IsQuoteMarker(size_t p) const {
    return IsPunct(p, '>') && (p == 0 || tok_[p].newline_before);
  }

  // ", Apt. 864", " Suite 5", " #12".
  size_t ExtendUnits(size_t e) const {
    for (int round = 0; round < 2; ++round) {
      size_t p = e;
      if (IsPunct(p, ',')) ++p;
      if (IsQuoteMarker(p)) ++p;
      size_t q = 0;
      if (IsPunct(p, '#')) {
        q = p + 1;
      } else {
        q = MatchWord(p, UnitWords());
      }
      if (q == 0 || q >= tok_.size()) break;
      if (IsPunct(q, '#')) ++q;
      if (!(IsNumber(q) || (IsWord(q) && Text(q).size() <= 2 && tok_[q].all_upper))) break;
      e = q + 1;
    }
    return e;
  }

  // City, state and postal code after a core, within 12 tokens and 4 lines:
  // up to 5 capitalised words (city, country), commas and line breaks
  // between, a 2-letter state, then a postal code (4-6 digits, or ZIP+4).
  // Returns the end of the last state or postal code, or `e` when there is
  // none.
  size_t ExtendTail(size_t e) const {
    size_t p = e;
    size_t best = e;
    int words = 0, lines = 0;
    const size_t limit = std::min(tok_.size(), e + 12);
    while (p < limit) {
      if (tok_[p].newline_before && ++lines > 4) break;
      if (IsPunct(p, ',') || IsQuoteMarker(p)) {
        ++p;
        continue;
      }
      if (IsNumber(p) && p > e) {
        std::string_view s = Text(p);
        if (s.size() >= 4 && s.size() <= 6 && IsDigit(s.back())) {
          size_t q = p + 1;
          if (IsPunct(q, '-') && IsNumber(q + 1) && Text(q + 1).size() == 4) q += 2;
          best = q;
        }
        break;
      }
      if (IsWord(p) && tok_[p].all_upper && Text(p).size() == 2 && p > e) {
        ++p;
        best = p;  // "Springfield, IL" is a tail even without a ZIP
        continue;
      }
      if (IsCapitalWord(p) && ++words <= 5) {
        ++p;
        continue;
      }
      break;
    }
    return best;
  }

  std::string_view text_;
  const std::vector<Token>& tok_;
};

}  // namespace

void FindStreetAddresses(std::string_view text, const std::vector<Token>& tokens,
                         std::vector<Finding>* out) {
  AddressScanner(text, tokens).Run(out);
}

}  // namespace parley::analysis::pii
