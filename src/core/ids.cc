#include "core/ids.h"

#include <random>

namespace parley::core {

std::string NewId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // [10^18, 2^63): always 19 digits, never a leading zero.
  std::uniform_int_distribution<uint64_t> dist(1'000'000'000'000'000'000ULL,
                                               9'223'372'036'854'775'807ULL);
  return std::to_string(dist(rng));
}

bool IsValidClientId(std::string_view id) {
  if (id.size() < 4 || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace parley::core
