// Store conformance suite: the behaviour every Store backend must have,
// written against the Store interface only.
//
// A backend instantiates it with a factory that opens (or reopens) its store
// over a given directory:
//
//   INSTANTIATE_TEST_SUITE_P(
//       Sqlite, StoreConformanceTest,
//       ::testing::Values(parley::store::testing::StoreBackend{"sqlite", &OpenForTest}),
//       parley::store::testing::BackendName);
//
// Calling the factory twice with the same directory must reach the same data
// (the suite checks persistence across a reopen).
//
// Semantics the suite pins down beyond store.h (see src/store/sqlite/query_sql.h):
// - absent start_time / duration sort before every present value ascending
//   (after, descending) and their cursor sort value is INT64_MIN; comparisons
//   never match an absent value;
// - turn_count, when absent, is the number of turns;
// - kAgentId `=` is any-match, `!=` is "no agent equals";
// - kLabel `=` needs the key with that value, `!=` is its negation (absent key
//   matches), `:` tests key presence; ordering operators are INVALID_ARGUMENT;
// - `:` "*" tests presence (non-empty string / non-zero / present time),
//   `:` v is `=`; kLatestAnalysis accepts only `:`;
// - UpdateConversation keeps the stored latest_analysis_id (PutAnalysis owns it).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "store/store.h"

namespace parley::store::testing {

// Opens the backend's store over `dir` (a fresh, existing directory the
// first time). Returns nullptr on failure.
using StoreFactory = std::function<std::unique_ptr<Store>(const std::string& dir)>;

struct StoreBackend {
  std::string name;
  StoreFactory open;
};

void PrintTo(const StoreBackend& backend, std::ostream* os);
std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info);

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  Store& store() { return *store_; }
  // Closes the store and opens it again over the same directory.
  void Reopen();

  std::string dir_;
  std::unique_ptr<Store> store_;
};

// A fresh temporary directory (removed by the caller).
std::string MakeTempDir();

}  // namespace parley::store::testing
