// FAQ documents in CSV (Dialogflow knowledge documents of type text/csv):
// one question,answer pair per row.
//
// The format is RFC 4180: fields separated by commas, records by CRLF or LF;
// a field may be enclosed in double quotes, and then holds commas, line
// breaks and doubled quotes ("" stands for "). A double quote inside an
// unquoted field, text after a closing quote, or a quote left open is
// malformed. A UTF-8 byte-order mark at the start is ignored, and so are
// empty lines. Leading and trailing white space of each field is trimmed
// (spaces or tabs before an opening quote or after a closing one are allowed).
//
// Header: Dialogflow documents FAQ CSV files as "questions in the first
// column and answers in the second, with no header", so the first row is
// data, except that a first row reading exactly `question,answer` (any letter
// case, white space around each field allowed) is taken for a header and
// skipped: that row would make a useless FAQ entry and is what people write.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace parley::analysis::knowledge {

struct FaqPair {
  std::string question;
  std::string answer;
};

struct FaqCsvLimits {
  size_t max_rows = 20000;       // question,answer pairs in one document
  size_t max_field_bytes = 16384;  // one question or one answer
};

// The pairs of `content`, in file order. INVALID_ARGUMENT naming the row
// (1-based, counting the header and every record, not empty lines) and the
// line it starts on when a row is malformed, has other than two fields, has an
// empty question or answer, or a field over max_field_bytes; also when the
// content is not UTF-8, holds no pair, or has more than max_rows pairs.
absl::StatusOr<std::vector<FaqPair>> ParseFaqCsv(std::string_view content,
                                                 const FaqCsvLimits& limits = {});

}  // namespace parley::analysis::knowledge
