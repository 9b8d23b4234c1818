// FAQ CSV documents: analysis::knowledge::ParseFaqCsv. Errors are
// INVALID_ARGUMENT; every pair it returns has a non-empty, trimmed question
// and answer no longer than the input, and the limits hold.
#include "analysis/knowledge/faq_csv.h"
#include "fuzz/fuzz_check.h"

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  parley::analysis::knowledge::FaqCsvLimits limits;
  limits.max_rows = 50;
  limits.max_field_bytes = 200;
  auto pairs = parley::analysis::knowledge::ParseFaqCsv(parley::fuzz::AsText(data, size), limits);
  if (!pairs.ok()) {
    FUZZ_CHECK(pairs.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(!pairs->empty());
  FUZZ_CHECK(pairs->size() <= limits.max_rows);
  for (const auto& p : *pairs) {
    for (const std::string* field : {&p.question, &p.answer}) {
      FUZZ_CHECK(!field->empty());
      FUZZ_CHECK(field->size() <= limits.max_field_bytes);
      FUZZ_CHECK(!IsSpace(field->front()) && !IsSpace(field->back()));
    }
  }
  return 0;
}
