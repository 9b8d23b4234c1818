#include "export/table_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace parley::exporter {
namespace {

namespace fs = std::filesystem;

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(Sv(what), " ", path, ": ", std::strerror(errno)));
}

bool NameChars(std::string_view s, bool allow_dash) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || (allow_dash && c == '-');
    if (!ok) return false;
  }
  return true;
}

// ---- schema JSON ----

template <typename W>
void WriteField(const Field& f, W& w) {
  w.StartObject();
  w.Key("name");
  w.String(f.name.data(), static_cast<rapidjson::SizeType>(f.name.size()));
  w.Key("type");
  w.String(f.type.data(), static_cast<rapidjson::SizeType>(f.type.size()));
  w.Key("mode");
  w.String(f.mode.data(), static_cast<rapidjson::SizeType>(f.mode.size()));
  if (!f.fields.empty()) {
    w.Key("fields");
    w.StartArray();
    for (const Field& c : f.fields) WriteField(c, w);
    w.EndArray();
  }
  w.EndObject();
}

absl::StatusOr<Field> FieldFromJson(const rapidjson::Value& v) {
  if (!v.IsObject()) return absl::InvalidArgumentError("schema field is not an object");
  Field f;
  auto str = [&](const char* key, std::string* out, bool required) -> absl::Status {
    auto it = v.FindMember(key);
    if (it == v.MemberEnd()) {
      return required ? absl::InvalidArgumentError(absl::StrCat("schema field without ", key))
                      : absl::OkStatus();
    }
    if (!it->value.IsString()) return absl::InvalidArgumentError(absl::StrCat("schema ", key, " is not a string"));
    *out = std::string(it->value.GetString(), it->value.GetStringLength());
    return absl::OkStatus();
  };
  if (auto s = str("name", &f.name, true); !s.ok()) return s;
  if (auto s = str("type", &f.type, true); !s.ok()) return s;
  if (auto s = str("mode", &f.mode, false); !s.ok()) return s;
  auto fields = v.FindMember("fields");
  if (fields != v.MemberEnd()) {
    if (!fields->value.IsArray()) return absl::InvalidArgumentError("schema fields is not an array");
    for (const auto& c : fields->value.GetArray()) {
      auto child = FieldFromJson(c);
      if (!child.ok()) return child.status();
      f.fields.push_back(std::move(*child));
    }
  }
  return f;
}

// ---- CSV ----

std::string Compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

void AppendCsvCell(std::string_view text, std::string* out) {
  bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

absl::StatusOr<std::string> CsvFromObject(const Schema& schema, const rapidjson::Value& row) {
  std::string out;
  for (size_t i = 0; i < schema.size(); ++i) {
    if (i > 0) out.push_back(',');
    auto it = row.FindMember(schema[i].name.c_str());
    if (it == row.MemberEnd() || it->value.IsNull()) continue;
    const rapidjson::Value& v = it->value;
    if (v.IsString()) {
      AppendCsvCell(std::string_view(v.GetString(), v.GetStringLength()), &out);
    } else if (v.IsBool()) {
      out.append(v.GetBool() ? "true" : "false");
    } else {
      AppendCsvCell(Compact(v), &out);  // numbers as written; records and arrays as JSON
    }
  }
  return out;
}

absl::Status CheckColumns(const Schema& schema, const rapidjson::Value& row) {
  if (!row.IsObject()) return absl::InvalidArgumentError("a row must be a JSON object");
  for (const auto& m : row.GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    bool known = false;
    for (const Field& f : schema) {
      if (f.name == key) {
        known = true;
        break;
      }
    }
    if (!known) return absl::InvalidArgumentError(absl::StrCat("row has a column \"", Sv(key), "\" not in the schema"));
  }
  return absl::OkStatus();
}

// ---- files ----

// An output file written through a buffer; Sync() makes it durable.
class OutFile {
 public:
  ~OutFile() { Close(); }
  absl::Status Open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) return Errno("cannot create", path);
    return absl::OkStatus();
  }
  absl::Status Write(std::string_view data) {
    buf_.append(data);
    return buf_.size() >= (1 << 20) ? Flush() : absl::OkStatus();
  }
  absl::Status Flush() {
    size_t off = 0;
    while (off < buf_.size()) {
      ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("cannot write", path_);
      }
      off += static_cast<size_t>(n);
    }
    buf_.clear();
    return absl::OkStatus();
  }
  absl::Status Sync() {
    if (auto s = Flush(); !s.ok()) return s;
    if (::fsync(fd_) != 0) return Errno("cannot fsync", path_);
    return absl::OkStatus();
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::string buf_;
};

absl::Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("cannot fsync", dir);
  return absl::OkStatus();
}

// Whether the NDJSON file holds a row (anything but whitespace).
bool HasRows(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c;
  while (in.get(c)) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return true;
  }
  return false;
}

bool IsUnder(const fs::path& p, const fs::path& root) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

std::string TableName(const TableRef& t) {
  return absl::StrCat(t.project, ":", t.dataset, ".", t.table);
}

}  // namespace

std::string SchemaToJson(const Schema& schema) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  w.StartArray();
  for (const Field& f : schema) WriteField(f, w);
  w.EndArray();
  return absl::StrCat(absl::string_view(buf.GetString(), buf.GetSize()), "\n");
}

absl::StatusOr<Schema> SchemaFromJson(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("schema is not JSON: ", rapidjson::GetParseError_En(doc.GetParseError())));
  }
  if (!doc.IsArray()) return absl::InvalidArgumentError("schema is not a JSON array");
  Schema out;
  for (const auto& v : doc.GetArray()) {
    auto f = FieldFromJson(v);
    if (!f.ok()) return f.status();
    out.push_back(std::move(*f));
  }
  return out;
}

absl::Status ValidateTableRef(const TableRef& t) {
  auto check = [](std::string_view what, std::string_view value, size_t max, bool dash) -> absl::Status {
    if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(Sv(what), " is required"));
    if (value.size() > max || !NameChars(value, dash)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid ", Sv(what), " \"", Sv(value), "\": use 1-", max, " characters of letters, digits",
          dash ? ", '-'" : "", " and '_'"));
    }
    return absl::OkStatus();
  };
  if (auto s = check("project id", t.project, 64, true); !s.ok()) return s;
  if (auto s = check("dataset", t.dataset, 128, false); !s.ok()) return s;
  return check("table", t.table, 128, false);
}

absl::StatusOr<TablePaths> PathsFor(const std::string& root, const TableRef& t) {
  if (root.empty()) return absl::FailedPreconditionError("no export directory is configured");
  if (auto s = ValidateTableRef(t); !s.ok()) return s;
  std::error_code ec;
  fs::path base = fs::weakly_canonical(fs::absolute(root, ec), ec);
  if (ec) return absl::InternalError(absl::StrCat("export directory ", root, ": ", ec.message()));
  fs::path dir = (base / t.project / t.dataset).lexically_normal();
  // The names cannot contain '/' or '.', so this holds unless a directory on
  // the way is a symbolic link out of the export directory: refuse that too.
  fs::path resolved = fs::weakly_canonical(dir, ec);
  if (ec || !IsUnder(dir, base) || !IsUnder(resolved, base)) {
    return absl::InvalidArgumentError(
        absl::StrCat("table ", TableName(t), " is outside the export directory"));
  }
  TablePaths p;
  p.dir = dir.string();
  p.ndjson = (dir / (t.table + ".ndjson")).string();
  p.schema = (dir / (t.table + ".schema.json")).string();
  p.csv = (dir / (t.table + ".csv")).string();
  return p;
}

absl::StatusOr<int64_t> CountRows(const std::string& root, const TableRef& t) {
  auto paths = PathsFor(root, t);
  if (!paths.ok()) return paths.status();
  std::ifstream in(paths->ndjson, std::ios::binary);
  if (!in) return 0;
  int64_t n = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) ++n;
  }
  return n;
}

absl::StatusOr<std::string> CsvRecord(const Schema& schema, std::string_view row) {
  rapidjson::Document doc;
  doc.Parse(row.data(), row.size());
  if (doc.HasParseError()) return absl::InvalidArgumentError("row is not JSON");
  if (auto s = CheckColumns(schema, doc); !s.ok()) return s;
  return CsvFromObject(schema, doc);
}

std::string CsvHeader(const Schema& schema) {
  std::string out;
  for (size_t i = 0; i < schema.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendCsvCell(schema[i].name, &out);
  }
  return out;
}

// ---- TableWriter ----

struct TableWriter::Impl {
  TableRef table;
  TablePaths paths;
  Schema schema;
  WriteDisposition disposition;
  std::string lock_path;
  int lock_fd = -1;
  OutFile ndjson, csv, schema_file;
  bool write_schema = true;
  bool done = false;

  ~Impl() { Release(); }

  void Release() {
    if (lock_fd >= 0) {
      ::flock(lock_fd, LOCK_UN);
      ::close(lock_fd);
      lock_fd = -1;
    }
  }
  void RemoveTemps() {
    ndjson.Close();
    csv.Close();
    schema_file.Close();
    for (const OutFile* f : {&ndjson, &csv, &schema_file}) {
      if (!f->path().empty()) ::unlink(f->path().c_str());
    }
  }

  absl::Status Row(const rapidjson::Value& row) {
    if (auto s = CheckColumns(schema, row); !s.ok()) return s;
    auto record = CsvFromObject(schema, row);
    if (!record.ok()) return record.status();
    if (auto s = ndjson.Write(absl::StrCat(Compact(row), "\n")); !s.ok()) return s;
    return csv.Write(absl::StrCat(*record, "\n"));
  }
};

TableWriter::TableWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TableWriter::~TableWriter() { Abort(); }

absl::StatusOr<std::unique_ptr<TableWriter>> TableWriter::Open(const std::string& root,
                                                              const TableRef& table,
                                                              const Schema& schema,
                                                              WriteDisposition disposition) {
  auto paths = PathsFor(root, table);
  if (!paths.ok()) return paths.status();
  // Exports hold conversation data: directories the writer creates are 0700
  // and files 0600, whatever the umask (existing directories keep their mode).
  fs::path made;
  for (const fs::path& part : fs::path(paths->dir)) {
    made /= part;
    if (::mkdir(made.c_str(), 0700) != 0 && errno != EEXIST) return Errno("cannot create", made.string());
  }

  auto impl = std::make_unique<Impl>();
  impl->table = table;
  impl->paths = *paths;
  impl->schema = schema;
  impl->disposition = disposition;
  const std::string hidden = (fs::path(paths->dir) / ("." + table.table)).string();
  impl->lock_path = hidden + ".lock";
  impl->lock_fd = ::open(impl->lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (impl->lock_fd < 0) return Errno("cannot create", impl->lock_path);
  while (::flock(impl->lock_fd, LOCK_EX) != 0) {
    if (errno != EINTR) return Errno("cannot lock", impl->lock_path);
  }

  const bool has_rows = HasRows(paths->ndjson);
  if (disposition == WriteDisposition::kWriteEmpty && has_rows) {
    return absl::AlreadyExistsError(absl::StrCat(
        "Already Exists: table ", TableName(table),
        " is not empty; the write disposition WRITE_EMPTY (the default) only writes an absent or "
        "empty table: use WRITE_TRUNCATE or WRITE_APPEND"));
  }
  if (disposition == WriteDisposition::kWriteAppend && has_rows) {
    std::ifstream in(paths->schema, std::ios::binary);
    if (!in) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot append to table ", TableName(table), ": it has rows but no schema file"));
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto existing = SchemaFromJson(text);
    if (!existing.ok() || *existing != schema) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot append to table ", TableName(table),
          ": its schema differs from the export's (use WRITE_TRUNCATE to replace it)"));
    }
    impl->write_schema = false;
  }

  if (auto s = impl->ndjson.Open(hidden + ".ndjson.tmp"); !s.ok()) return s;
  if (auto s = impl->csv.Open(hidden + ".csv.tmp"); !s.ok()) {
    impl->RemoveTemps();
    return s;
  }
  if (impl->write_schema) {
    if (auto s = impl->schema_file.Open(hidden + ".schema.json.tmp"); !s.ok()) {
      impl->RemoveTemps();
      return s;
    }
    if (auto s = impl->schema_file.Write(SchemaToJson(schema)); !s.ok()) {
      impl->RemoveTemps();
      return s;
    }
  }
  absl::Status s = impl->csv.Write(absl::StrCat(CsvHeader(schema), "\n"));
  if (s.ok() && disposition == WriteDisposition::kWriteAppend && has_rows) {
    // The old rows first; the CSV is rebuilt from them so both files agree.
    std::ifstream in(paths->ndjson, std::ios::binary);
    std::string line;
    while (s.ok() && std::getline(in, line)) {
      if (line.empty()) continue;
      rapidjson::Document doc;
      doc.Parse(line.data(), line.size());
      if (doc.HasParseError()) {
        s = absl::FailedPreconditionError(
            absl::StrCat("cannot append to table ", TableName(table), ": a stored row is not JSON"));
        break;
      }
      s = impl->Row(doc);
    }
  }
  if (!s.ok()) {
    impl->RemoveTemps();
    return s;
  }
  return std::unique_ptr<TableWriter>(new TableWriter(std::move(impl)));
}

absl::Status TableWriter::AddRow(std::string_view json_object) {
  if (!impl_ || impl_->done) return absl::FailedPreconditionError("the writer is closed");
  rapidjson::Document doc;
  doc.Parse(json_object.data(), json_object.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("row is not JSON: ", rapidjson::GetParseError_En(doc.GetParseError())));
  }
  if (auto s = impl_->Row(doc); !s.ok()) return s;
  ++rows_added_;
  return absl::OkStatus();
}

absl::Status TableWriter::Commit() {
  if (!impl_ || impl_->done) return absl::FailedPreconditionError("the writer is closed");
  Impl& m = *impl_;
  absl::Status s;
  for (OutFile* f : {&m.schema_file, &m.csv, &m.ndjson}) {
    if (f->path().empty()) continue;
    if (s = f->Sync(); !s.ok()) break;
  }
  if (!s.ok()) {
    Abort();
    return s;
  }
  m.schema_file.Close();
  m.csv.Close();
  m.ndjson.Close();
  // The NDJSON file holds the rows: it is replaced last, so a crash part-way
  // leaves the old rows with (at worst) the new CSV and schema.
  std::vector<std::pair<std::string, std::string>> renames;
  if (m.write_schema) renames.emplace_back(m.schema_file.path(), m.paths.schema);
  renames.emplace_back(m.csv.path(), m.paths.csv);
  renames.emplace_back(m.ndjson.path(), m.paths.ndjson);
  for (const auto& [from, to] : renames) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      s = Errno("cannot rename into", to);
      break;
    }
  }
  if (s.ok()) s = SyncDir(m.paths.dir);
  if (!s.ok()) {
    Abort();
    return s;
  }
  m.done = true;
  m.Release();
  return absl::OkStatus();
}

void TableWriter::Abort() {
  if (!impl_ || impl_->done) return;
  impl_->RemoveTemps();
  impl_->done = true;
  impl_->Release();
}

}  // namespace parley::exporter
