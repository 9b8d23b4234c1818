// Opaque, tamper-evident page tokens (AIP-158).
//
// A token carries the cursor where the previous page ended and a fingerprint
// of the query it belongs to (tenant, filter, order). It is signed with a key
// kept in the store, so a token that was altered, or that is replayed with a
// different query, is refused.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/conversation_query.h"

namespace parley::core {

class PageTokenCodec {
 public:
  // `key`: secret bytes (at least 16).
  explicit PageTokenCodec(std::string key) : key_(std::move(key)) {}

  std::string Encode(const ListCursor& cursor, std::string_view query_fingerprint) const;

  // INVALID_ARGUMENT if `token` is malformed, was not made by this key, or was
  // made for a different query fingerprint.
  absl::StatusOr<ListCursor> Decode(std::string_view token,
                                    std::string_view query_fingerprint) const;

 private:
  std::string Mac(std::string_view payload, std::string_view fingerprint) const;
  std::string key_;
};

}  // namespace parley::core
