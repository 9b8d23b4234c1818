// Build-time tool: turns the lexicons installed from npm into a C++ source
// file, so that the server carries its sentiment lexicon inside the binary
// and reads no file at run time.
//
//   lexicon_gen VADER_LEXICON_TXT EMOJI_EMOTION_INDEX_JS OUT_CC
//
// VADER_LEXICON_TXT is vader-sentiment's vader_lexicon.txt
// (`token<TAB>mean<TAB>stddev<TAB>[ratings]`, one a line). Tokens are
// lower-cased (where "X" and "x" both appear, the lower-case line wins) and
// purely numeric tokens ("86", "187": chat slang) are dropped, because in
// contact-center text numbers are amounts, ids and dates. Multi-word tokens
// ("fed up") are kept; the scorer reads them as phrases.
//
// EMOJI_EMOTION_INDEX_JS is emoji-emotion's index.js, a list of
// `{name, emoji, polarity}` objects with polarity in [-5, 5]. The emoji is
// written without variation selectors (U+FE0F), as the scorer looks it up.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

bool ReadFile(const char* path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// A C++ string literal for arbitrary bytes: printable ASCII as is (minus the
// characters that need escaping), everything else as a 3-digit octal escape,
// which cannot swallow a following digit the way \x can.
std::string Literal(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    }
  }
  return out + "\"";
}

bool AllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!std::isdigit(c)) return false;
  }
  return true;
}

std::string Lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string StripVariationSelectors(const std::string& s) {
  static const std::string kFe0f = "\xEF\xB8\x8F";
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, kFe0f.size(), kFe0f) == 0) {
      i += kFe0f.size();
    } else {
      out += s[i++];
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: lexicon_gen VADER_LEXICON_TXT EMOJI_EMOTION_INDEX_JS OUT_CC\n";
    return 2;
  }
  std::string vader, emoji;
  if (!ReadFile(argv[1], &vader)) {
    std::cerr << "lexicon_gen: cannot read " << argv[1] << " (run scripts/install-deps.sh)\n";
    return 1;
  }
  if (!ReadFile(argv[2], &emoji)) {
    std::cerr << "lexicon_gen: cannot read " << argv[2] << " (run scripts/install-deps.sh)\n";
    return 1;
  }

  // token -> (valence, came from an already lower-case line)
  std::map<std::string, std::pair<std::string, bool>> words;
  std::istringstream lines(vader);
  std::string line;
  int line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    size_t tab1 = line.find('\t');
    size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab1 == std::string::npos || tab1 == 0) {
      std::cerr << "lexicon_gen: " << argv[1] << ":" << line_no << ": malformed line\n";
      return 1;
    }
    std::string token = line.substr(0, tab1);
    std::string valence = line.substr(tab1 + 1, tab2 == std::string::npos ? std::string::npos : tab2 - tab1 - 1);
    char* end = nullptr;
    std::strtod(valence.c_str(), &end);
    if (valence.empty() || *end != '\0') {
      std::cerr << "lexicon_gen: " << argv[1] << ":" << line_no << ": bad valence '" << valence << "'\n";
      return 1;
    }
    if (AllDigits(token)) continue;
    std::string lower = Lower(token);
    bool was_lower = lower == token;
    auto it = words.find(lower);
    if (it == words.end() || (was_lower && !it->second.second)) words[lower] = {valence, was_lower};
  }
  if (words.size() < 1000) {
    std::cerr << "lexicon_gen: " << argv[1] << " has only " << words.size() << " entries\n";
    return 1;
  }

  std::map<std::string, int> emojis;
  const std::string kEmojiKey = "emoji: '";
  const std::string kPolarityKey = "polarity: ";
  for (size_t pos = emoji.find(kEmojiKey); pos != std::string::npos; pos = emoji.find(kEmojiKey, pos)) {
    pos += kEmojiKey.size();
    size_t end = emoji.find('\'', pos);
    size_t pol = emoji.find(kPolarityKey, pos);
    if (end == std::string::npos || pol == std::string::npos) break;
    std::string e = StripVariationSelectors(emoji.substr(pos, end - pos));
    int polarity = std::atoi(emoji.c_str() + pol + kPolarityKey.size());
    if (!e.empty()) emojis[e] = polarity;
    pos = end;
  }
  if (emojis.size() < 50) {
    std::cerr << "lexicon_gen: " << argv[2] << " has only " << emojis.size() << " emoji\n";
    return 1;
  }

  std::ostringstream out;
  out << "// Generated by lexicon_gen from the npm packages vader-sentiment (Apache-2.0;\n"
         "// the lexicon itself is MIT, C.J. Hutto) and emoji-emotion (MIT, Titus Wormer).\n"
         "// Do not edit.\n"
         "#include \"analysis/sentiment/lexicon_data.h\"\n\n"
         "namespace parley::analysis::sentiment_data {\n\n"
         "const LexiconEntry kVaderLexicon[] = {\n";
  for (const auto& [token, v] : words) out << "    {" << Literal(token) << ", " << v.first << "f},\n";
  out << "};\nconst size_t kVaderLexiconSize = sizeof(kVaderLexicon) / sizeof(kVaderLexicon[0]);\n\n"
         "const LexiconEntry kEmojiPolarity[] = {\n";
  for (const auto& [e, p] : emojis) out << "    {" << Literal(e) << ", " << p << ".0f},\n";
  out << "};\nconst size_t kEmojiPolaritySize = sizeof(kEmojiPolarity) / sizeof(kEmojiPolarity[0]);\n\n"
         "}  // namespace parley::analysis::sentiment_data\n";

  std::ofstream f(argv[3], std::ios::binary | std::ios::trunc);
  f << out.str();
  if (!f.good()) {
    std::cerr << "lexicon_gen: cannot write " << argv[3] << "\n";
    return 1;
  }
  return 0;
}
