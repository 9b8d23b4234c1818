#include "analysis/entities/gazetteer.h"

namespace parley::analysis::entities {

const EntityGazetteer& EntityGazetteer::Default() {
  static const EntityGazetteer* gazetteer = new EntityGazetteer(kPlaceListData, KnownEntities());
  return *gazetteer;
}

EntityGazetteer::EntityGazetteer(std::string_view place_data, const KnownEntityLists& known) {
  flags_.reserve(kPlaceListSize > 0 ? static_cast<size_t>(kPlaceListSize) + 1000 : 1000);
  size_t i = 0;
  while (i < place_data.size()) {
    size_t eol = place_data.find('\n', i);
    if (eol == std::string_view::npos) eol = place_data.size();
    std::string_view line = place_data.substr(i, eol - i);
    i = eol + 1;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos || tab + 1 >= line.size()) continue;
    uint16_t f = 0;
    for (char c : line.substr(0, tab)) {
      if (c == 'N') f |= kCountry;
      if (c == 'R') f |= kRegion;
      if (c == 'Y') f |= kCity;
      if (c == 'K') f |= kCurrencyCode;
      if (c == 'C') f |= kCommonWord;
    }
    Add(line.substr(tab + 1), f);
  }
  auto add_all = [&](const std::string_view* keys, size_t n, uint16_t f) {
    for (size_t k = 0; k < n; ++k) Add(keys[k], f);
  };
  add_all(known.organizations, known.organization_count, kOrganization);
  add_all(known.products, known.product_count, kProduct);
  add_all(known.events, known.event_count, kEvent);
  add_all(known.works, known.work_count, kWorkOfArt);
  add_all(known.cities, known.city_count, kCity);
}

void EntityGazetteer::Add(std::string_view key, uint16_t flags) {
  flags_[absl::string_view(key.data(), key.size())] |= flags;
}

}  // namespace parley::analysis::entities
