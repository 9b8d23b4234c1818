// ConversationService: the rules every dialect shares for storing
// conversations — ids, times, derived fields, limits, lifecycle. Part of the
// service layer: dialects map their wire resources to core::Conversation and
// call this, and this calls the store; nothing here knows about HTTP or any
// vendor's wire format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/conversation_query.h"
#include "core/page_token.h"
#include "parley/conversation.pb.h"
#include "parley/operation.pb.h"
#include "service/live_conversations.h"
#include "service/message_facts.h"
#include "store/store.h"

namespace parley::service {

using core::Conversation;
using core::ConversationQuery;
using core::PageTokenCodec;

// Limits enforced on every conversation, whichever dialect wrote it.
struct ConversationLimits {
  int max_labels = 20;
  size_t max_label_key_chars = 256;    // Unicode characters
  size_t max_label_value_chars = 256;
  int max_messages = 10'000;
  size_t max_message_text_bytes = 64 * 1024;
  int max_words_per_message = 10'000;
  // The whole conversation as stored (its serialized size), whatever it
  // came from: a request body, a transcript file, an upload, an update
  // (`--max-conversation-mb`). 0: no limit.
  size_t max_conversation_bytes = size_t{32} << 20;
  int default_page_size = 100;
  int max_page_size = 1000;
};

class ConversationService {
 public:
  // `store` must outlive the service. Over a store that sees every write of
  // its conversations (store::Store::NoticeConversationWrites: SQLite) the
  // service keeps the conversations it writes, parsed, up to
  // `live_bytes` of them (serialized; 0: none), so that a write or read of a
  // live conversation neither parses it nor, for a write, copies it
  // (LiveConversations, ADR 0037). Past that size the least recently used
  // go; a call on one of them reads and parses it again, whole (`parley
  // serve --live-cache-mb`; ADR 0051 on choosing the size).
  static constexpr size_t kDefaultLiveBytes = size_t{256} << 20;
  ConversationService(store::Store* store, PageTokenCodec tokens, ConversationLimits limits = {},
                      size_t live_bytes = kDefaultLiveBytes);

  const ConversationLimits& limits() const { return limits_; }
  // The codec of page tokens, for other lists that page the same way.
  const PageTokenCodec& tokens() const { return tokens_; }

  // A view is a rendering of a conversation that a dialect serves often
  // (e.g. its JSON of the whole conversation). Every write through this
  // service renders the registered views and stores them with the
  // conversation, so reads can serve them without decoding and re-encoding.
  // Register views before the service is used; renderers must be thread-safe.
  using ViewRenderer = std::function<std::string(const Conversation&)>;
  void AddView(std::string name, ViewRenderer render);

  // Conversations are keyed by (tenant, scope, id) (ADR 0010); a dialect
  // maps its resource names to that key (Insights: the URL's location is the
  // scope). Reads take the exact key: there is no "any scope" read.

  // The stored view `view` of (tenant, scope, id), or an empty string when
  // none is stored (then the caller renders it itself). NOT_FOUND as Get.
  absl::StatusOr<std::string> ReadView(std::string_view tenant, std::string_view scope,
                                       std::string_view id, std::string_view view);
  // ReadView from the store's memory, without waiting for the database
  // (store::Store::ReadCachedConversationView): false, `done` untouched, when
  // the store keeps no copy; true when it took `done`, which gets the view or
  // nothing (then call ReadView) later, from any thread.
  bool ReadCachedView(std::string_view tenant, std::string_view scope, std::string_view id,
                      std::string_view view, store::Store::CachedViewDone& done);
  // Whether reads wait for a remote database (store::Store::IsRemote).
  bool ReadsAreRemote() const { return store_->IsRemote(); }

  // Validates and stores a new conversation. `conversation.tenant` must be
  // set; an empty id gets a generated one, a given id must follow the core
  // rule (core::IsValidClientId; dialects check their vendor's stricter rule
  // first). Sets create/update times and the derived turn count and
  // duration. Returns the stored conversation. ALREADY_EXISTS on a duplicate
  // (tenant, scope, id).
  // With `with` (not null), that operation is created in the same store
  // transaction: both are stored or neither. It is stored as given, so it
  // can name the conversation only if the caller chose the id.
  absl::StatusOr<Conversation> Create(Conversation conversation,
                                      const core::Operation* with = nullptr);

  // Create without waiting for the store: `done` gets the stored
  // conversation and its rendered views (in AddView order) or the error,
  // exactly once — after the write is durable, on the store's writer thread,
  // or before this returns when the conversation is refused. `done` must be
  // quick (hand heavy work to another thread).
  struct Created {
    Conversation conversation;
    store::ConversationViews views;
  };
  using CreateDone = absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<Created>>)>;
  void CreateAsync(Conversation conversation, CreateDone done);

  // NOT_FOUND unless (tenant, scope, id) exists and is not expired.
  absl::StatusOr<Conversation> Get(std::string_view tenant, std::string_view scope,
                                   std::string_view id);
  // The same, into `*out` (which may live on an arena).
  absl::Status Read(std::string_view tenant, std::string_view scope, std::string_view id,
                    Conversation* out);
  // The same as an immutable share: no copy when the service keeps the
  // conversation (and it then keeps one it had to read). Drop the share
  // before writing the conversation: a write while a share is held copies it.
  absl::StatusOr<std::shared_ptr<const Conversation>> Share(std::string_view tenant,
                                                            std::string_view scope,
                                                            std::string_view id);
  // Whether the service keeps live conversations (then a write's `snapshot`
  // is not needed: the kept one is used).
  bool keeps_live() const { return live_ != nullptr; }
  // The message facts kept with live conversation (tenant, scope, id), if
  // the service keeps it and they were computed (tests compare them with
  // MessageFacts::Of of the stored conversation).
  std::optional<MessageFacts> KeptMessageFacts(std::string_view tenant, std::string_view scope,
                                               std::string_view id);
  LiveConversations::Stats live_stats() const {
    return live_ != nullptr ? live_->stats() : LiveConversations::Stats{};
  }

  struct Page {
    std::vector<Conversation> conversations;
    std::string next_page_token;  // empty on the last page
  };
  // Lists per `query`. `page_token` continues an earlier list and must come
  // from a list with the same `query_fingerprint` (the caller's canonical
  // text of the filter and order); page_size 0 means the default, larger
  // than the maximum is clamped, negative is INVALID_ARGUMENT.
  // `take`, when given, sees each conversation of the page in order (a
  // dialect rendering it, say) and returns false to end the page before that
  // one, which the next page token then starts with; the first conversation
  // is always kept. Dialects bound a response's size with it.
  absl::StatusOr<Page> List(ConversationQuery query, std::string_view page_token,
                            std::string_view query_fingerprint,
                            const std::function<bool(const Conversation&)>& take = nullptr);

  // Visits every conversation `query` matches, in its order, reading
  // query.page_size at a time (from query.after); stops early when `visit`
  // returns false.
  absl::Status ForEach(ConversationQuery query, const std::function<bool(const Conversation&)>& visit);

  // Read-modify-write: loads (tenant, scope, id), calls `mutate` on a copy,
  // checks that immutable fields (tenant, scope, id, medium, create time) were
  // not changed by it, validates, recomputes derived fields and stores the
  // result, retrying if another writer got there first. An error from
  // `mutate` is returned as is and nothing is stored.
  // `scrub` goes to the store with the write (store::ScrubUpdate): its
  // analysis rewrite runs in the same transaction, after the `mutate` of the
  // attempt being stored, and only for an attempt that is stored.
  // `snapshot`, when not null, is a read of (tenant, scope, id) the caller
  // just made: the first attempt starts from it instead of reading again.
  // It needs no care: the store refuses the write if the conversation
  // changed since (its update time is the optimistic check), and the next
  // attempt reads the stored one.
  // `views` says what happens to the registered views (AddView): rendered
  // and stored with the write, or dropped (kDrop) — then ReadView returns
  // none and a reader renders from the conversation until a later write
  // renders them again. Rendering is O(conversation) per write, so writes
  // that come often and are rarely followed by a read of a view (a message
  // appended to a live conversation) drop them.
  enum class Views { kRender, kDrop };
  // The text limit of one message (limits().max_message_text_bytes) applies
  // to the messages `mutate` adds or whose text it changes, so a message
  // stored under a larger per-call limit stays valid: `max_new_text_bytes`,
  // when not 0, is that call's limit instead (a dialect whose vendor allows
  // longer messages, e.g. Dialogflow's 256 KiB text input).
  absl::StatusOr<Conversation> Update(std::string_view tenant, std::string_view scope,
                                      std::string_view id,
                                      const std::function<absl::Status(Conversation&)>& mutate,
                                      const store::ScrubUpdate& scrub = store::ScrubUpdate{},
                                      const Conversation* snapshot = nullptr,
                                      Views views = Views::kRender,
                                      size_t max_new_text_bytes = 0);

  // Update without returning the stored conversation (which costs a copy of
  // it): what a write of a live conversation calls.
  absl::Status Change(std::string_view tenant, std::string_view scope, std::string_view id,
                      const std::function<absl::Status(Conversation&)>& mutate,
                      const store::ScrubUpdate& scrub = store::ScrubUpdate{},
                      const Conversation* snapshot = nullptr, Views views = Views::kRender,
                      size_t max_new_text_bytes = 0);

  // A write that only adds (ADR 0041): `append` reads the conversation as
  // stored (`current`, with `facts`: MessageFacts of its messages) and puts
  // what to add into the empty `tail`; the
  // conversation stored is `current` merged with `tail` (protobuf's
  // MergeFrom: repeated fields get the tail's elements appended, singular
  // fields the tail sets take its value, singular messages are merged), with
  // a new update time and derived fields, checked against every limit (the
  // text limit on the tail's messages). `tail` may not set the name, medium,
  // create or update time, latest analysis, turn count or duration
  // (INVALID_ARGUMENT). An error from `append` is returned as is and
  // nothing is stored; the views are dropped (Views::kDrop). Retries as
  // Update does; `scrub`, `snapshot` and `max_new_text_bytes` as there.
  // On a kept live conversation the call's CPU does not grow with the
  // conversation: the running serialized size is advanced by the tail's,
  // and the store appends the tail's serialization instead of serializing
  // the whole conversation (store::Store::AppendConversation), and `facts`
  // are the ones kept with it, advanced by each append (ADR 0043); otherwise
  // they are computed from `current`.
  using AppendFn = std::function<absl::Status(const Conversation& current, const MessageFacts& facts,
                                              Conversation& tail)>;
  absl::Status Append(std::string_view tenant, std::string_view scope, std::string_view id,
                      const AppendFn& append, const store::ScrubUpdate& scrub = store::ScrubUpdate{},
                      const Conversation* snapshot = nullptr, size_t max_new_text_bytes = 0);

  // Deletes (tenant, scope, id). FAILED_PRECONDITION if it has analyses and
  // !force.
  absl::Status Delete(std::string_view tenant, std::string_view scope, std::string_view id,
                      bool force);

  // Removes conversations whose expire time has passed; returns the count.
  absl::StatusOr<int64_t> SweepExpired();

  // Keys of live assisted conversations (store::Store::ListIdleConversations)
  // of every tenant with no write for `idle_us`, oldest first, at most `limit`.
  absl::StatusOr<std::vector<store::ConversationKey>> ListIdle(int64_t idle_us, int limit);

  // Checks every limit; INVALID_ARGUMENT naming the first one broken. With
  // `before` (the stored conversation being updated), the text limit checks
  // only messages that are new or whose text changed, against
  // `max_new_text_bytes` when not 0 (see Update).
  absl::Status Validate(const Conversation& conversation, const Conversation* before = nullptr,
                        size_t max_new_text_bytes = 0) const;

 private:
  void Derive(Conversation& conversation) const;
  // Checks and completes a new conversation (id, times, derived fields).
  absl::Status PrepareNew(Conversation& conversation) const;
  static absl::Status CreateError(const absl::Status& s, const Conversation& conversation);
  // Stores `created`; an id the service generated that another node took at
  // the same moment (ids are unique within a process) is generated afresh,
  // up to `attempts` times in all.
  void StoreNew(std::unique_ptr<Created> created, int attempts, CreateDone done);
  store::ConversationViews RenderViews(const Conversation& conversation) const;
  // Validate, with `unchanged(i)` telling whether message i's text is as
  // stored (the text limit then does not apply to it).
  // Only messages from `first_message` on are checked one by one; `bytes`
  // (when not 0) is the conversation's serialized size, known to the caller;
  // `labels` false skips the labels (unchanged since they were checked).
  absl::Status ValidateWith(const Conversation& conversation,
                            const std::function<bool(int)>& unchanged, size_t max_new_text_bytes,
                            int first_message = 0, size_t bytes = 0, bool labels = true) const;
  // Sets `*used` and returns OK when the lease holds the conversation (kept
  // before, or read now and kept); `*used` false when it could not be kept;
  // an error (NOT_FOUND, the store's) with `*used` true. `*unkept` (when
  // not null) gets the conversation read but not kept.
  absl::Status LoadKept(LiveConversations::Lease& lease, std::string_view tenant,
                        std::string_view scope, std::string_view id, bool* used,
                        std::unique_ptr<Conversation>* unkept = nullptr);
  // One attempt of Append on the kept conversation (as WriteLive).
  absl::Status AppendLive(std::string_view tenant, std::string_view scope, std::string_view id,
                          const AppendFn& append, const store::ScrubUpdate& scrub,
                          size_t max_new_text_bytes, bool* used);
  // Update and Change: `result`, when not null, gets the stored conversation.
  absl::Status Write(std::string_view tenant, std::string_view scope, std::string_view id,
                     const std::function<absl::Status(Conversation&)>& mutate,
                     const store::ScrubUpdate& scrub, const Conversation* snapshot, Views views,
                     size_t max_new_text_bytes, Conversation* result);
  // One attempt of Write on the kept conversation, changed in place: OK,
  // ABORTED (another writer came first: try again), or the error to return.
  // `*used` is false when no conversation could be kept (then write the
  // plain way).
  absl::Status WriteLive(std::string_view tenant, std::string_view scope, std::string_view id,
                         const std::function<absl::Status(Conversation&)>& mutate,
                         const store::ScrubUpdate& scrub, Views views, size_t max_new_text_bytes,
                         Conversation* result, bool* used);

  store::Store* store_;
  PageTokenCodec tokens_;
  ConversationLimits limits_;
  std::vector<std::pair<std::string, ViewRenderer>> views_;
  // Null unless the store notices every write; shared with the store's
  // notice, which may outlive the service.
  std::shared_ptr<LiveConversations> live_;
};

}  // namespace parley::service
