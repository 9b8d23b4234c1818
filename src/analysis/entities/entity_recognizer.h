// EntityRecognizer: finds named entities and values in one text.
//
// Types follow Google Cloud Natural Language / Contact Center AI Insights
// (core::EntityType): PERSON, LOCATION, ORGANIZATION, EVENT, WORK_OF_ART,
// CONSUMER_GOOD, OTHER, PHONE_NUMBER, ADDRESS, DATE, NUMBER, PRICE.
//
// Everything is rules and gazetteers, local and deterministic:
//  * values (PRICE, DATE, NUMBER) by hand-written scanners over tokens, with
//    a normalised value (currency and amount, year/month/day, the number);
//    times of day ("5 pm", "12:45") are recognised so that their digits are
//    not reported as numbers, but are not entities themselves (Google has no
//    time type);
//  * PHONE_NUMBER and ADDRESS by the PII scanners (analysis/pii);
//  * PERSON by the PII name scanner (name gazetteer and cues), plus lower-case
//    payee names after "to", "from", "for" ("transfer 700£ to guy kephart");
//  * LOCATION, ORGANIZATION, CONSUMER_GOOD, EVENT, WORK_OF_ART and OTHER from
//    chains of capitalised words, typed by gazetteers (countries, regions and
//    cities from Debian's iso-codes, tzdata and python3-fake-factory, built
//    at build time by gen_place_lists.py; brands, products and events written
//    in known_entities.cc), by the chain's last word ("... Bank", "... Beach",
//    "... Festival"), and by the words before it ("watching ...", "live
//    in ...").
//
// Quality and speed figures: docs/quality/entities.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::analysis::pii {
class NameGazetteer;
}  // namespace parley::analysis::pii

namespace parley::analysis::entities {

class EntityGazetteer;

// The values are core::EntityType's.
enum class EntityType : uint8_t {
  kPerson = 1,
  kLocation = 2,
  kOrganization = 3,
  kEvent = 4,
  kWorkOfArt = 5,
  kConsumerGood = 6,
  kOther = 7,
  kPhoneNumber = 9,
  kAddress = 10,
  kDate = 11,
  kNumber = 12,
  kPrice = 13,
};

// The Google name ("CONSUMER_GOOD").
std::string_view EntityTypeName(EntityType type);

struct EntityFinding {
  EntityType type;
  uint32_t start;  // byte offsets into the text: [start, end)
  uint32_t end;
  float confidence;  // (0, 1]
  // DATE: the parts the text states; 0 when it does not ("tomorrow", "May 3").
  int year = 0;
  int month = 0;
  int day = 0;
  // PRICE: ISO 4217 code when the text names a currency ("GBP"), else "".
  std::string currency;
  // PRICE and NUMBER: the amount as a plain decimal ("1234.5"); PHONE_NUMBER:
  // the digits, with a leading '+' for international numbers.
  std::string value;
};

class EntityRecognizer {
 public:
  // Loads the compiled-in gazetteers (shared by every recognizer in the
  // process; the first construction takes a few milliseconds).
  EntityRecognizer();
  EntityRecognizer(const EntityRecognizer&) = delete;
  EntityRecognizer& operator=(const EntityRecognizer&) = delete;

  // Every entity in `text` (UTF-8), sorted by start, never overlapping.
  // Thread-safe. Empty text gives none.
  std::vector<EntityFinding> Find(std::string_view text) const;

 private:
  const EntityGazetteer* gazetteer_;
  const pii::NameGazetteer* names_;
};

}  // namespace parley::analysis::entities
