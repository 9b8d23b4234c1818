#include "analysis/pii/name_lists.h"

#include "analysis/pii/scan_util.h"

namespace parley::analysis::pii {

const NameGazetteer& NameGazetteer::Default() {
  static const NameGazetteer* gazetteer = new NameGazetteer(kNameListData);
  return *gazetteer;
}

NameGazetteer::NameGazetteer(std::string_view data) {
  flags_.reserve(kNameListSize > 0 ? static_cast<size_t>(kNameListSize) : 0);
  size_t i = 0;
  while (i < data.size()) {
    size_t eol = data.find('\n', i);
    if (eol == std::string_view::npos) eol = data.size();
    std::string_view line = data.substr(i, eol - i);
    i = eol + 1;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos || tab + 1 >= line.size()) continue;
    uint8_t f = 0;
    for (char c : line.substr(0, tab)) {
      if (c == 'F') f |= kFirstName;
      if (c == 'L') f |= kLastName;
      if (c == 'C') f |= kCommonWord;
      if (c == 'P') f |= kPlace;
      if (c == 'W') f |= kProperNoun;
    }
    std::string_view name = line.substr(tab + 1);
    flags_[absl::string_view(name.data(), name.size())] |= f;
  }
  bloom_.assign(kBloomBits / 64, 0);
  known_bloom_.assign(kBloomBits / 64, 0);
  for (const auto& [token, f] : flags_) {
    const std::string_view t(token.data(), token.size());
    if ((f & (kFirstName | kLastName)) && !(f & (kCommonWord | kPlace))) BloomAdd(t, &bloom_);
    BloomAdd(t, &known_bloom_);
  }
}

uint64_t NameGazetteer::BloomHash(std::string_view lower_word) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : lower_word) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h ^ (h >> 29);
}

void NameGazetteer::BloomAdd(std::string_view token, std::vector<uint64_t>* bloom) {
  if (token.empty() || static_cast<uint8_t>(token[0]) >= 0x80 || token.size() > 32) return;
  char buf[32];
  for (size_t k = 0; k < token.size(); ++k) buf[k] = ToLowerAscii(token[k]);
  const uint64_t h = BloomHash(std::string_view(buf, token.size()));
  for (uint64_t bit : {h & (kBloomBits - 1), (h >> 32) & (kBloomBits - 1)}) {
    (*bloom)[bit / 64] |= uint64_t{1} << (bit % 64);
  }
}

bool NameGazetteer::BloomHas(std::string_view lower_word, const std::vector<uint64_t>& bloom) {
  if (lower_word.empty() || static_cast<uint8_t>(lower_word[0]) >= 0x80) return true;
  const uint64_t h = BloomHash(lower_word);
  for (uint64_t bit : {h & (kBloomBits - 1), (h >> 32) & (kBloomBits - 1)}) {
    if (!(bloom[bit / 64] & (uint64_t{1} << (bit % 64)))) return false;
  }
  return true;
}

bool NameGazetteer::MaybeRareName(std::string_view lower_word) const {
  return BloomHas(lower_word, bloom_);
}

bool NameGazetteer::MaybeKnown(std::string_view lower_word) const {
  return BloomHas(lower_word, known_bloom_);
}

uint8_t NameGazetteer::BloomBits(std::string_view lower_word) const {
  if (lower_word.empty() || static_cast<uint8_t>(lower_word[0]) >= 0x80) {
    return kMaybeRareName | kMaybeKnown;
  }
  const uint64_t h = BloomHash(lower_word);
  const uint64_t a = h & (kBloomBits - 1), b = (h >> 32) & (kBloomBits - 1);
  auto has = [&](const std::vector<uint64_t>& bloom) {
    return (bloom[a / 64] >> (a % 64) & 1) && (bloom[b / 64] >> (b % 64) & 1);
  };
  return (has(bloom_) ? kMaybeRareName : 0) | (has(known_bloom_) ? kMaybeKnown : 0);
}

uint8_t NameGazetteer::Lookup(std::string_view token) const {
  return LookupAll(token) & ~kProperNoun;
}

uint8_t NameGazetteer::LookupAll(std::string_view token) const {
  auto it = flags_.find(absl::string_view(token.data(), token.size()));
  if (it != flags_.end()) return it->second;
  // "ANNA" -> "Anna" (ASCII only; longer tokens are not names).
  char buf[32];
  if (token.size() < 2 || token.size() > sizeof(buf)) return 0;
  for (size_t k = 0; k < token.size(); ++k) {
    char c = token[k];
    if (!IsAsciiAlpha(c) && c != '-' && c != '\'') return 0;
    buf[k] = k == 0 ? c : ToLowerAscii(c);
  }
  if (std::string_view(buf, token.size()) == token) return 0;
  it = flags_.find(absl::string_view(buf, token.size()));
  return it == flags_.end() ? 0 : it->second;
}

}  // namespace parley::analysis::pii
