#include "analysis/intents/examples_csv.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/absl_compat.h"

namespace parley::analysis::intents {
namespace {

struct Record {
  std::vector<std::string> fields;
  int line = 0;  // where the record starts, 1-based
  bool blank = false;
};

absl::Status LineError(int line, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", Sv(message)));
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

class CsvReader {
 public:
  explicit CsvReader(std::string_view csv) : s_(csv) {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") s_.remove_prefix(3);
  }

  // Reads the next record into *r; false at the end of the input.
  absl::StatusOr<bool> Next(Record* r) {
    if (pos_ >= s_.size()) return false;
    r->fields.clear();
    r->line = line_;
    bool any_quoted = false;
    while (true) {
      std::string field;
      if (pos_ < s_.size() && s_[pos_] == '"') {
        any_quoted = true;
        const int start_line = line_;
        ++pos_;
        while (true) {
          if (pos_ >= s_.size()) return LineError(start_line, "unterminated quoted field");
          char c = s_[pos_];
          if (c == '"') {
            if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '"') {
              field.push_back('"');
              pos_ += 2;
              continue;
            }
            ++pos_;
            break;
          }
          if (c == '\n') ++line_;
          field.push_back(c);
          ++pos_;
        }
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
        if (pos_ < s_.size() && !AtFieldEnd()) {
          return LineError(line_, "unexpected text after a closing quote (write a quote inside a quoted field as \"\")");
        }
      } else {
        while (pos_ < s_.size() && !AtFieldEnd()) field.push_back(s_[pos_++]);
      }
      r->fields.push_back(std::move(field));
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      // End of the record: "\n", "\r\n" or the end of the input.
      if (pos_ < s_.size() && s_[pos_] == '\r') ++pos_;
      if (pos_ < s_.size() && s_[pos_] == '\n') {
        ++pos_;
        ++line_;
      }
      break;
    }
    r->blank = !any_quoted && r->fields.size() == 1 && Trim(r->fields[0]).empty();
    return true;
  }

 private:
  bool AtFieldEnd() const {
    char c = s_[pos_];
    return c == ',' || c == '\n' || (c == '\r' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') ||
           (c == '\r' && pos_ + 1 == s_.size());
  }

  std::string_view s_;
  size_t pos_ = 0;
  int line_ = 1;
};

bool IsLabelColumn(const std::string& name) {
  return name == "label" || name == "category" || name == "intent";
}

}  // namespace

absl::StatusOr<std::vector<Example>> ParseExamplesCsv(std::string_view csv) {
  CsvReader reader(csv);
  Record record;
  // The header: the first line that is not blank.
  do {
    absl::StatusOr<bool> more = reader.Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) return absl::InvalidArgumentError("empty CSV: expected a header line such as text,label");
  } while (record.blank);
  int text_column = -1, label_column = -1;
  std::vector<std::string> names;
  for (size_t i = 0; i < record.fields.size(); ++i) {
    std::string name = absl::AsciiStrToLower(Sv(Trim(record.fields[i])));
    if (name == "text" && text_column < 0) text_column = static_cast<int>(i);
    if (IsLabelColumn(name) && label_column < 0) label_column = static_cast<int>(i);
    names.push_back(name);
  }
  if (text_column < 0 || label_column < 0) {
    return LineError(record.line,
                     absl::StrCat("the header must name a text column (text) and a label column "
                                  "(label, category or intent); found: ",
                                  absl::StrJoin(names, ",")));
  }
  const size_t columns = record.fields.size();

  std::vector<Example> examples;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (record.blank) continue;
    if (record.fields.size() != columns) {
      return LineError(record.line,
                       absl::StrCat("expected ", columns, " fields, found ", record.fields.size(),
                                    record.fields.size() > columns
                                        ? " (put a text that contains commas in double quotes)"
                                        : ""));
    }
    Example e;
    e.text = Trim(record.fields[text_column]);
    e.label = Trim(record.fields[label_column]);
    if (e.text.empty()) return LineError(record.line, "empty text");
    if (e.label.empty()) return LineError(record.line, "empty label");
    for (unsigned char c : e.label) {
      if (c <= ' ' || c == 0x7f) {
        return LineError(record.line,
                         absl::StrCat("label \"", e.label, "\" contains whitespace (use _ instead)"));
      }
    }
    examples.push_back(std::move(e));
  }
  if (examples.empty()) return absl::InvalidArgumentError("no examples after the header line");
  return examples;
}

absl::StatusOr<std::vector<Example>> ReadExamplesCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  absl::StatusOr<std::vector<Example>> examples = ParseExamplesCsv(content.str());
  if (!examples.ok()) {
    return absl::Status(examples.status().code(),
                        absl::StrCat(path, ": ", examples.status().message()));
  }
  return examples;
}

}  // namespace parley::analysis::intents
