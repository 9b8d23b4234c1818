#include "analysis/knowledge/faq_csv.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "analysis/knowledge/text_utf8.h"
#include "core/absl_compat.h"

namespace parley::analysis::knowledge {
namespace {

absl::Status RowError(size_t row, size_t line, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("FAQ CSV row ", row, " (line ", line, "): ", Sv(what)));
}

// Reads one record starting at `*pos` into `*fields`, advancing `*pos` past
// its line break. `*line` counts the line breaks consumed (for messages).
absl::Status ReadRecord(std::string_view in, size_t* pos, size_t row, size_t* line,
                        std::vector<std::string>* fields) {
  fields->clear();
  const size_t start_line = *line;
  size_t i = *pos;
  while (true) {
    std::string field;
    // White space before an opening quote is not part of the field.
    size_t q = i;
    while (q < in.size() && (in[q] == ' ' || in[q] == '\t')) ++q;
    if (q < in.size() && in[q] == '"') i = q;
    if (i < in.size() && in[i] == '"') {
      ++i;
      while (true) {
        if (i >= in.size()) return RowError(row, start_line, "a quoted field is not closed");
        const char c = in[i];
        if (c == '"') {
          if (i + 1 < in.size() && in[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (c == '\n') ++*line;
        field.push_back(c);
        ++i;
      }
      // Only white space may stand between the closing quote and the
      // separator.
      while (i < in.size() && (in[i] == ' ' || in[i] == '\t')) ++i;
      if (i < in.size() && in[i] != ',' && in[i] != '\n' &&
          !(in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') && in[i] != '\r') {
        return RowError(row, start_line, "text after a closing quote");
      }
    } else {
      while (i < in.size() && in[i] != ',' && in[i] != '\n' &&
             !(in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n')) {
        if (in[i] == '"') {
          return RowError(row, start_line, "a double quote inside an unquoted field");
        }
        field.push_back(in[i]);
        ++i;
      }
    }
    fields->push_back(std::move(field));
    if (i < in.size() && in[i] == ',') {
      ++i;
      continue;
    }
    // End of record: CRLF, LF, a lone CR right before end of input, or end.
    if (i < in.size() && in[i] == '\r') ++i;
    if (i < in.size() && in[i] == '\n') ++i;
    ++*line;
    *pos = i;
    return absl::OkStatus();
  }
}

}  // namespace

absl::StatusOr<std::vector<FaqPair>> ParseFaqCsv(std::string_view content,
                                                 const FaqCsvLimits& limits) {
  if (!IsValidUtf8(content)) return absl::InvalidArgumentError("FAQ CSV is not valid UTF-8");
  if (absl::StartsWith(Sv(content), "\xEF\xBB\xBF")) content.remove_prefix(3);
  std::vector<FaqPair> pairs;
  std::vector<std::string> fields;
  size_t pos = 0;
  size_t line = 1;
  size_t row = 0;
  while (pos < content.size()) {
    // Empty lines (and lines of white space) are not rows.
    size_t j = pos;
    while (j < content.size() && (content[j] == ' ' || content[j] == '\t')) ++j;
    if (j < content.size() && (content[j] == '\n' || content[j] == '\r')) {
      if (content[j] == '\r') ++j;
      if (j < content.size() && content[j] == '\n') ++j;
      pos = j;
      ++line;
      continue;
    }
    if (j == content.size()) break;
    ++row;
    const size_t row_line = line;
    absl::Status s = ReadRecord(content, &pos, row, &line, &fields);
    if (!s.ok()) return s;
    if (fields.size() != 2) {
      return RowError(row, row_line,
                      absl::StrCat("has ", fields.size(),
                                   fields.size() == 1 ? " field" : " fields",
                                   "; want 2 (question,answer)"));
    }
    std::string question(absl::StripAsciiWhitespace(fields[0]));
    std::string answer(absl::StripAsciiWhitespace(fields[1]));
    if (row == 1 && absl::EqualsIgnoreCase(question, "question") &&
        absl::EqualsIgnoreCase(answer, "answer")) {
      continue;  // the header row (see faq_csv.h)
    }
    if (question.empty()) return RowError(row, row_line, "the question is empty");
    if (answer.empty()) return RowError(row, row_line, "the answer is empty");
    if (question.size() > limits.max_field_bytes || answer.size() > limits.max_field_bytes) {
      return RowError(row, row_line,
                      absl::StrCat("a field is longer than ", limits.max_field_bytes, " bytes"));
    }
    if (pairs.size() == limits.max_rows) {
      return absl::InvalidArgumentError(
          absl::StrCat("FAQ CSV has more than ", limits.max_rows, " question,answer rows"));
    }
    pairs.push_back({std::move(question), std::move(answer)});
  }
  if (pairs.empty()) return absl::InvalidArgumentError("FAQ CSV holds no question,answer row");
  return pairs;
}

}  // namespace parley::analysis::knowledge
