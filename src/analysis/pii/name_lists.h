// The PERSON_NAME gazetteer: first and last name tokens, each flagged when it
// is also a common English word, and the common English words themselves
// (capitalised, flag kCommonWord alone), so that a capitalised word can be
// told apart as a name, an ordinary word or unknown (often a foreign name),
// and city names (kPlace). Built at build time by gen_name_lists.py from
// installed Debian packages (python3-fake-factory, wamerican, tzdata); empty
// when they were missing, in which case names are found by context cues only.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace parley::analysis::pii {

// Generated: "<flags>\t<name>\n" lines; flags from {C, F, L, P}.
extern const char kNameListData[];
extern const int kNameListSize;

class NameGazetteer {
 public:
  enum Flag : uint8_t {
    kFirstName = 1,
    kLastName = 2,
    kCommonWord = 4,  // "Will", "Young", "Credit": a lowercase English word
    kPlace = 8,       // "Paris", "Sydney": a city of the time zone database
  };

  // The process-wide gazetteer over the compiled-in list.
  static const NameGazetteer& Default();

  // Parses `data` in the generated format; `data` must outlive this.
  explicit NameGazetteer(std::string_view data);
  NameGazetteer(const NameGazetteer&) = delete;
  NameGazetteer& operator=(const NameGazetteer&) = delete;

  // Flags of a token as written ("Anna"); an all-capitals ASCII token
  // ("ANNA") is looked up capitalised. 0 when unknown.
  uint8_t Lookup(std::string_view token) const;

  size_t size() const { return flags_.size(); }

 private:
  absl::flat_hash_map<absl::string_view, uint8_t> flags_;
};

}  // namespace parley::analysis::pii
