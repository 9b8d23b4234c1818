// Porter's (1980) suffix-stripping stemmer for English ("An algorithm for
// suffix stripping", Program 14(3)), so that "charged", "charges" and
// "charging" meet at "charg". The algorithm is Snowball's "porter" from
// Debian's libstemmer, which follows the paper except that it undoubles a
// final consonant only for bb dd ff gg mm nn pp rr tt ("trekking" -> "trekk").
#pragma once

#include <string>
#include <string_view>

namespace parley::analysis::summary {

// Writes the stem of `word` to `*out` (replacing its contents). `word` must be
// lower-case; a word of one or two letters, or one holding anything but the
// ASCII letters a-z, is copied unchanged. Thread-safe.
void PorterStem(std::string_view word, std::string* out);

}  // namespace parley::analysis::summary
