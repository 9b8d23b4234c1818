#include "analysis/pii/pii_detector.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "absl/strings/str_cat.h"
#include "analysis/pii/name_lists.h"
#include "analysis/pii/scan_util.h"
#include "analysis/pii/scanners.h"
#include "analysis/pii/speech_form.h"
#include "analysis/pii/tokens.h"

namespace parley::analysis::pii {
namespace {

constexpr std::string_view kNames[kInfoTypeCount + 1] = {
    "EMAIL_ADDRESS", "PHONE_NUMBER",  "CREDIT_CARD_NUMBER", "US_SOCIAL_SECURITY_NUMBER",
    "IBAN_CODE",     "IP_ADDRESS",    "DATE_OF_BIRTH",      "STREET_ADDRESS",
    "PERSON_NAME",   "CUSTOM"};

// Of two candidates with the same span, the more specific type wins:
// checksummed identifiers, then fixed formats, then names.
int Specificity(InfoType t) {
  switch (t) {
    case InfoType::kCustom: return 10;  // asked for by name in a template
    case InfoType::kCreditCardNumber: return 9;
    case InfoType::kIbanCode: return 9;
    case InfoType::kUsSocialSecurityNumber: return 8;
    case InfoType::kEmailAddress: return 8;
    case InfoType::kIpAddress: return 7;
    case InfoType::kDateOfBirth: return 6;
    case InfoType::kPhoneNumber: return 5;
    case InfoType::kStreetAddress: return 4;
    case InfoType::kPersonName: return 3;
  }
  return 0;
}

// What the text holds, so scanners that cannot match are skipped.
struct Shape {
  bool digit = false;
  bool at = false;
  bool dot = false;
  bool upper = false;  // an ASCII capital or any non-ASCII byte
  int colons = 0;
};

Shape ShapeOf(std::string_view text) {
  Shape s;
  for (char c : text) {
    s.digit |= IsDigit(c);
    s.at |= c == '@';
    s.dot |= c == '.';
    s.colons += c == ':';
    s.upper |= (c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80;
  }
  return s;
}

}  // namespace

std::vector<Finding> ResolveOverlaps(std::vector<Finding> candidates) {
  if (candidates.size() <= 1) return candidates;
  std::sort(candidates.begin(), candidates.end(), [](const Finding& a, const Finding& b) {
    size_t la = a.end - a.start, lb = b.end - b.start;
    if (la != lb) return la > lb;
    int sa = Specificity(a.type), sb = Specificity(b.type);
    if (sa != sb) return sa > sb;
    if (a.likelihood != b.likelihood) return a.likelihood > b.likelihood;
    return a.start < b.start;
  });
  // Kept spans are disjoint, so a candidate overlaps one of them only if it
  // overlaps its neighbours by start: O(log n) per candidate.
  std::map<size_t, const Finding*> kept;
  for (const Finding& c : candidates) {
    auto next = kept.lower_bound(c.start);
    if (next != kept.end() && next->first < c.end) continue;
    if (next != kept.begin() && std::prev(next)->second->end > c.start) continue;
    kept.emplace(c.start, &c);
  }
  std::vector<Finding> out;
  out.reserve(kept.size());
  for (const auto& [start, f] : kept) out.push_back(*f);
  return out;
}

std::string_view FindingTypeName(const Finding& f) {
  return f.type == InfoType::kCustom ? f.custom_name : InfoTypeName(f.type);
}

std::string_view InfoTypeName(InfoType type) { return kNames[static_cast<int>(type)]; }

std::optional<InfoType> InfoTypeFromName(std::string_view name) {
  for (int i = 0; i < kInfoTypeCount; ++i) {  // built-in types only
    if (kNames[i] == name) return static_cast<InfoType>(i);
  }
  return std::nullopt;
}

absl::StatusOr<InfoTypeSet> ParseInfoTypes(const std::vector<std::string>& names) {
  if (names.empty()) return InfoTypeSet::All();
  InfoTypeSet set;
  for (const std::string& name : names) {
    std::optional<InfoType> t = InfoTypeFromName(name);
    if (!t) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown info type \"", name, "\"; known: EMAIL_ADDRESS, PHONE_NUMBER, ",
                       "CREDIT_CARD_NUMBER, US_SOCIAL_SECURITY_NUMBER, IBAN_CODE, IP_ADDRESS, ",
                       "DATE_OF_BIRTH, STREET_ADDRESS, PERSON_NAME"));
    }
    set.Add(*t);
  }
  return set;
}

PiiDetector::PiiDetector() : names_(&NameGazetteer::Default()) {}

std::vector<Finding> PiiDetector::Find(std::string_view text) const {
  if (text.empty()) return {};
  // Speech-recognition text: scan a view with digits and capitals.
  thread_local SpeechView view;
  if (!view.Build(text, *names_)) return FindWritten(text);
  std::vector<Finding> found = FindWritten(view.text());
  std::vector<Finding> out;
  out.reserve(found.size());
  for (Finding f : found) {
    f.start = view.OriginalStart(f.start);
    f.end = view.OriginalEnd(f.end);
    // Two findings inside one spoken-number run map onto the same words.
    if (!out.empty() && f.start < out.back().end) {
      out.back().end = std::max(out.back().end, f.end);
      continue;
    }
    out.push_back(f);
  }
  return out;
}

std::vector<Finding> PiiDetector::FindWritten(std::string_view text) const {
  std::vector<Finding> candidates;
  const Shape shape = ShapeOf(text);
  if (shape.at) FindEmailAddresses(text, &candidates);
  if (shape.digit) {
    FindCreditCardNumbers(text, &candidates);
    FindSocialSecurityNumbers(text, &candidates);
    FindIbans(text, &candidates);
    if (shape.dot) FindIpv4Addresses(text, &candidates);
    FindPhoneNumbers(text, &candidates);
    FindDatesOfBirth(text, &candidates);
  }
  // IPv6 needs two colons, and may have no digit at all ("fe::ab").
  if (shape.colons >= 2) FindIpv6Addresses(text, &candidates);
  if (shape.upper || shape.digit) {
    thread_local std::vector<Token> tokens;
    Tokenize(text, &tokens);
    if (shape.digit) FindStreetAddresses(text, tokens, &candidates);
    if (shape.upper) FindPersonNames(text, tokens, *names_, &candidates);
  }
  return ResolveOverlaps(std::move(candidates));
}

std::vector<Finding> PiiDetector::Find(std::string_view text, InfoTypeSet types) const {
  std::vector<Finding> all = Find(text);
  if (types == InfoTypeSet::All()) return all;
  all.erase(std::remove_if(all.begin(), all.end(),
                           [&](const Finding& f) { return !types.Contains(f.type); }),
            all.end());
  return all;
}

std::string PiiDetector::Redact(std::string_view text, InfoTypeSet types) const {
  return ApplyRedactions(text, Find(text, types));
}

std::string ApplyRedactions(std::string_view text, const std::vector<Finding>& findings) {
  std::string out;
  out.reserve(text.size() + findings.size() * 16);
  size_t pos = 0;
  for (const Finding& f : findings) {
    out.append(text.substr(pos, f.start - pos));
    out.push_back('[');
    out.append(FindingTypeName(f));
    out.push_back(']');
    pos = f.end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace parley::analysis::pii
