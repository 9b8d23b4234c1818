// Small readers shared by the quality evaluations in bench/*/eval_*.cc.
// Header-only: each evaluation is one program with no library of its own.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rapidjson/document.h"

namespace parley::bench {

// Byte offset of each code point of UTF-8 `s`, then s.size(): maps the
// code-point spans of a data set to byte spans.
inline std::vector<size_t> CodePointOffsets(const std::string& s) {
  std::vector<size_t> offsets;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offsets.push_back(i);
  }
  offsets.push_back(s.size());
  return offsets;
}

// Reads the JSON file `path` whose top level is an array into *doc. False if
// the file cannot be read; a file that is not a JSON array ends the program
// with a message naming `tool` (the data set is broken, not missing).
inline bool ReadJsonArray(const std::string& path, const char* tool, rapidjson::Document* doc) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string json = buf.str();
  doc->Parse(json.c_str(), json.size());
  if (doc->HasParseError() || !doc->IsArray()) {
    std::fprintf(stderr, "%s: %s is not a JSON array\n", tool, path.c_str());
    std::exit(1);
  }
  return true;
}

}  // namespace parley::bench
