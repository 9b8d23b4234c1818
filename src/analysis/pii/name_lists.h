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
#include <vector>

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
    // "Hungary", "Netflix": a capitalised word of the English word list.
    // Only LookupAll reports it.
    kProperNoun = 16,
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
  // As Lookup, with kProperNoun.
  uint8_t LookupAll(std::string_view token) const;

  size_t size() const { return flags_.size(); }

  // False when the lower-case ASCII word ("maria") is certainly not a name
  // that is neither a common word nor a place (kFirstName or kLastName
  // without kCommonWord and kPlace); true when it may be. A 128 KiB Bloom
  // filter that stays in cache, so lower-case text is not looked up word
  // by word in the whole map. Words starting with a non-ASCII letter always
  // get true.
  bool MaybeRareName(std::string_view lower_word) const;

  // False when the lower-case ASCII word ("tomomi") is certainly in no list
  // (no flag at all, kProperNoun included); true when it may be in one
  // (about 3 % of unknown words are). A Bloom filter like MaybeRareName's,
  // probed with the same hash. Words starting with a non-ASCII letter
  // always get true.
  bool MaybeKnown(std::string_view lower_word) const;

  // Both filters with one hash: kMaybeRareName | kMaybeKnown.
  enum BloomBit : uint8_t { kMaybeRareName = 1, kMaybeKnown = 2 };
  uint8_t BloomBits(std::string_view lower_word) const;

 private:
  static constexpr size_t kBloomBits = size_t{1} << 20;
  static uint64_t BloomHash(std::string_view lower_word);
  static void BloomAdd(std::string_view token, std::vector<uint64_t>* bloom);
  static bool BloomHas(std::string_view lower_word, const std::vector<uint64_t>& bloom);

  absl::flat_hash_map<absl::string_view, uint8_t> flags_;
  std::vector<uint64_t> bloom_;        // rare names
  std::vector<uint64_t> known_bloom_;  // every token
};

}  // namespace parley::analysis::pii
