// The entity gazetteer: phrases with what they name. Places and currency codes
// come from Debian packages at build time (gen_place_lists.py: iso-codes,
// tzdata, python3-fake-factory, wamerican); brands, products, events and major
// cities are written by hand in known_entities.cc.
//
// Keys are lower-cased (ASCII letters only) and single-spaced: "new york".
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace parley::analysis::entities {

// Generated: "<flags>\t<key>\n" lines; flags from {N, R, Y, K, C}.
extern const char kPlaceListData[];
extern const int kPlaceListSize;

// Hand-written lists (known_entities.cc), lower-case keys.
struct KnownEntityLists {
  const std::string_view* organizations;
  size_t organization_count;
  const std::string_view* products;
  size_t product_count;
  const std::string_view* events;
  size_t event_count;
  const std::string_view* works;
  size_t work_count;
  const std::string_view* cities;
  size_t city_count;
};
const KnownEntityLists& KnownEntities();

class EntityGazetteer {
 public:
  enum Flag : uint16_t {
    kCountry = 1,
    kRegion = 2,        // state, province, county, ...
    kCity = 4,
    kCurrencyCode = 8,  // "USD" (looked up upper-case)
    kCommonWord = 16,   // also a lowercase English word ("reading", "nice")
    kOrganization = 32,
    kProduct = 64,
    kEvent = 128,
    kWorkOfArt = 256,
  };
  static constexpr uint16_t kPlace = kCountry | kRegion | kCity;

  // The process-wide gazetteer over the compiled-in lists.
  static const EntityGazetteer& Default();

  // Parses `place_data` in the generated format and adds `known`; the data
  // must outlive this.
  EntityGazetteer(std::string_view place_data, const KnownEntityLists& known);
  EntityGazetteer(const EntityGazetteer&) = delete;
  EntityGazetteer& operator=(const EntityGazetteer&) = delete;

  // Flags of a lower-case, single-spaced key; 0 when unknown.
  uint16_t Lookup(std::string_view key) const {
    auto it = flags_.find(absl::string_view(key.data(), key.size()));
    return it == flags_.end() ? 0 : it->second;
  }
  // The hash of `key` that the lookup uses, for a caller that hashes a key
  // once for more than one table: Lookup(key, KeyHash(key)) == Lookup(key).
  static size_t KeyHash(std::string_view key) {
    return absl::Hash<absl::string_view>{}(absl::string_view(key.data(), key.size()));
  }
  uint16_t Lookup(std::string_view key, size_t hash) const {
    auto it = flags_.find(absl::string_view(key.data(), key.size()), hash);
    return it == flags_.end() ? 0 : it->second;
  }

  size_t size() const { return flags_.size(); }

 private:
  void Add(std::string_view key, uint16_t flags);

  absl::flat_hash_map<absl::string_view, uint16_t> flags_;
};

}  // namespace parley::analysis::entities
