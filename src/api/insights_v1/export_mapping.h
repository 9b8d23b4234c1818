// Insights' BigQuery export format: the table schema and one row per
// conversation (with its latest analysis), as insightsdata:export writes them.
// Modelled on Insights' documented BigQuery export schema (column names and
// types); see docs/insights-export.md for what each column holds here.
#pragma once

#include <string>

#include "absl/container/flat_hash_map.h"
#include "export/table_writer.h"
#include "parley/conversation.pb.h"

namespace parley::insights_v1 {

// The export table's schema.
const exporter::Schema& ExportSchema();

// Phrase matcher id -> its revision id (the tenant's matchers, for
// sentences.phraseMatchData.revisionId and phraseMatchers.revisionId).
using MatcherRevisions = absl::flat_hash_map<std::string, std::string>;

// The row of `conversation` as a compact JSON object. `latest` is its latest
// analysis (null if it has none: the analysis columns are then NULL/empty).
std::string ExportRow(const core::Conversation& conversation, const core::Analysis* latest,
                      const MatcherRevisions& revisions);

}  // namespace parley::insights_v1
