#include "analysis/knowledge/terms.h"

#include <cstdint>

#include "absl/container/flat_hash_set.h"
#include "analysis/phrases/tokenize.h"
#include "analysis/summary/porter_stemmer.h"

namespace parley::analysis::knowledge {
namespace {

// Function words only: unlike the summarizer's list, words that can decide
// which answer is meant ("not", "new", "how", "when", "why", "wrong") stay, and
// BM25's inverse document frequency discounts the common ones.
const absl::flat_hash_set<std::string_view>& Stopwords() {
  static const auto* const words = new absl::flat_hash_set<std::string_view>{
      "a", "an", "the", "i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "you",
      "your", "yours", "he", "him", "his", "she", "her", "hers", "it", "its", "they", "them",
      "their", "theirs", "this", "that", "these", "those", "am", "is", "are", "was", "were", "be",
      "been", "being", "do", "does", "did", "have", "has", "had", "will", "would", "shall",
      "should", "can", "could", "may", "might", "must", "of", "in", "on", "at", "by", "for",
      "with", "to", "from", "into", "and", "or", "but", "so", "as", "if", "than", "then",
      "there", "here", "just", "s", "t", "d", "ll", "m", "re", "ve", "don", "im", "please",
      "hi", "hello", "hey", "thanks", "thank", "um", "uh", "oh", "ok", "okay", "yes", "yeah"};
  return *words;
}

// Collects each token's folded bytes, then filters and stems it.
class TermSink {
 public:
  explicit TermSink(std::vector<std::string>* out) : out_(out) {}
  void BeginWord() {}
  void BeginToken(size_t) { token_.clear(); }
  void Byte(uint8_t b) { token_.push_back(static_cast<char>(b)); }
  void AsciiRun(const char* begin, const char* end) {
    for (const char* p = begin; p < end; ++p) token_.push_back(static_cast<char>(phrases::FoldAscii(*p)));
  }
  void EndToken(size_t) {
    if (IsKnowledgeStopword(token_)) return;
    summary::PorterStem(token_, &stem_);
    out_->push_back(stem_);
  }

 private:
  std::vector<std::string>* out_;
  std::string token_;
  std::string stem_;
};

}  // namespace

bool IsKnowledgeStopword(std::string_view folded_token) { return Stopwords().contains(folded_token); }

void AppendTerms(std::string_view text, std::vector<std::string>* out) {
  TermSink sink(out);
  phrases::Tokenize(text, sink);
}

}  // namespace parley::analysis::knowledge
