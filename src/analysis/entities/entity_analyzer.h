// EntitiesAnalyzer: the "entities" step of the analysis pipeline. Fills
// core::AnalysisResult.entities from each message's text.
#pragma once

#include <string_view>

#include "analysis/analyzer.h"
#include "analysis/entities/entity_recognizer.h"

namespace parley::analysis::entities {

class EntitiesAnalyzer : public Analyzer {
 public:
  // Mentions reported per entity: a conversation of one number said a
  // million times stays a result of bounded size (issue 9 #11).
  static constexpr size_t kMaxMentionsPerEntity = 1000;

  // `recognizer` must outlive the analyzer.
  explicit EntitiesAnalyzer(const EntityRecognizer* recognizer);

  std::string_view name() const override { return "entities"; }

  // Appends one core::Entity per distinct entity of the conversation:
  // mentions with the same type and normalised name merge ("Anna" and
  // "anna"; "$5" and "5 dollars"; "June 3, 2024" and "2024-06-03"), and a
  // lone first or last name joins the one full name of a person that holds
  // it ("Anna Berg" ... "Anna"). Each entity has:
  //  * id: "1", "2", ... in order of first mention (stable for one input);
  //  * display_name: the text of its longest mention (the first of those);
  //  * salience in [0, 1], all summing to at most 1: a share of the mentions,
  //    weighted by type (names over values), confidence and how early the
  //    entity first appears;
  //  * metadata as Google Natural Language gives it: DATE "year", "month",
  //    "day" (the parts stated); PRICE "value" and "currency" (ISO 4217, when
  //    stated); NUMBER "value"; PHONE_NUMBER "number" (digits, "+" for
  //    international) and "extension";
  //  * mentions in message order (the first kMaxMentionsPerEntity of them;
  //    salience counts them all): message index, byte span in the message's
  //    UTF-8 text, the text, and the index of its first word (in the
  //    message's words when they align with the text, else its
  //    whitespace-separated tokens).
  // Entities are ordered by salience, highest first (ties: first mention).
  // Never fails; an empty conversation gives no entities.
  absl::Status Analyze(const core::Conversation& conversation,
                       core::AnalysisResult* result) const override;

 private:
  const EntityRecognizer* recognizer_;
};

}  // namespace parley::analysis::entities
