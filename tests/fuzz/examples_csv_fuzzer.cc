// CSV training examples: analysis::intents::ParseExamplesCsv. Every example it
// returns must have a non-empty text and a non-empty label without
// whitespace, trimmed as the header comment promises.
#include "analysis/intents/examples_csv.h"
#include "fuzz/fuzz_check.h"

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  auto examples = parley::analysis::intents::ParseExamplesCsv(parley::fuzz::AsText(data, size));
  if (!examples.ok()) {
    FUZZ_CHECK(examples.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  for (const auto& e : *examples) {
    FUZZ_CHECK(!e.text.empty());
    FUZZ_CHECK(!e.label.empty());
    for (char c : e.label) FUZZ_CHECK(!IsSpace(c));
    FUZZ_CHECK(e.text.size() <= size);
  }
  return 0;
}
