// Export destinations: a "table" of rows written as local files, the stand-in
// for a BigQuery table when BigQuery cannot be reached. Dialect-neutral: the
// caller gives the schema and each row as a JSON object; this folder knows
// nothing of any vendor's row format.
//
// A table (project, dataset, table) under a root directory is three files:
//   <root>/<project>/<dataset>/<table>.ndjson       one JSON object per line
//   <root>/<project>/<dataset>/<table>.schema.json  BigQuery schema JSON:
//                                                   [{name, type, mode, fields}]
//   <root>/<project>/<dataset>/<table>.csv          the same rows flattened: a
//       header of the top-level columns, scalars as text, RECORD and REPEATED
//       columns as compact JSON text (RFC 4180 quoting)
//
// Writes are all-or-nothing: rows go to temporary files next to the table,
// which are fsynced and renamed over the old files only by Commit. A writer
// dropped (or Abort()ed) before Commit leaves the table as it was. One writer
// per table at a time (an advisory lock file, also across processes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace parley::exporter {

// One column of a BigQuery schema.
struct Field {
  std::string name;
  std::string type;               // STRING, INTEGER, FLOAT, BOOLEAN, TIMESTAMP, RECORD
  std::string mode = "NULLABLE";  // NULLABLE, REQUIRED, REPEATED
  std::vector<Field> fields;      // RECORD only
  bool operator==(const Field&) const = default;
};
using Schema = std::vector<Field>;

// The schema as BigQuery's JSON schema file (pretty-printed array).
std::string SchemaToJson(const Schema& schema);
// INVALID_ARGUMENT if `json` is not a schema array.
absl::StatusOr<Schema> SchemaFromJson(std::string_view json);

struct TableRef {
  std::string project;
  std::string dataset;
  std::string table;
};

// Names as BigQuery takes them, and safe as file names: dataset and table are
// required, 1-128 characters of [A-Za-z0-9_]; the project 1-64 characters of
// [A-Za-z0-9_-]. INVALID_ARGUMENT naming the part that is wrong.
absl::Status ValidateTableRef(const TableRef& table);

struct TablePaths {
  std::string dir;     // <root>/<project>/<dataset>
  std::string ndjson;
  std::string schema;
  std::string csv;
};
// The table's files under `root` (validated; INVALID_ARGUMENT if the table
// would land outside `root`).
absl::StatusOr<TablePaths> PathsFor(const std::string& root, const TableRef& table);

enum class WriteDisposition {
  kWriteEmpty,     // only into a table that is absent or has no rows
  kWriteTruncate,  // replace the rows (and the schema)
  kWriteAppend,    // add to the rows; the existing schema must be the same
};

// The row count of the table now (0 if it does not exist).
absl::StatusOr<int64_t> CountRows(const std::string& root, const TableRef& table);

class TableWriter {
 public:
  // Locks the table, checks `disposition` against it and opens the
  // temporary files (creating the dataset directory if needed).
  //   kWriteEmpty and a table with rows: ALREADY_EXISTS (BigQuery's
  //     'duplicate' error for WRITE_EMPTY); nothing is written.
  //   kWriteAppend and a table whose schema file differs from `schema` (or is
  //     missing while rows exist): FAILED_PRECONDITION.
  static absl::StatusOr<std::unique_ptr<TableWriter>> Open(const std::string& root,
                                                          const TableRef& table,
                                                          const Schema& schema,
                                                          WriteDisposition disposition);
  ~TableWriter();  // Abort()s unless committed
  TableWriter(const TableWriter&) = delete;
  TableWriter& operator=(const TableWriter&) = delete;

  // Adds one row: a JSON object whose keys are top-level columns of the
  // schema (absent columns are NULL). INVALID_ARGUMENT otherwise.
  absl::Status AddRow(std::string_view json_object);

  // Rows this writer added (not counting rows kept by an append).
  int64_t rows_added() const { return rows_added_; }

  // Makes the new rows the table's: fsyncs the temporary files, renames them
  // over the table's files (schema, CSV, then NDJSON last) and fsyncs the
  // directory. On error the old files stay as they were where not yet renamed.
  absl::Status Commit();

  // Removes the temporary files and releases the lock; the table is as before.
  void Abort();

 private:
  struct Impl;
  explicit TableWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int64_t rows_added_ = 0;
};

// One CSV record (no line end) of `row` (a JSON object) for the top-level
// columns of `schema`. Exposed for tests.
absl::StatusOr<std::string> CsvRecord(const Schema& schema, std::string_view row);
std::string CsvHeader(const Schema& schema);

}  // namespace parley::exporter
