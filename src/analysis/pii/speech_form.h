// Speech-recognition text ("hi maria my name is john peterson i live at
// twelve hundred market street my number is four one five five five five
// one two one two") reads differently from written text: no capitals, little
// punctuation, numbers spoken as words. The scanners reason about capitals
// (names, streets) and digits (phones, cards, SSNs), so PiiDetector runs
// them over a *view* of such text:
//
//  * spoken-number runs become digit strings: "four one five" -> "415",
//    "twelve hundred" -> "1200", "double five" -> "55", "oh" is zero inside
//    a run; a run needs two words or more;
//  * in text with no capital letters (other than "I"), words are
//    capitalised where the evidence says name or street: a gazetteer name
//    that is not an English word ("maria", "peterson"), any name or unknown
//    word after a naming phrase ("my name is", "this is", "speaking with"),
//    the words between a house number and a street suffix ("1200 market
//    street") and the place words after it ("san francisco");
//  * names from the words alone: two to four words in a row of which one
//    is in no word or name list ("tomasz wierzbicki") or with a middle
//    initial ("ravil g yefimov"), and names spelled letter by letter after
//    a name or "spelled" ("c r y s t a l"), are kept as name candidates
//    (names()); a North American number said digit by digit is grouped
//    3-3-4 ("415 555 0132").
//
// Capitalising keeps byte offsets; number runs change them, so the view
// keeps the replaced runs to map findings back to the original text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::analysis::pii {

class NameGazetteer;

class SpeechView {
 public:
  // Builds the view of `text`; returns false (and leaves the view unusable)
  // when the text needs none: it has capitals and no spoken-number run.
  bool Build(std::string_view text, const NameGazetteer& names);

  const std::string& text() const { return text_; }
  // After Build returned false: whether the text is lower-case ASCII with no
  // digit (of the written scanners only e-mail and IPv6 can match it).
  bool plain_lower() const { return plain_lower_; }
  // Maps a [start, end) span of the view back to the original text; a span
  // touching a replaced run covers the whole run.
  size_t OriginalStart(size_t view_pos) const;
  size_t OriginalEnd(size_t view_pos) const;
  // Names found from the words alone in lower-case text ([start, end) of
  // the view): PiiDetector reports them as PERSON_NAME candidates.
  const std::vector<std::pair<uint32_t, uint32_t>>& names() const { return names_; }

 private:
  struct Run {
    uint32_t view_start, view_end;  // the digits in the view
    uint32_t orig_start, orig_end;  // the words in the original
  };
  std::string text_;
  std::vector<Run> runs_;
  std::vector<std::pair<uint32_t, uint32_t>> names_;
  bool plain_lower_ = false;
};

// The digits a run of number words stands for, or "" when `words` is not
// one: {"four", "one", "five"} -> "415", {"twelve", "hundred"} -> "1200",
// {"one", "hundred", "and", "five"} -> "105", {"double", "five"} -> "55".
// Exposed for tests.
std::string SpokenDigits(const std::vector<std::string_view>& words);

}  // namespace parley::analysis::pii
