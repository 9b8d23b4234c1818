// LiveConversations: the parsed conversations ConversationService read or
// wrote lately, kept in memory so that a call on a live conversation (a
// message appended, a session turn) neither parses the stored conversation
// nor copies it: the write mutates the kept one in place (ADR 0037).
//
// Only over a store that sees every write of its conversations
// (store::Store::NoticeConversationWrites: SQLite, one process): each write
// notice advances the entry's count of notices, and an entry serves only
// while that count is the one it was loaded at. A write through the service
// expects exactly its own notice (one more) and keeps the entry valid;
// any other write (another thread's, an analysis, a delete, a redaction,
// a load) leaves the entry stale and the next use reads the store again.
// A notice races nothing: it comes after the write commits, so a load that
// began before it is refused (the count moved) and one that began after
// read the new body.
//
// Entries are leased one holder at a time (a mutex per conversation): the
// holder reads, loads or writes the conversation; writers of the same
// conversation in this process queue here instead of losing the store's
// optimistic check. Readers get an immutable shared copy (Shared): a writer
// that finds one still held copies the conversation before changing it
// (copy on write), so a reader never sees a change.
//
// Bounded by the conversations' serialized bytes; the least recently used go
// first. Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/transcript.h"
#include "parley/conversation.pb.h"
#include "service/message_facts.h"

namespace parley::service {

class LiveConversations {
  struct Entry;

 public:
  // capacity_bytes: the most serialized bytes kept (a conversation alone
  // larger than a quarter of it is not kept).
  explicit LiveConversations(size_t capacity_bytes);

  // The store's write notice (an empty id: every conversation).
  void Notice(std::string_view tenant, std::string_view scope, std::string_view id);

  // Holds the entry of one conversation: no one else uses it meanwhile.
  class Lease {
   public:
    Lease(Lease&&) = default;
    ~Lease();
    // The kept conversation, valid and not expired at `now_us`; null when
    // none is (then Load one).
    const core::Conversation* Get(int64_t now_us);
    // The conversation kept (null if none), unchecked: only right after
    // Get() or Keep() returned it.
    const core::Conversation* Kept() const { return entry_->conversation.get(); }
    // The notice count to pass to Keep, read BEFORE reading the store.
    uint64_t Notices() const;
    // Keeps `*conversation`, read from the store after Notices() returned
    // `notices`, and returns true; unless a notice came since or it is too
    // large: then returns false and leaves it with the caller.
    bool Keep(std::unique_ptr<core::Conversation>* conversation, uint64_t notices);
    // The kept conversation to change in place (copied first if a reader
    // still holds it); Get() must have returned it.
    core::Conversation* Mutable();
    // After the changed conversation was stored with exactly one write whose
    // notice came after `notices` (from Notices() before the write): keeps it
    // when that notice was the only one, else forgets it. Its size is the
    // one its last serialization cached (the store's).
    void Stored(uint64_t notices);
    // The same after an append whose writer kept the running facts below up
    // to date: the conversation is now `bytes` serialized and its messages
    // span `extent`; the message facts (when built) are advanced by the
    // messages it added (nothing walks the conversation).
    void Stored(uint64_t notices, size_t bytes, const core::TranscriptExtent& extent);
    // Running facts of the kept conversation (Get() must be non-null), kept
    // so that an append need not walk it (ADR 0041): its serialized size
    // and its messages' extent (core::TranscriptExtent).
    size_t Bytes() const;
    const core::TranscriptExtent& Extent() const;
    // The facts an append of messages checks (MessageFacts) of the kept
    // conversation (Get() must be non-null): computed at the first call after
    // it was loaded or wholly rewritten, then advanced by each append (ADR
    // 0042).
    const MessageFacts& Facts();
    // The facts if they are kept (for tests), else null.
    const MessageFacts* KeptFacts() const { return entry_->facts.get(); }
    // Forgets the kept conversation (a change failed half-way, or was not
    // stored).
    void Forget();
    // An immutable share of the kept conversation (Get() must be non-null).
    std::shared_ptr<const core::Conversation> Share();

   private:
    friend class LiveConversations;
    Lease(LiveConversations* owner, std::shared_ptr<Entry> entry);
    LiveConversations* owner_;
    std::shared_ptr<Entry> entry_;
  };
  Lease Acquire(std::string_view tenant, std::string_view scope, std::string_view id);

  // Uses served from memory (hits) and conversations read from the store
  // and kept (loads) so far; conversations kept now and their serialized
  // bytes; the most bytes kept (the capacity).
  struct Stats {
    int64_t hits = 0, loads = 0, entries = 0, bytes = 0, capacity = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string key;
    absl::Mutex mu;  // the lease
    std::atomic<uint64_t> notices{0};
    // Guarded by mu (the lease):
    std::shared_ptr<core::Conversation> conversation;
    uint64_t kept_notices = 0;
    size_t size = 0;  // the kept conversation's serialized size
    core::TranscriptExtent extent;  // of its messages
    std::unique_ptr<MessageFacts> facts;  // of its messages; null until asked for
    size_t bytes = 0;  // as last accounted in bytes_
    std::list<Entry*>::iterator lru;  // under map_mu_
    bool listed = false;               // under map_mu_
  };
  // Accounts entry `e`'s new size (0: forgotten) and evicts the least
  // recently used beyond the capacity.
  void Account(Entry* e, size_t bytes);
  // Removes entry `e` if it keeps nothing (a lease ended without keeping).
  void Drop(Entry* e);

  const size_t capacity_;
  mutable absl::Mutex map_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(map_mu_);
  std::list<Entry*> lru_ ABSL_GUARDED_BY(map_mu_);  // most recent first
  size_t bytes_ ABSL_GUARDED_BY(map_mu_) = 0;
  int64_t kept_ ABSL_GUARDED_BY(map_mu_) = 0;  // entries with bytes > 0
  std::atomic<int64_t> hits_{0}, loads_{0};
};

}  // namespace parley::service
