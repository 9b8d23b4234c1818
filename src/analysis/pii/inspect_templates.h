// Inspect templates: per-project PII configuration in the shape of Cloud
// DLP's InspectTemplate, so that an Insights `redactionConfig.inspectTemplate`
// (in the request or the location's Settings) can name one. A template
// chooses built-in info types and adds custom ones:
//
//   {"name": "projects/acme/locations/us-central1/inspectTemplates/orders",
//    "inspectConfig": {
//      "infoTypes": [{"name": "PERSON_NAME"}, {"name": "PHONE_NUMBER"}],
//      "minLikelihood": "POSSIBLE",
//      "customInfoTypes": [
//        {"infoType": {"name": "ORDER_ID"}, "regex": {"pattern": "\\b\\d{10}\\b"},
//         "likelihood": "POSSIBLE",
//         "detectionRules": [{"hotwordRule": {
//           "hotwordRegex": {"pattern": "(?i)order\\s*(id|number)"},
//           "proximity": {"windowBefore": 30},
//           "likelihoodAdjustment": {"fixedLikelihood": "VERY_LIKELY"}}}]},
//        {"infoType": {"name": "PROMO_CODE"},
//         "dictionary": {"wordList": {"words": ["SUMMER10", "WINTER20"]}}}]}}
//
// Regexes are RE2 (linear time, no backtracking). Dictionary words and
// phrases match whole words, ignoring ASCII case. A custom type's
// likelihood (default VERY_LIKELY) is changed by a hotword rule when its
// hotword regex matches within `windowBefore` bytes before the finding or
// `windowAfter` bytes after it; findings below `minLikelihood` (default
// POSSIBLE) are dropped. `infoTypes` empty means every built-in type.
//
// Templates are loaded from a JSON file (`parley serve --inspect-templates
// FILE`): {"inspectTemplates": [template, ...]}.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "analysis/pii/pii_detector.h"

namespace re2 {
class RE2;
}

namespace parley::analysis::pii {

// Limits, enforced when a template is parsed.
inline constexpr size_t kMaxInspectTemplates = 1000;
inline constexpr size_t kMaxCustomInfoTypes = 30;      // per template, as DLP
inline constexpr size_t kMaxDictionaryWords = 10000;   // per custom type
inline constexpr size_t kMaxPatternBytes = 1000;       // regex source

class CustomInfoType {
 public:
  CustomInfoType();
  ~CustomInfoType();
  CustomInfoType(CustomInfoType&&) noexcept;
  CustomInfoType& operator=(CustomInfoType&&) noexcept;

  const std::string& name() const { return name_; }
  // Appends this type's findings in `text` (before the minimum likelihood).
  void Find(std::string_view text, std::vector<Finding>* out) const;

 private:
  friend class InspectTemplate;
  struct Hotword {
    std::unique_ptr<re2::RE2> regex;
    size_t window_before = 0, window_after = 0;
    float fixed = 0;     // 0: none
    int relative = 0;    // likelihood steps
  };
  bool HasHotword(const Hotword& h, std::string_view text, size_t start, size_t end) const;

  std::string name_;
  std::unique_ptr<re2::RE2> regex_;
  int group_ = 0;                      // regex group reported (0: whole match)
  std::vector<std::string> words_;     // lower-cased dictionary entries
  float likelihood_ = 0.9f;
  std::vector<Hotword> hotwords_;
};

class InspectTemplate {
 public:
  // Parses one template object (see above). INVALID_ARGUMENT naming the
  // field when it is malformed, a regex does not compile, a built-in type is
  // unknown or a limit is exceeded.
  static absl::StatusOr<InspectTemplate> Parse(std::string_view json);

  const std::string& name() const { return name_; }
  InfoTypeSet builtin_types() const { return builtin_; }
  const std::vector<CustomInfoType>& custom_types() const { return custom_; }

  // Built-in findings of the chosen types and custom findings at or above
  // minLikelihood, overlaps resolved (longest first; a custom type wins a
  // tie), sorted by start. Custom findings have type kCustom and name their
  // type in `custom_name`.
  std::vector<Finding> Find(const PiiDetector& detector, std::string_view text,
                            Asked asked = Asked::kNothing) const;

 private:
  friend class InspectTemplates;
  std::string name_;
  InfoTypeSet builtin_ = InfoTypeSet::All();
  float min_likelihood_ = 0.5f;
  std::vector<CustomInfoType> custom_;
};

// The templates of a deployment, by full resource name.
class InspectTemplates {
 public:
  // Parses {"inspectTemplates": [...]}; errors name the template.
  static absl::StatusOr<InspectTemplates> Parse(std::string_view json);
  // Reads (at most kMaxFileBytes; core::ReadFile's errors) and parses a file.
  static constexpr size_t kMaxFileBytes = 8u << 20;
  static absl::StatusOr<InspectTemplates> Load(const std::string& path);

  // The template with that name, or nullptr.
  const InspectTemplate* Get(std::string_view name) const;
  size_t size() const { return by_name_.size(); }

 private:
  std::vector<std::unique_ptr<InspectTemplate>> templates_;
  absl::flat_hash_map<std::string, const InspectTemplate*> by_name_;
};

}  // namespace parley::analysis::pii
