#include "core/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"

namespace parley::core {
namespace {
constexpr size_t kMacBytes = 16;
constexpr char kVersion = '1';
}  // namespace

std::string PageTokenCodec::Mac(std::string_view payload, std::string_view fingerprint) const {
  std::string data = absl::StrCat(Sv(payload), "\x1f", Sv(fingerprint));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), kMacBytes);
}

std::string PageTokenCodec::Encode(const ListCursor& cursor,
                                   std::string_view query_fingerprint) const {
  std::string payload = absl::StrCat(std::string(1, kVersion), cursor.sort_value, "\x1e", cursor.id);
  std::string raw = absl::StrCat(payload, Mac(payload, query_fingerprint));
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<ListCursor> PageTokenCodec::Decode(std::string_view token,
                                                  std::string_view query_fingerprint) const {
  auto bad = [] {
    return absl::InvalidArgumentError(
        "Invalid page_token: it is malformed or was not issued for this request "
        "(filter and order_by must match the request that returned it)");
  };
  std::string raw;
  if (!absl::WebSafeBase64Unescape(Sv(token), &raw) || raw.size() <= kMacBytes + 1) return bad();
  std::string_view payload(raw.data(), raw.size() - kMacBytes);
  std::string_view mac(raw.data() + payload.size(), kMacBytes);
  std::string expected = Mac(payload, query_fingerprint);
  if (CRYPTO_memcmp(expected.data(), mac.data(), kMacBytes) != 0) return bad();
  if (payload[0] != kVersion) return bad();
  payload.remove_prefix(1);
  size_t sep = payload.find('\x1e');
  if (sep == std::string_view::npos) return bad();
  ListCursor cursor;
  if (!absl::SimpleAtoi(Sv(payload.substr(0, sep)), &cursor.sort_value)) return bad();
  cursor.id = std::string(payload.substr(sep + 1));
  return cursor;
}

}  // namespace parley::core
