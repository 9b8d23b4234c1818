#include "analysis/entities/entity_recognizer.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "absl/strings/ascii.h"
#include "analysis/entities/gazetteer.h"
#include "analysis/entities/scanners.h"
#include "analysis/pii/name_lists.h"
#include "analysis/pii/scan_util.h"
#include "analysis/pii/scanners.h"
#include "analysis/pii/tokens.h"

namespace parley::analysis::entities {
namespace {

// Whether [start, end) overlaps a redaction placeholder of `text`: "[" then
// upper-case letters, digits and underscores, then "]" ("[STREET_ADDRESS]",
// "[PERSON_NAME]"). A placeholder stands for a removed value; the words of
// its info type are not an entity ("STREET" as a LOCATION).
bool InPlaceholder(std::string_view text, uint32_t start, uint32_t end) {
  for (size_t open = text.find('['); open != std::string_view::npos && open < end;
       open = text.find('[', open + 1)) {
    size_t close = open + 1;
    while (close < text.size() && (absl::ascii_isupper(static_cast<unsigned char>(text[close])) ||
                                   absl::ascii_isdigit(static_cast<unsigned char>(text[close])) ||
                                   text[close] == '_')) {
      ++close;
    }
    if (close == open + 1 || close >= text.size() || text[close] != ']') continue;
    if (start <= close && open < end) return true;
  }
  return false;
}

// Of two candidates with the same span, the more specific wins: fixed
// formats, then names found with cues, then capitalised chains.
int Specificity(EntityType t) {
  if (t == kTimeOfDay) return 7;
  switch (t) {
    case EntityType::kPhoneNumber: return 9;
    case EntityType::kPrice: return 8;
    case EntityType::kDate: return 7;
    case EntityType::kAddress: return 6;
    case EntityType::kNumber: return 5;
    case EntityType::kPerson: return 4;
    default: return 2;
  }
}

// Keeps the longest of overlapping candidates (then the most specific, the
// most confident, the earliest). Returns them sorted by start.
void Resolve(std::vector<EntityFinding>* candidates) {
  if (candidates->size() <= 1) return;
  std::sort(candidates->begin(), candidates->end(),
            [](const EntityFinding& a, const EntityFinding& b) {
              uint32_t la = a.end - a.start, lb = b.end - b.start;
              if (la != lb) return la > lb;
              int sa = Specificity(a.type), sb = Specificity(b.type);
              if (sa != sb) return sa > sb;
              if (a.confidence != b.confidence) return a.confidence > b.confidence;
              return a.start < b.start;
            });
  // Kept spans never overlap, so ordered by start they are ordered by end
  // too: a candidate overlaps a kept span iff the last one starting before
  // the candidate's end ends after its start. O(n log n) in all; comparing
  // each candidate with every kept span was quadratic (issue 9 #11: a
  // 64 KiB segment of "1 1 1 ..." took a second).
  std::vector<EntityFinding> kept;
  kept.reserve(candidates->size());
  std::map<uint32_t, uint32_t> spans;  // kept start -> end
  for (EntityFinding& c : *candidates) {
    auto next = spans.lower_bound(c.end);  // first kept span starting at or after c.end
    if (next != spans.begin() && std::prev(next)->second > c.start) continue;
    // Empty spans come last (longest first) and overlap no other empty one.
    if (c.end > c.start) spans.emplace(c.start, c.end);
    kept.push_back(std::move(c));
  }
  std::sort(kept.begin(), kept.end(),
            [](const EntityFinding& a, const EntityFinding& b) { return a.start < b.start; });
  *candidates = std::move(kept);
}

std::string PhoneDigits(std::string_view s) {
  std::string d;
  for (char c : s) {
    if (pii::IsDigit(c)) d.push_back(c);
    if (c == '+' && d.empty()) d.push_back('+');
    if (c == 'x' || c == 'X' || c == 'e') break;  // extension
  }
  if (d.size() >= 2 && d[0] == '0' && d[1] == '0') d.replace(0, 2, "+");
  return d;
}

// Whether the gazetteer knows `span` as a place, an organisation, a
// product, an event or a work, or `span` is a place and a country or region
// ("Austin Texas").
bool KnownName(std::string_view span, const EntityGazetteer& gazetteer) {
  if (span.size() > 64) return false;
  char buf[64];
  std::string_view key = LowerAsciiInto(span, buf);
  constexpr uint16_t kBits = EntityGazetteer::kPlace | EntityGazetteer::kOrganization |
                             EntityGazetteer::kProduct | EntityGazetteer::kEvent |
                             EntityGazetteer::kWorkOfArt;
  if (gazetteer.Lookup(key) & kBits) return true;
  size_t sp = key.find(' ');
  return sp != std::string_view::npos && key.find(' ', sp + 1) == std::string_view::npos &&
         (gazetteer.Lookup(key.substr(0, sp)) & EntityGazetteer::kPlace) &&
         (gazetteer.Lookup(key.substr(sp + 1)) &
          (EntityGazetteer::kCountry | EntityGazetteer::kRegion));
}

}  // namespace

bool CapsInformative(const std::vector<pii::Token>& tokens) {
  int words = 0, caps = 0;
  for (const pii::Token& t : tokens) {
    if (t.kind != pii::TokenKind::kWord || t.end - t.start < 2) continue;  // not "I", "a"
    ++words;
    caps += t.upper_initial;
  }
  return words < 6 || caps * 10 < words * 7;
}

std::string_view EntityTypeName(EntityType type) {
  switch (type) {
    case EntityType::kPerson: return "PERSON";
    case EntityType::kLocation: return "LOCATION";
    case EntityType::kOrganization: return "ORGANIZATION";
    case EntityType::kEvent: return "EVENT";
    case EntityType::kWorkOfArt: return "WORK_OF_ART";
    case EntityType::kConsumerGood: return "CONSUMER_GOOD";
    case EntityType::kOther: return "OTHER";
    case EntityType::kPhoneNumber: return "PHONE_NUMBER";
    case EntityType::kAddress: return "ADDRESS";
    case EntityType::kDate: return "DATE";
    case EntityType::kNumber: return "NUMBER";
    case EntityType::kPrice: return "PRICE";
  }
  return "UNKNOWN";
}

EntityRecognizer::EntityRecognizer()
    : gazetteer_(&EntityGazetteer::Default()), names_(&pii::NameGazetteer::Default()) {}

std::vector<EntityFinding> EntityRecognizer::Find(std::string_view text) const {
  std::vector<EntityFinding> found;
  if (text.empty() || text.size() > UINT32_MAX) return found;
  thread_local std::vector<pii::Token> tokens;
  thread_local std::vector<pii::Finding> pii_found;
  thread_local std::vector<uint8_t> covered;
  pii::Tokenize(text, &tokens);
  if (tokens.empty()) return found;
  bool digit = false, upper = false;
  for (const pii::Token& t : tokens) {
    digit |= t.kind == pii::TokenKind::kNumber;
    upper |= t.upper_initial;
  }

  // Values first: they are precise, and proper-noun chains must not swallow
  // them ("Call Anna on Monday"). Then chains of capitalised words and the
  // PII scanner's person names compete: the longer span wins ("Marks and
  // Spencer" over "Spencer"), a person name over a chain of the same span.
  if (digit) {
    pii_found.clear();
    pii::FindPhoneNumbers(text, &pii_found);
    pii::FindStreetAddresses(text, tokens, &pii_found);
    for (const pii::Finding& f : pii_found) {
      EntityFinding e;
      e.start = static_cast<uint32_t>(f.start);
      e.end = static_cast<uint32_t>(f.end);
      e.confidence = f.likelihood;
      if (f.type == pii::InfoType::kPhoneNumber) {
        e.type = EntityType::kPhoneNumber;
        e.value = PhoneDigits(text.substr(f.start, f.end - f.start));
      } else {
        e.type = EntityType::kAddress;
      }
      found.push_back(std::move(e));
    }
  }
  FindQuantities(text, tokens, *gazetteer_, &found);
  Resolve(&found);

  // Tokens under a value: 1 under a NUMBER (a chain may still take it:
  // "iPhone 15"), 2 under anything else.
  covered.assign(tokens.size(), 0);
  size_t k = 0;
  for (size_t t = 0; t < tokens.size(); ++t) {
    while (k < found.size() && found[k].end <= tokens[t].start) ++k;
    if (k < found.size() && found[k].start < tokens[t].end) {
      covered[t] = found[k].type == EntityType::kNumber ? 1 : 2;
    }
  }
  FindProperNouns(text, tokens, covered, *gazetteer_, *names_, &found);
  if (upper && CapsInformative(tokens)) {
    pii_found.clear();
    pii::FindPersonNames(text, tokens, *names_, &pii_found);
    for (const pii::Finding& f : pii_found) {
      if (f.type != pii::InfoType::kPersonName) continue;
      // The gazetteer knows better: "Wells Fargo", "Austin Texas", "Hilton".
      if (KnownName(text.substr(f.start, f.end - f.start), *gazetteer_)) continue;
      EntityFinding e;
      e.type = EntityType::kPerson;
      e.start = static_cast<uint32_t>(f.start);
      e.end = static_cast<uint32_t>(f.end);
      e.confidence = f.likelihood;
      found.push_back(std::move(e));
    }
  }
  Resolve(&found);
  const bool placeholders = text.find('[') != std::string_view::npos;
  found.erase(std::remove_if(found.begin(), found.end(),
                             [&](const EntityFinding& f) {
                               return f.type == kTimeOfDay ||
                                      (placeholders && InPlaceholder(text, f.start, f.end));
                             }),
              found.end());
  return found;
}

}  // namespace parley::analysis::entities
