#include "analysis/summary/porter_stemmer.h"

#include <libstemmer.h>

namespace parley::analysis::summary {
namespace {

// An sb_stemmer keeps its working buffer inside, so it cannot be shared:
// each thread that stems (analyses run on several workers) gets its own.
class ThreadStemmer {
 public:
  ThreadStemmer() : stemmer_(sb_stemmer_new("porter", "UTF_8")) {}
  ~ThreadStemmer() { sb_stemmer_delete(stemmer_); }
  ThreadStemmer(const ThreadStemmer&) = delete;
  ThreadStemmer& operator=(const ThreadStemmer&) = delete;

  // Copies `word` unchanged when libstemmer is out of memory.
  void Stem(std::string_view word, std::string* out) {
    const sb_symbol* stem =
        stemmer_ == nullptr ? nullptr
                            : sb_stemmer_stem(stemmer_, reinterpret_cast<const sb_symbol*>(word.data()),
                                              static_cast<int>(word.size()));
    if (stem == nullptr) {
      out->assign(word);
    } else {
      out->assign(reinterpret_cast<const char*>(stem), static_cast<size_t>(sb_stemmer_length(stemmer_)));
    }
  }

 private:
  sb_stemmer* const stemmer_;
};

}  // namespace

void PorterStem(std::string_view word, std::string* out) {
  bool ascii_word = word.size() > 2;
  for (char c : word) ascii_word = ascii_word && c >= 'a' && c <= 'z';
  if (!ascii_word) {
    out->assign(word);
    return;
  }
  thread_local ThreadStemmer stemmer;
  stemmer.Stem(word, out);
}

}  // namespace parley::analysis::summary
