// The scanners behind EntityRecognizer. Each appends candidates to `out`, in
// any order and possibly overlapping; EntityRecognizer resolves overlaps.
// Each runs in time linear in the number of tokens.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "analysis/entities/entity_recognizer.h"
#include "analysis/entities/gazetteer.h"
#include "analysis/pii/name_lists.h"
#include "analysis/pii/tokens.h"

namespace parley::analysis::entities {

// A time of day ("5 pm", "12:45", "quarter past 9"): takes part in overlap
// resolution, so that its digits are not reported as NUMBER, and is then
// dropped (Google's entity types have no time).
inline constexpr EntityType kTimeOfDay = static_cast<EntityType>(100);

// DATE, PRICE, NUMBER and times of day.
void FindQuantities(std::string_view text, const std::vector<pii::Token>& tokens,
                    const EntityGazetteer& gazetteer, std::vector<EntityFinding>* out);

// LOCATION, ORGANIZATION, CONSUMER_GOOD, EVENT, WORK_OF_ART, OTHER (and
// PERSON for chains of known names the PII scanner left) from chains of
// capitalised words, skipping tokens marked in `covered` (1: under a NUMBER,
// which a chain may take, "iPhone 15"; 2: under another value); and lower-case
// payee names after "to", "from", "for" ("pay guy kephart").
void FindProperNouns(std::string_view text, const std::vector<pii::Token>& tokens,
                     const std::vector<uint8_t>& covered, const EntityGazetteer& gazetteer,
                     const pii::NameGazetteer& names, std::vector<EntityFinding>* out);

// Whether capital letters carry meaning in a text: not when most words are
// capitalised (titles, shouting).
bool CapsInformative(const std::vector<pii::Token>& tokens);

// Lower-cases ASCII letters of `s` into `buf` (which must hold s.size()
// bytes); other bytes are copied.
std::string_view LowerAsciiInto(std::string_view s, char* buf);

}  // namespace parley::analysis::entities
