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
  int colons = 0;  // counted up to two per eight bytes: only ">= 2" is asked
};

Shape ShapeOf(std::string_view text) {
  // Eight bytes at a time, then the rest.
  const size_t n = text.size();
  uint64_t digit = 0, at = 0, dot = 0, upper = 0;
  int colons = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t x = LoadBytes8(text.data() + i);
    digit |= BytesInRange8(x, '0', '9');
    at |= BytesEqual8(x, '@');
    dot |= BytesEqual8(x, '.');
    // Only "two or more" matters (IPv6): up to two per eight bytes.
    const uint64_t c = BytesEqual8(x, ':');
    colons += (c != 0) + ((c & (c - 1)) != 0);
    upper |= BytesInRange8(x, 'A', 'Z') | (x & kHighBits8);
  }
  Shape s;
  s.digit = digit != 0;
  s.at = at != 0;
  s.dot = dot != 0;
  s.upper = upper != 0;
  s.colons = colons;
  for (; i < n; ++i) {
    const char c = text[i];
    s.digit |= IsDigit(c);
    s.at |= c == '@';
    s.dot |= c == '.';
    s.colons += c == ':';
    s.upper |= IsAsciiUpper(c) || static_cast<unsigned char>(c) >= 0x80;
  }
  return s;
}

// A word of a name found once is a name wherever else it stands in the
// text: "asya spent a year ... as the assistant to asya godina", "mijail c
// adomo asc partners mijail c adomo 935 69 gordon terrace". Only words of
// three letters or more that are not common English words ("will" of "Will
// Smith" stays a word elsewhere), outside every other finding, and not
// glued to an email address or id.
void PropagateNames(std::string_view text, const NameGazetteer& names,
                    std::vector<Finding>* found) {
  bool any = false;
  for (const Finding& f : *found) any |= f.type == InfoType::kPersonName;
  if (!any) return;
  thread_local std::vector<Token> tokens;
  Tokenize(text, &tokens);
  auto stem = [&](const Token& t) {
    std::string_view w = t.text(text);
    if (w.size() > 3 && w[w.size() - 2] == '\'' && ToLowerAscii(w.back()) == 's') {
      w.remove_suffix(2);  // a possessive
    }
    return w;
  };
  auto same = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
    }
    return true;
  };
  auto glued = [&](const Token& t) {
    auto joiner = [](char c) { return c == '@' || c == '.' || c == '_'; };
    return (t.start > 0 && joiner(text[t.start - 1]) && t.start > 1 &&
            IsAsciiAlnum(text[t.start - 2])) ||
           (t.end + 1 < text.size() && joiner(text[t.end]) && IsAsciiAlnum(text[t.end + 1]));
  };
  std::vector<std::string_view> words;  // of the names found
  for (const Token& t : tokens) {
    if (t.kind != TokenKind::kWord) continue;
    std::string_view w = stem(t);
    if (w.size() < 3 || w.size() > 32) continue;
    bool inside = false;
    for (const Finding& f : *found) {
      inside |= f.type == InfoType::kPersonName && t.start >= f.start && t.end <= f.end;
    }
    if (!inside) continue;
    char buf[32];
    for (size_t i = 0; i < w.size(); ++i) buf[i] = i == 0 ? ToUpperAscii(w[0]) : w[i];
    if (names.Lookup(std::string_view(buf, w.size())) & NameGazetteer::kCommonWord) continue;
    words.push_back(w);
  }
  if (words.empty()) return;
  std::vector<Finding> added;
  size_t next = 0;  // the first finding not ending before the token
  for (const Token& t : tokens) {
    while (next < found->size() && (*found)[next].end <= t.start) ++next;
    if (t.kind != TokenKind::kWord) continue;
    if (next < found->size() && (*found)[next].start < t.end) continue;  // inside a finding
    std::string_view w = stem(t);
    if (glued(t)) continue;
    for (std::string_view name : words) {
      if (same(w, name)) {
        added.push_back({InfoType::kPersonName, t.start, t.start + w.size(), 0.5f});
        break;
      }
    }
  }
  if (added.empty()) return;
  found->insert(found->end(), added.begin(), added.end());
  std::sort(found->begin(), found->end(),
            [](const Finding& a, const Finding& b) { return a.start < b.start; });
}

// FindWritten for lower-case ASCII text without digits, where of its
// scanners only e-mail (an '@') and IPv6 (two colons) can match: the same
// findings without reading the text's shape.
std::vector<Finding> FindInPlainLower(std::string_view text) {
  std::vector<Finding> found;
  if (text.find('@') != std::string_view::npos) FindEmailAddresses(text, &found);
  const size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
    FindIpv6Addresses(text, &found);
  }
  return ResolveOverlaps(std::move(found));
}

// Words a reply may open with before the answer itself.
constexpr std::string_view kReplyFillers[] = {
    "yes", "yeah", "yep", "yup", "sure", "ok", "okay", "um", "uh", "uhm", "er", "erm", "so",
    "well", "it's", "its", "it", "is", "that's", "thats", "my", "name", "names", "name's",
    "phone", "number", "the", "sorry", "right", "of", "course", "absolutely", "hi", "hello",
    "hey", "certainly", "this", "i'm", "im", "i", "am", "mhm", "and"};

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
  if (!view.Build(text, *names_)) {
    std::vector<Finding> found = view.plain_lower() ? FindInPlainLower(text) : FindWritten(text);
    PropagateNames(text, *names_, &found);
    return found;
  }
  std::vector<Finding> names;
  for (const auto& [start, end] : view.names()) {
    names.push_back({InfoType::kPersonName, start, end, 0.6f});
  }
  std::vector<Finding> found = FindWritten(view.text(), std::move(names));
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
  PropagateNames(text, *names_, &out);
  return out;
}

std::vector<Finding> PiiDetector::FindWritten(std::string_view text,
                                              std::vector<Finding> candidates) const {
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

std::vector<Finding> PiiDetector::Find(std::string_view text, InfoTypeSet types,
                                       Asked asked) const {
  if (asked == Asked::kNothing || text.empty()) return Find(text, types);
  // Leading filler words, then the cue.
  static const WordSet* fillers = new WordSet(kReplyFillers);
  size_t off = 0, i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsAsciiAlnum(text[i])) ++i;
    size_t j = i;
    while (j < text.size() && (IsAsciiAlpha(text[j]) || text[j] == '\'')) ++j;
    if (j == i || j - i > 10 || !fillers->Contains(text.substr(i, j - i))) break;
    off = i = j;
  }
  while (off < text.size() && !IsAsciiAlnum(text[off]) && static_cast<unsigned char>(text[off]) < 0x80) ++off;
  // "this is", not "my name is": a known name or an unknown word follows,
  // not any word ("hold on", "maybe later").
  const std::string_view cue = asked == Asked::kName ? "this is " : "my phone number is ";
  std::string cued;
  cued.reserve(text.size() + cue.size());
  cued.append(text.substr(0, off));
  cued.append(cue);
  cued.append(text.substr(off));
  std::vector<Finding> out;
  for (Finding f : Find(cued, types)) {
    auto back = [&](size_t pos) { return pos < off ? pos : pos < off + cue.size() ? off : pos - cue.size(); };
    f.start = back(f.start);
    f.end = back(f.end);
    if (f.end > f.start) out.push_back(f);
  }
  return out;
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
