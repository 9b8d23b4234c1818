// Store: durable storage of conversations (and, later, analyses and operations).
//
// Contracts shared by every backend (SQLite, PostgreSQL):
// - Every method is thread-safe; any number of threads may call at once.
// - A method that returns OK for a write has made the write durable: it
//   survives a crash of the process (kill -9) or of the machine.
// - A write that returns an error has changed nothing.
// - No method ever returns or touches data of a tenant other than the one named.
// - Errors use canonical codes: NOT_FOUND (no such row), ALREADY_EXISTS
//   (duplicate id on create), ABORTED (a conditional write lost a race),
//   INVALID_ARGUMENT (a query the backend cannot answer), INTERNAL/UNAVAILABLE
//   (the backend failed; nothing was written).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/conversation_query.h"
#include "parley/conversation.pb.h"

namespace parley::store {

// Precomputed renderings of a conversation (e.g. a dialect's JSON of it),
// by name. They are stored with the conversation, replaced by every write that
// gives them and dropped by every write that does not, so a stored view is
// never stale.
using ConversationViews = std::vector<std::pair<std::string, std::string>>;

struct ConversationPage {
  std::vector<core::Conversation> conversations;
  // Set when more rows follow the last one returned.
  std::optional<core::ListCursor> next;
};

class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Inserts `conversation` keyed by (tenant, id). A conversation with that
  // key that expired at or before conversation.create_time_us is gone for
  // every reader, so it is replaced (deleted with everything it has, in the
  // same transaction). ALREADY_EXISTS if a live one has the key.
  virtual absl::Status CreateConversation(const core::Conversation& conversation,
                                          const ConversationViews& views) = 0;
  absl::Status CreateConversation(const core::Conversation& conversation) {
    return CreateConversation(conversation, {});
  }

  // CreateConversation without waiting: `done` is called exactly once, with
  // what CreateConversation would return, once the write is durable or has
  // failed — on another thread (a backend's writer) or before this returns.
  // `conversation` and `views` must stay alive and unchanged until then.
  // `done` must be quick: it may hold up other writes.
  using WriteDone = absl::AnyInvocable<void(absl::Status)>;
  virtual void CreateConversationAsync(const core::Conversation& conversation,
                                       const ConversationViews& views, WriteDone done) {
    done(CreateConversation(conversation, views));
  }

  // Returns the conversation (tenant, id). NOT_FOUND if absent or if its
  // expire time is at or before `now_us` (0 = do not check expiry).
  virtual absl::StatusOr<core::Conversation> GetConversation(
      std::string_view tenant, std::string_view id, int64_t now_us) = 0;

  // The same as GetConversation, parsing into `*out` (which the caller may
  // allocate on an arena); `*out` is unspecified on error.
  virtual absl::Status ReadConversation(std::string_view tenant, std::string_view id,
                                        int64_t now_us, core::Conversation* out) = 0;

  // Replaces the stored conversation with the same (tenant, id), provided its
  // stored update_time_us equals `expected_update_time_us` (optimistic
  // concurrency: ABORTED otherwise). NOT_FOUND if absent.
  virtual absl::Status UpdateConversation(const core::Conversation& conversation,
                                          int64_t expected_update_time_us,
                                          const ConversationViews& views) = 0;
  absl::Status UpdateConversation(const core::Conversation& conversation,
                                  int64_t expected_update_time_us) {
    return UpdateConversation(conversation, expected_update_time_us, {});
  }

  // Reads the stored view `view` of (tenant, id) into `*body` (left empty
  // when no such view is stored) and the conversation's location into
  // `*location`. NOT_FOUND as GetConversation.
  virtual absl::Status ReadConversationView(std::string_view tenant, std::string_view id,
                                            int64_t now_us, std::string_view view,
                                            std::string* location, std::string* body) = 0;

  // Deletes (tenant, id). If it has analyses, deletes them too when `force`,
  // else returns FAILED_PRECONDITION and deletes nothing. NOT_FOUND if absent.
  virtual absl::Status DeleteConversation(std::string_view tenant, std::string_view id,
                                          bool force) = 0;

  // Stores a finished analysis of (analysis.tenant, analysis.conversation_id)
  // and points the conversation's latest_analysis_id at it when it is the
  // newest (dropping the conversation's stored views, which show it).
  // NOT_FOUND if the conversation is absent.
  virtual absl::Status PutAnalysis(const core::Analysis& analysis) = 0;

  // Returns up to query.page_size conversations matching the query, in its
  // order, ties broken by id in the same direction. Answered from indexes.
  virtual absl::StatusOr<ConversationPage> ListConversations(
      const core::ConversationQuery& query) = 0;

  // Deletes every conversation whose expire time is set and at or before
  // `now_us`; returns how many were deleted.
  virtual absl::StatusOr<int64_t> DeleteExpiredConversations(int64_t now_us) = 0;

  // Returns a value stored under `key` in the store's settings table,
  // creating it with `make_default` first if absent. Used for server secrets
  // (page-token key) that must persist with the data.
  virtual absl::StatusOr<std::string> GetOrCreateSetting(
      std::string_view key, std::string_view default_value) = 0;

  // Flushes and closes. After Close every method returns UNAVAILABLE.
  virtual void Close() = 0;
};

// Opens (creating if needed) the SQLite store in directory `data_dir`,
// migrating its schema to the current version.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir);

}  // namespace parley::store
