#include "core/ids.h"

#include <atomic>
#include <chrono>

#include <openssl/rand.h>

namespace parley::core {

std::string NewId() {
  // 10^18 + (microseconds since 2024-01-01 << 12), made strictly increasing
  // within the process: 19 digits, never a leading zero, unique, and in
  // creation order, so that the store's (tenant, id) indexes grow at their
  // end instead of at a random page per insert. Good until about 2087.
  //
  // Several processes may write one store (PostgreSQL nodes, loaders): each
  // starts its ids at its own random point of the 12 low bits, so two of
  // them collide only when they draw ids in the same microsecond *and* their
  // points (plus the ids each drew in that microsecond) meet: about 1 in
  // 4,096 such coincidences instead of every one.
  constexpr uint64_t kBase = 1'000'000'000'000'000'000ULL;
  constexpr int64_t kEpochUs = 1'704'067'200'000'000;  // 2024-01-01T00:00:00Z
  static std::atomic<uint64_t> last{0};
  static const uint64_t salt = [] {
    auto bytes = SecureRandomBytes(2);
    if (!bytes.ok()) return uint64_t{0};
    return (static_cast<uint64_t>(static_cast<unsigned char>((*bytes)[0])) << 8 |
            static_cast<unsigned char>((*bytes)[1])) & 0xfff;
  }();
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const uint64_t candidate = kBase + (static_cast<uint64_t>(now_us - kEpochUs) << 12) + salt;
  uint64_t prev = last.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    next = candidate > prev ? candidate : prev + 1;
  } while (!last.compare_exchange_weak(prev, next, std::memory_order_relaxed));
  return std::to_string(next);
}

absl::StatusOr<std::string> SecureRandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("no random bytes from OpenSSL");
  }
  return out;
}

absl::StatusOr<std::string> SecureRandomHex(size_t n) {
  auto raw = SecureRandomBytes(n);
  if (!raw.ok()) return raw.status();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned char c : *raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

bool IsValidClientId(std::string_view id) {
  if (id.empty() || id.size() > 128 || !IsAlnum(id[0])) return false;
  for (char c : id) {
    if (!IsAlnum(c) && c != '_' && c != '.' && c != '~' && c != '-') return false;
  }
  return true;
}

}  // namespace parley::core
