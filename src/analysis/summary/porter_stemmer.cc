#include "analysis/summary/porter_stemmer.h"

#include <cstddef>

namespace parley::analysis::summary {
namespace {

// The word being stemmed: w[0, k) is the current word; suffix tests set j,
// the end of the stem that precedes the suffix.
class Stemmer {
 public:
  explicit Stemmer(std::string* w) : w_(*w), k_(w->size()) {}

  void Run() {
    Step1ab();
    if (k_ > 1) {
      Step1c();
      Step2();
      Step3();
      Step4();
      Step5();
    }
    w_.resize(k_);
  }

 private:
  bool Consonant(size_t i) const {
    switch (w_[i]) {
      case 'a': case 'e': case 'i': case 'o': case 'u':
        return false;
      case 'y':
        return i == 0 ? true : !Consonant(i - 1);
      default:
        return true;
    }
  }

  // m: the number of vowel-consonant sequences in w[0, j).
  int Measure() const {
    int n = 0;
    size_t i = 0;
    while (true) {
      if (i >= j_) return n;
      if (!Consonant(i)) break;
      ++i;
    }
    ++i;
    while (true) {
      while (true) {
        if (i >= j_) return n;
        if (Consonant(i)) break;
        ++i;
      }
      ++i;
      ++n;
      while (true) {
        if (i >= j_) return n;
        if (!Consonant(i)) break;
        ++i;
      }
      ++i;
    }
  }

  bool VowelInStem() const {
    for (size_t i = 0; i < j_; ++i) {
      if (!Consonant(i)) return true;
    }
    return false;
  }

  // w[i-1, i] is a double consonant.
  bool DoubleConsonant(size_t i) const {
    return i >= 2 && w_[i - 1] == w_[i - 2] && Consonant(i - 1);
  }

  // w[i-3, i) is consonant-vowel-consonant and its last letter not w, x, y.
  bool Cvc(size_t i) const {
    if (i < 3 || !Consonant(i - 1) || Consonant(i - 2) || !Consonant(i - 3)) return false;
    const char c = w_[i - 1];
    return c != 'w' && c != 'x' && c != 'y';
  }

  bool Ends(std::string_view s) {
    if (s.size() > k_) return false;
    if (std::string_view(w_).substr(k_ - s.size(), s.size()) != s) return false;
    j_ = k_ - s.size();
    return true;
  }

  // Replaces the suffix after j with s.
  void SetTo(std::string_view s) {
    w_.replace(j_, k_ - j_, s);
    k_ = j_ + s.size();
  }

  void ReplaceIfMeasured(std::string_view s) {
    if (Measure() > 0) SetTo(s);
  }

  void Step1ab() {
    if (k_ <= 2) return;
    if (w_[k_ - 1] == 's') {
      if (Ends("sses")) {
        k_ -= 2;
      } else if (Ends("ies")) {
        SetTo("i");
      } else if (k_ >= 2 && w_[k_ - 2] != 's') {
        --k_;
      }
    }
    if (Ends("eed")) {
      if (Measure() > 0) --k_;
    } else if ((Ends("ed") || Ends("ing")) && VowelInStem()) {
      k_ = j_;
      if (Ends("at")) {
        SetTo("ate");
      } else if (Ends("bl")) {
        SetTo("ble");
      } else if (Ends("iz")) {
        SetTo("ize");
      } else if (DoubleConsonant(k_)) {
        const char c = w_[k_ - 1];
        if (c != 'l' && c != 's' && c != 'z') --k_;
      } else {
        j_ = k_;
        if (Measure() == 1 && Cvc(k_)) SetTo("e");
      }
    }
  }

  void Step1c() {
    if (Ends("y") && VowelInStem()) w_[k_ - 1] = 'i';
  }

  // The first suffix of `rules` that ends the word is the only one tried.
  struct Rule {
    std::string_view suffix, replacement;
  };
  template <size_t N>
  void ApplyFirst(const Rule (&rules)[N]) {
    for (const Rule& r : rules) {
      if (Ends(r.suffix)) {
        ReplaceIfMeasured(r.replacement);
        return;
      }
    }
  }

  void Step2() {
    static constexpr Rule kRules[] = {
        {"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"},   {"anci", "ance"},
        {"izer", "ize"},    {"abli", "able"},   {"alli", "al"},     {"entli", "ent"},
        {"eli", "e"},       {"ousli", "ous"},   {"ization", "ize"}, {"ation", "ate"},
        {"ator", "ate"},    {"alism", "al"},    {"iveness", "ive"}, {"fulness", "ful"},
        {"ousness", "ous"}, {"aliti", "al"},    {"iviti", "ive"},   {"biliti", "ble"},
    };
    ApplyFirst(kRules);
  }

  void Step3() {
    static constexpr Rule kRules[] = {
        {"icate", "ic"}, {"ative", ""}, {"alize", "al"}, {"iciti", "ic"},
        {"ical", "ic"},  {"ful", ""},   {"ness", ""},
    };
    ApplyFirst(kRules);
  }

  void Step4() {
    static constexpr std::string_view kSuffixes[] = {
        "al",  "ance", "ence", "er",  "ic",  "able", "ible", "ant", "ement", "ment",
        "ent", "ion",  "ou",   "ism", "ate", "iti",  "ous",  "ive", "ize"};
    for (std::string_view s : kSuffixes) {
      if (!Ends(s)) continue;
      if (s == "ion" && !(j_ > 0 && (w_[j_ - 1] == 's' || w_[j_ - 1] == 't'))) return;
      if (Measure() > 1) k_ = j_;
      return;
    }
  }

  void Step5() {
    j_ = k_;
    if (w_[k_ - 1] == 'e') {
      j_ = k_ - 1;
      const int m = Measure();
      if (m > 1 || (m == 1 && !Cvc(k_ - 1))) --k_;
    }
    j_ = k_;
    if (w_[k_ - 1] == 'l' && DoubleConsonant(k_) && Measure() > 1) --k_;
  }

  std::string& w_;
  size_t k_;
  size_t j_ = 0;
};

}  // namespace

void PorterStem(std::string_view word, std::string* out) {
  out->assign(word);
  if (word.size() <= 2) return;
  for (char c : word) {
    if (c < 'a' || c > 'z') return;
  }
  Stemmer(out).Run();
}

}  // namespace parley::analysis::summary
