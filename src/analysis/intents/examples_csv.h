// Training examples from CSV: a header line naming a text column ("text")
// and a label column ("label", "category" or "intent"), in either order,
// then one example per row. This is the format of banking77's train.csv
// (`text,category`).
//
// Quoting follows RFC 4180: a field in double quotes may hold commas, line
// breaks and doubled quotes (""). A quote inside an unquoted field is kept as
// it is. Blank lines are skipped; CRLF line ends and a UTF-8 byte-order mark
// are accepted. Surrounding spaces are trimmed from both text and label.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/intents/intent_model.h"

namespace parley::analysis::intents {

// InvalidArgument naming the 1-based line ("line 7: ...") for a missing or
// unusable header, a row with the wrong number of fields, an unterminated
// quote, an empty text, or a label that is empty or contains whitespace.
absl::StatusOr<std::vector<Example>> ParseExamplesCsv(std::string_view csv);

// Reads and parses the file at `path`; errors are prefixed with the path
// ("train.csv: line 7: ..."). NotFound if it cannot be read.
absl::StatusOr<std::vector<Example>> ReadExamplesCsv(const std::string& path);

}  // namespace parley::analysis::intents
