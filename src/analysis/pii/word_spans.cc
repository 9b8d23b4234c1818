#include "analysis/pii/word_spans.h"

#include "analysis/pii/scan_util.h"

namespace parley::analysis::pii {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// How far past punctuation a word may start ("\"hello", "(555)").
constexpr size_t kMaxSkip = 8;

}  // namespace

std::optional<std::vector<ByteSpan>> WordSpans(
    std::string_view text, const google::protobuf::RepeatedPtrField<core::WordInfo>& words) {
  std::vector<ByteSpan> spans;
  spans.reserve(static_cast<size_t>(words.size()));
  size_t cursor = 0;
  for (const core::WordInfo& w : words) {
    std::string_view word = w.word();
    if (word.empty()) {
      spans.emplace_back(cursor, cursor);
      continue;
    }
    size_t p = cursor;
    while (p < text.size() && IsSpace(text[p])) ++p;
    bool found = false;
    for (size_t skip = 0; skip <= kMaxSkip && p + skip + word.size() <= text.size(); ++skip) {
      if (skip > 0) {
        char prev = text[p + skip - 1];
        if (IsAsciiAlnum(prev) || IsSpace(prev)) break;  // only punctuation may be skipped
      }
      if (text.compare(p + skip, word.size(), word) == 0) {
        spans.emplace_back(p + skip, p + skip + word.size());
        cursor = p + skip + word.size();
        found = true;
        break;
      }
    }
    if (!found) return std::nullopt;
  }
  return spans;
}

int WordIndexAt(const core::Message& message, size_t offset) {
  if (message.words_size() > 0) {
    if (auto spans = WordSpans(message.text(), message.words())) {
      for (size_t i = 0; i < spans->size(); ++i) {
        if ((*spans)[i].second > offset) return static_cast<int>(i);
      }
      return -1;
    }
  }
  std::string_view text = message.text();
  int index = -1;
  bool in_token = false;
  for (size_t i = 0; i < text.size() && i <= offset; ++i) {
    bool space = IsSpace(text[i]);
    if (!space && !in_token) ++index;
    in_token = !space;
  }
  if (!in_token) {  // offset in whitespace: the next token
    for (size_t i = offset; i < text.size(); ++i) {
      if (!IsSpace(text[i])) return index + 1;
    }
    return -1;
  }
  return index;
}

}  // namespace parley::analysis::pii
