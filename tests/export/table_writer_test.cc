#include "export/table_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::exporter {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

Schema TestSchema() {
  return {Field{"id", "STRING"}, Field{"n", "INTEGER"}, Field{"ok", "BOOLEAN"},
          Field{"tags", "RECORD", "REPEATED", {Field{"key", "STRING"}, Field{"value", "STRING"}}}};
}

class TableWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("parley-export-test-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Writes `rows` to table p.ds.t with `d`; returns the status of Open/AddRow/Commit.
  absl::Status Export(const std::vector<std::string>& rows, WriteDisposition d,
                      const Schema& schema = TestSchema()) {
    auto w = TableWriter::Open(root_.string(), table_, schema, d);
    if (!w.ok()) return w.status();
    for (const std::string& r : rows) {
      if (auto s = (*w)->AddRow(r); !s.ok()) return s;
    }
    return (*w)->Commit();
  }
  fs::path Dir() const { return root_ / "p" / "ds"; }
  std::vector<std::string> Leftovers() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(Dir())) {
      std::string name = e.path().filename().string();
      if (name.find(".tmp") != std::string::npos) out.push_back(name);
    }
    return out;
  }

  fs::path root_;
  TableRef table_{"p", "ds", "t"};
};

TEST_F(TableWriterTest, WritesNdjsonSchemaAndCsv) {
  ASSERT_TRUE(Export({R"({"id":"a","n":1,"ok":true,"tags":[{"key":"k","value":"v"}]})",
                      R"({"id":"b, \"quoted\"\nline","n":2})"},
                     WriteDisposition::kWriteEmpty)
                  .ok());
  EXPECT_EQ(Read(Dir() / "t.ndjson"),
            "{\"id\":\"a\",\"n\":1,\"ok\":true,\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}\n"
            "{\"id\":\"b, \\\"quoted\\\"\\nline\",\"n\":2}\n");
  EXPECT_EQ(Read(Dir() / "t.csv"),
            "id,n,ok,tags\n"
            "a,1,true,\"[{\"\"key\"\":\"\"k\"\",\"\"value\"\":\"\"v\"\"}]\"\n"
            "\"b, \"\"quoted\"\"\nline\",2,,\n");
  auto schema = SchemaFromJson(Read(Dir() / "t.schema.json"));
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(*schema, TestSchema());
  EXPECT_THAT(Read(Dir() / "t.schema.json"), HasSubstr("\"mode\": \"REPEATED\""));
  EXPECT_TRUE(Leftovers().empty());
  EXPECT_EQ(*CountRows(root_.string(), table_), 2);
}

// Exports hold conversation data: directories the writer creates are 0700
// and its files 0600, whatever the umask.
TEST_F(TableWriterTest, CreatesPrivateDirectoriesAndFiles) {
  const mode_t old_umask = ::umask(0);
  ASSERT_TRUE(Export({R"({"id":"a","n":1})"}, WriteDisposition::kWriteEmpty).ok());
  ::umask(old_umask);
  auto mode = [](const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  };
  EXPECT_EQ(mode(root_ / "p"), 0700u);
  EXPECT_EQ(mode(Dir()), 0700u);
  for (const char* f : {"t.ndjson", "t.csv", "t.schema.json", ".t.lock"}) EXPECT_EQ(mode(Dir() / f), 0600u) << f;
}

TEST_F(TableWriterTest, WriteEmptyRefusesATableWithRowsAndChangesNothing) {
  ASSERT_TRUE(Export({R"({"id":"a"})"}, WriteDisposition::kWriteEmpty).ok());
  absl::Status s = Export({R"({"id":"b"})"}, WriteDisposition::kWriteEmpty);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_EQ(Read(Dir() / "t.ndjson"), "{\"id\":\"a\"}\n");
  EXPECT_TRUE(Leftovers().empty());
}

TEST_F(TableWriterTest, WriteEmptyAcceptsAnEmptyTable) {
  Write(Dir() / "t.ndjson", "\n");
  ASSERT_TRUE(Export({R"({"id":"b"})"}, WriteDisposition::kWriteEmpty).ok());
  EXPECT_EQ(Read(Dir() / "t.ndjson"), "{\"id\":\"b\"}\n");
}

TEST_F(TableWriterTest, TruncateReplacesRowsAndSchema) {
  Write(Dir() / "t.ndjson", "{\"old\":1}\n");
  Write(Dir() / "t.schema.json", "[{\"name\":\"old\",\"type\":\"INTEGER\",\"mode\":\"NULLABLE\"}]");
  ASSERT_TRUE(Export({R"({"id":"new"})"}, WriteDisposition::kWriteTruncate).ok());
  EXPECT_EQ(Read(Dir() / "t.ndjson"), "{\"id\":\"new\"}\n");
  EXPECT_EQ(*SchemaFromJson(Read(Dir() / "t.schema.json")), TestSchema());
  EXPECT_EQ(Read(Dir() / "t.csv"), "id,n,ok,tags\nnew,,,\n");
}

TEST_F(TableWriterTest, AppendKeepsOldRowsAndRebuildsTheCsv) {
  ASSERT_TRUE(Export({R"({"id":"a","n":1})"}, WriteDisposition::kWriteEmpty).ok());
  ASSERT_TRUE(Export({R"({"id":"b","n":2})"}, WriteDisposition::kWriteAppend).ok());
  EXPECT_EQ(Read(Dir() / "t.ndjson"), "{\"id\":\"a\",\"n\":1}\n{\"id\":\"b\",\"n\":2}\n");
  EXPECT_EQ(Read(Dir() / "t.csv"), "id,n,ok,tags\na,1,,\nb,2,,\n");
  EXPECT_EQ(*CountRows(root_.string(), table_), 2);
}

TEST_F(TableWriterTest, AppendToAbsentTableCreatesIt) {
  ASSERT_TRUE(Export({R"({"id":"a"})"}, WriteDisposition::kWriteAppend).ok());
  EXPECT_EQ(Read(Dir() / "t.ndjson"), "{\"id\":\"a\"}\n");
  EXPECT_TRUE(fs::exists(Dir() / "t.schema.json"));
}

TEST_F(TableWriterTest, AppendRefusesADifferentSchema) {
  Write(Dir() / "t.ndjson", "{\"old\":1}\n");
  Write(Dir() / "t.schema.json", "[{\"name\":\"old\",\"type\":\"INTEGER\",\"mode\":\"NULLABLE\"}]");
  absl::Status s = Export({R"({"id":"a"})"}, WriteDisposition::kWriteAppend);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(Read(Dir() / "t.ndjson"), "{\"old\":1}\n");
  // Rows without a schema file cannot be appended to either.
  fs::remove(Dir() / "t.schema.json");
  s = Export({R"({"id":"a"})"}, WriteDisposition::kWriteAppend);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(Leftovers().empty());
}

TEST_F(TableWriterTest, AbortLeavesTheOldTable) {
  ASSERT_TRUE(Export({R"({"id":"a"})"}, WriteDisposition::kWriteEmpty).ok());
  const std::string csv = Read(Dir() / "t.csv");
  {
    auto w = TableWriter::Open(root_.string(), table_, TestSchema(), WriteDisposition::kWriteTruncate);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddRow(R"({"id":"b"})").ok());
    (*w)->Abort();
    EXPECT_FALSE((*w)->Commit().ok());
  }
  {
    auto w = TableWriter::Open(root_.string(), table_, TestSchema(), WriteDisposition::kWriteAppend);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddRow(R"({"id":"c"})").ok());
    // Dropped without Commit (a cancelled export).
  }
  EXPECT_EQ(Read(Dir() / "t.ndjson"), "{\"id\":\"a\"}\n");
  EXPECT_EQ(Read(Dir() / "t.csv"), csv);
  EXPECT_TRUE(Leftovers().empty());
}

TEST_F(TableWriterTest, RefusesBadRows) {
  auto w = TableWriter::Open(root_.string(), table_, TestSchema(), WriteDisposition::kWriteEmpty);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->AddRow("[1]").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*w)->AddRow("{not json").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*w)->AddRow(R"({"unknown":1})").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*w)->rows_added(), 0);
}

TEST_F(TableWriterTest, ValidatesNamesAndConfinesPaths) {
  for (TableRef bad : {TableRef{"p", "", "t"}, TableRef{"p", "ds", ""}, TableRef{"p", "..", "t"},
                       TableRef{"p", "ds", "../t"}, TableRef{"..", "ds", "t"},
                       TableRef{"p", "ds", "a/b"}, TableRef{"p/..", "ds", "t"},
                       TableRef{"", "ds", "t"}, TableRef{"p", "ds", "t.x"},
                       TableRef{"p", "ds", std::string(129, 'a')}}) {
    EXPECT_EQ(ValidateTableRef(bad).code(), absl::StatusCode::kInvalidArgument)
        << bad.project << ":" << bad.dataset << "." << bad.table;
    EXPECT_FALSE(PathsFor(root_.string(), bad).ok());
  }
  EXPECT_TRUE(ValidateTableRef({"my-project-1", "data_set", "Table_2"}).ok());
  auto paths = PathsFor(root_.string(), {"p", "ds", "t"});
  ASSERT_TRUE(paths.ok());
  EXPECT_EQ(paths->ndjson, (fs::weakly_canonical(root_) / "p" / "ds" / "t.ndjson").string());
  EXPECT_EQ(PathsFor("", {"p", "ds", "t"}).status().code(), absl::StatusCode::kFailedPrecondition);
  // A dataset directory that is a symbolic link out of the root is refused.
  fs::create_directories(root_ / "p");
  fs::create_directory_symlink(fs::temp_directory_path(), root_ / "p" / "escape");
  EXPECT_EQ(PathsFor(root_.string(), {"p", "escape", "t"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SchemaJson, RoundTripsAndRefusesGarbage) {
  Schema s = TestSchema();
  auto back = SchemaFromJson(SchemaToJson(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(SchemaFromJson("{}").ok());
  EXPECT_FALSE(SchemaFromJson("[{\"type\":\"STRING\"}]").ok());
  EXPECT_FALSE(SchemaFromJson("nope").ok());
}

TEST(Csv, FlattensTopLevelColumns) {
  Schema s = TestSchema();
  EXPECT_EQ(CsvHeader(s), "id,n,ok,tags");
  EXPECT_EQ(*CsvRecord(s, R"({"tags":[],"id":"x","ok":false,"n":null})"), "x,,false,[]");
  EXPECT_EQ(*CsvRecord(s, R"({"n":-12345678901234})"), ",-12345678901234,,");
  EXPECT_FALSE(CsvRecord(s, R"({"zzz":1})").ok());
}

}  // namespace
}  // namespace parley::exporter
