// PiiDetector: finds personal data in text and redacts it.
//
// Types are named by their Google DLP infoType (EMAIL_ADDRESS, PHONE_NUMBER,
// CREDIT_CARD_NUMBER, US_SOCIAL_SECURITY_NUMBER, IBAN_CODE, IP_ADDRESS,
// DATE_OF_BIRTH, STREET_ADDRESS, PERSON_NAME). Detection is rule-based:
// hand-written scanners, each linear in the length of the text, with
// checksums where the identifier has one (Luhn, IBAN mod 97), validity rules
// (SSN areas, IPv4 octets) and context words where the shape alone is
// ambiguous (a 7-digit number is a phone number after "call me on"; a
// 9-digit number is an SSN after "SSN"). PERSON_NAME uses a gazetteer of
// first and last names built from Debian packages at build time (see
// gen_name_lists.py) plus cues such as titles and "my name is".
//
// Quality and speed figures: docs/quality/pii.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/pii/turn_context.h"

namespace parley::analysis::pii {

enum class InfoType : uint8_t {
  kEmailAddress,
  kPhoneNumber,
  kCreditCardNumber,
  kUsSocialSecurityNumber,
  kIbanCode,
  kIpAddress,
  kDateOfBirth,
  kStreetAddress,
  kPersonName,
  // A custom info type of an inspect template (inspect_templates.h); the
  // finding's custom_name names it. Not one of the kInfoTypeCount built-in
  // types: never in an InfoTypeSet, never parsed from a name.
  kCustom,
};
inline constexpr int kInfoTypeCount = 9;

// The DLP name ("EMAIL_ADDRESS").
std::string_view InfoTypeName(InfoType type);
// The type with that DLP name (exact, upper case), or nullopt.
std::optional<InfoType> InfoTypeFromName(std::string_view name);

// A set of info types; cheap to copy.
class InfoTypeSet {
 public:
  constexpr InfoTypeSet() = default;
  static constexpr InfoTypeSet All() { return InfoTypeSet((1u << kInfoTypeCount) - 1); }

  constexpr bool Contains(InfoType t) const { return bits_ & Bit(t); }
  constexpr void Add(InfoType t) { bits_ |= Bit(t); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool operator==(const InfoTypeSet&) const = default;

 private:
  constexpr explicit InfoTypeSet(uint32_t bits) : bits_(bits) {}
  static constexpr uint32_t Bit(InfoType t) { return 1u << static_cast<int>(t); }
  uint32_t bits_ = 0;
};

// Parses DLP names into a set. An empty list means every type. An unknown
// name is INVALID_ARGUMENT, naming it.
absl::StatusOr<InfoTypeSet> ParseInfoTypes(const std::vector<std::string>& names);

struct Finding {
  InfoType type;
  size_t start;      // byte offsets into the text: [start, end)
  size_t end;
  float likelihood;  // (0, 1]; about 0.5 possible, 0.75 likely, 0.9 very likely
  std::string_view custom_name = {};  // kCustom only: the custom type's name

  bool operator==(const Finding&) const = default;
};

// The name a finding is reported and redacted under: the DLP name of its
// type, or its custom type's name.
std::string_view FindingTypeName(const Finding& f);

// Keeps the best of overlapping findings: longest first, then the most
// specific type (a custom type first), then the most likely. Sorted by start.
std::vector<Finding> ResolveOverlaps(std::vector<Finding> candidates);

class PiiDetector {
 public:
  // Loads the compiled-in name gazetteer (shared by every detector in the
  // process; the first construction takes a few milliseconds).
  PiiDetector();
  PiiDetector(const PiiDetector&) = delete;
  PiiDetector& operator=(const PiiDetector&) = delete;

  // Every piece of personal data in `text` (UTF-8), sorted by start, never
  // overlapping: where candidates overlap the longest wins, and of equal
  // spans the more specific type (checksummed identifiers first, names
  // last). Thread-safe. Empty text gives no findings. Speech-recognition
  // text (all lower case, numbers as words) is read through a SpeechView
  // (speech_form.h); offsets are always into `text`.
  std::vector<Finding> Find(std::string_view text) const;

  // As Find(text), keeping only `types`. Overlaps are resolved among all
  // types first, so a card number is never reported as a phone number just
  // because CREDIT_CARD_NUMBER was not asked for.
  std::vector<Finding> Find(std::string_view text, InfoTypeSet types) const;

  // As Find(text, types), for a reply to a turn that asked for `asked`
  // (turn_context.h): the reply reads as if it began, after any leading
  // filler ("yes", "sure it's", "um"), with "this is" (so a known name or
  // an unknown word counts, not "hold on") or "my phone number is", so
  // that a bare "crystal minh" or "9472 7916" is found.
  std::vector<Finding> Find(std::string_view text, InfoTypeSet types, Asked asked) const;

  // `text` with each finding of `types` replaced by "[TYPE]", for example
  // "mail me at [EMAIL_ADDRESS]".
  std::string Redact(std::string_view text, InfoTypeSet types = InfoTypeSet::All()) const;

 private:
  // Find over written text (capitals, digits), with `candidates` found
  // before (names of a speech view); Find adds speech-form text.
  std::vector<Finding> FindWritten(std::string_view text,
                                   std::vector<Finding> candidates = {}) const;

  const class NameGazetteer* names_;
};

// `text` with each finding's span replaced by "[TYPE]". `findings` must be
// sorted by start and must not overlap (as Find returns them).
std::string ApplyRedactions(std::string_view text, const std::vector<Finding>& findings);

}  // namespace parley::analysis::pii
