// Test helpers shared by the PII tests: one detector per process, and
// findings as "TYPE:text" strings for readable expectations.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analysis/pii/pii_detector.h"

namespace parley::analysis::pii {

inline const PiiDetector& SharedDetector() {
  static const PiiDetector* d = new PiiDetector();
  return *d;
}

// "PHONE_NUMBER:415 555 0132" for each finding in `text`.
inline std::vector<std::string> TypedSpans(std::string_view text,
                                           const std::vector<Finding>& found) {
  std::vector<std::string> out;
  for (const Finding& f : found) {
    out.push_back(std::string(InfoTypeName(f.type)) + ":" +
                  std::string(text.substr(f.start, f.end - f.start)));
  }
  return out;
}

}  // namespace parley::analysis::pii
