// Sentence boundaries in one message's text.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace parley::analysis::summary {

struct SentenceSpan {
  uint32_t begin;  // byte offsets into the text; no leading or trailing white space
  uint32_t end;
};

// Splits `text` into sentences. A sentence ends after a run of '.', '!', '?'
// or '…' (with any closing quotes or brackets) that is followed by white
// space and then by anything but a lower-case ASCII letter, and at every line
// break. A '.' after a common abbreviation ("Mr.", "e.g.", "No. 5", "Jan. 5") or a single
// letter ("J. Smith") ends nothing, nor does one inside a number ("2.5").
// Text with no such marks (as speech recognition often gives) is one
// sentence. Spans holding only white space are left out. Thread-safe.
std::vector<SentenceSpan> SplitSentences(std::string_view text);
// The same into *out (cleared first), so a caller can reuse its memory.
void SplitSentences(std::string_view text, std::vector<SentenceSpan>* out);

}  // namespace parley::analysis::summary
