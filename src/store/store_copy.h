// Copying everything one store holds into another and checking the copy
// (`parley migrate`, ADR 0034), through the Store interface's Dump / Load
// methods, so that the backends' schemas stay free to differ.
//
// The check reads both stores again, kind by kind (conversations, their
// analyses and views, operations, resources of each kind, the audit log,
// settings), each in key order, pairs the records by key and compares them:
// for each kind it counts the records on both sides and computes a SHA-256
// of their content (deterministic protobuf serialization, every field of a
// record length-prefixed), so the printed checksums of the two sides agree
// exactly when every record arrived unchanged.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/store.h"

namespace parley::store {

struct CopyOptions {
  // Records per Dump page and Load transaction (conversations count with
  // their analyses and views).
  int batch = 256;
  // Called when a kind starts (`total` records to expect, 0 when unknown)
  // and after each batch with how many of that kind are done; may be empty.
  std::function<void(std::string_view kind, int64_t total)> on_kind;
  std::function<void(int64_t done)> on_batch;
  // Resuming an interrupted copy (`parley migrate` found its mark, see
  // kCopyMarkKey, in the destination): records whose keys the destination
  // holds already are not loaded again, and as many of the source's audit
  // entries as the destination holds after seq `to_audit_after` are taken
  // as copied (the log is copied in order, each batch one transaction).
  bool resume = false;
  int64_t to_audit_after = 0;
  // Settings the destination holds keep their values; only the others are
  // copied. For a destination that held data before the copy: the servers
  // running on it keep the page-token key they read at start.
  bool keep_destination_settings = false;
};

// The setting a copy writes into its destination before its first record
// and removes once every record is in: it names the source (CopyMark), so
// that running the same copy again resumes it. Never copied nor compared.
inline constexpr std::string_view kCopyMarkKey = "migrate.unfinished_copy";

// A store's identity for the mark: the SHA-256 (hex) of its settings (the
// page-token key is random per store), or "" when it has none.
absl::StatusOr<std::string> SettingsDigest(Store& store);

// The value of kCopyMarkKey in `store`, or "" when it has none.
absl::StatusOr<std::string> CopyMark(Store& store);

// The kinds of records `store` holds, besides settings (which every server
// creates at start): "conversations", "operations", "resources",
// "audit_log"; empty when the store is empty.
absl::StatusOr<std::vector<std::string>> NonEmptyKinds(Store& store);

// The highest audit seq of `store` (0 when its log is empty).
absl::StatusOr<int64_t> LastAuditSeq(Store& store);

// Copies every record of `from` into `to`; stops at the first error (the
// records of earlier batches stay in `to`; options.resume continues). Returns how many of each kind it
// copied.
absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> CopyStore(Store& from, Store& to,
                                                                       const CopyOptions& options);

// One kind of record compared on both sides.
struct KindCheck {
  std::string kind;             // "conversations", "resources/api_key", ...
  int64_t source_count = 0;
  int64_t destination_count = 0;  // records of the destination paired with the source's
  std::string source_sha256;      // hex
  std::string destination_sha256;
  // Destination records with keys the source lacks (audit: entries at or
  // before the mark given to VerifyCopy).
  int64_t destination_only = 0;
  // The first record that differs, when one does ("missing: KEY" or
  // "differs: KEY").
  std::string first_difference;
  bool matches() const {
    return source_count == destination_count && source_sha256 == destination_sha256 &&
           first_difference.empty();
  }
};

// Compares `from` with `to` kind by kind. The audit log of `to` is compared
// from the entry after seq `to_audit_after` (LastAuditSeq before the copy).
// Settings of `to` that `from` lacks are counted in destination_only.
absl::StatusOr<std::vector<KindCheck>> VerifyCopy(Store& from, Store& to, int64_t to_audit_after,
                                                  const CopyOptions& options);

}  // namespace parley::store
