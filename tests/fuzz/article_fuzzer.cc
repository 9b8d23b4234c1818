// Articles: analysis::knowledge::ParseArticle as HTML and as plain text.
// Errors are INVALID_ARGUMENT; every passage is non-empty, within the passage
// bound and valid UTF-8, and indexing and searching it works.
#include "analysis/knowledge/article.h"
#include "analysis/knowledge/knowledge_index.h"
#include "analysis/knowledge/text_utf8.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  namespace kn = parley::analysis::knowledge;
  if (size == 0) return 0;
  // The first byte picks the type, the rest is the document.
  const char* mime = (data[0] & 1) ? "text/html" : "text/plain";
  kn::ArticleLimits limits;
  limits.max_passage_bytes = 64;
  limits.max_passages = 1000;
  auto article = kn::ParseArticle(parley::fuzz::AsText(data + 1, size - 1), mime, limits);
  if (!article.ok()) {
    FUZZ_CHECK(article.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(!article->passages.empty());
  FUZZ_CHECK(kn::IsValidUtf8(article->title));
  for (const std::string& p : article->passages) {
    FUZZ_CHECK(!p.empty());
    FUZZ_CHECK(p.size() <= limits.max_passage_bytes);
    FUZZ_CHECK(kn::IsValidUtf8(p));
  }
  kn::KnowledgeIndex index;
  index.Put(kn::AnalyzeArticle("a", article->title, article->passages));
  for (const auto& hit : index.Search(kn::AnalyzeQuery({article->passages[0]}), kn::ItemKind::kArticle, 3)) {
    FUZZ_CHECK(hit.confidence >= 0 && hit.confidence <= 1);
    FUZZ_CHECK(!hit.entries.empty() && hit.entries.size() <= 3);
  }
  return 0;
}
