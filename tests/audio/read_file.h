// A whole file's bytes (recordings for the audio tests); empty when unreadable.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace parley::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace parley::testing
