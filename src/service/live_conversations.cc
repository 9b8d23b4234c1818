// See live_conversations.h.
#include "service/live_conversations.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"

namespace parley::service {

namespace {

core::TranscriptExtent Walk(const core::Conversation& c) {
  core::TranscriptExtent extent;
  for (const core::Message& m : c.messages()) extent.Add(m);
  return extent;
}

std::string KeyOf(std::string_view tenant, std::string_view scope, std::string_view id) {
  return absl::StrCat(Sv(tenant), "\x1f", Sv(scope), "\x1f", Sv(id));
}

}  // namespace

LiveConversations::LiveConversations(size_t capacity_bytes) : capacity_(capacity_bytes) {}

void LiveConversations::Notice(std::string_view tenant, std::string_view scope, std::string_view id) {
  absl::MutexLock lock(&map_mu_);
  if (id.empty()) {
    for (auto& [key, e] : entries_) e->notices.fetch_add(1, std::memory_order_acq_rel);
    return;
  }
  auto found = entries_.find(KeyOf(tenant, scope, id));
  if (found != entries_.end()) found->second->notices.fetch_add(1, std::memory_order_acq_rel);
}

LiveConversations::Lease LiveConversations::Acquire(std::string_view tenant, std::string_view scope,
                                                    std::string_view id) {
  std::string key = KeyOf(tenant, scope, id);
  std::shared_ptr<Entry> entry;
  {
    absl::MutexLock lock(&map_mu_);
    auto [it, added] = entries_.try_emplace(key);
    if (added) {
      it->second = std::make_shared<Entry>();
      it->second->key = std::move(key);
      lru_.push_front(it->second.get());
      it->second->lru = lru_.begin();
      it->second->listed = true;
    } else {
      lru_.splice(lru_.begin(), lru_, it->second->lru);
    }
    entry = it->second;
  }
  return Lease(this, std::move(entry));
}

void LiveConversations::Account(Entry* e, size_t bytes) {
  // The evicted entries no lease holds are destroyed, with the parsed
  // conversations they keep, after the map's lock is released (every
  // Acquire takes it; a long conversation takes a millisecond to free).
  std::vector<std::shared_ptr<Entry>> evicted;
  absl::MutexLock lock(&map_mu_);
  if (!e->listed) return;  // evicted while leased: no longer counted
  bytes_ = bytes_ - e->bytes + bytes;
  kept_ += (bytes > 0) - (e->bytes > 0);
  e->bytes = bytes;
  // Evicts from the least recently used end; never the entry just used (it
  // is at the front unless others were used since).
  while (bytes_ > capacity_ && !lru_.empty() && lru_.back() != e) {
    Entry* victim = lru_.back();
    lru_.pop_back();
    victim->listed = false;
    kept_ -= victim->bytes > 0;
    bytes_ -= victim->bytes;
    victim->bytes = 0;
    if (auto it = entries_.find(victim->key); it != entries_.end()) {
      evicted.push_back(std::move(it->second));  // a holder keeps its lease (shared_ptr)
      entries_.erase(it);
    }
  }
}

void LiveConversations::Drop(Entry* e) {
  absl::MutexLock lock(&map_mu_);
  // Another holder may have kept a conversation since (then it is counted).
  if (!e->listed || e->bytes > 0) return;
  e->listed = false;
  lru_.erase(e->lru);
  entries_.erase(e->key);
}

LiveConversations::Stats LiveConversations::stats() const {
  Stats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.loads = loads_.load(std::memory_order_relaxed);
  s.capacity = static_cast<int64_t>(capacity_);
  absl::MutexLock lock(&map_mu_);
  s.bytes = static_cast<int64_t>(bytes_);
  s.entries = kept_;
  return s;
}

LiveConversations::Lease::Lease(LiveConversations* owner, std::shared_ptr<Entry> entry)
    : owner_(owner), entry_(std::move(entry)) {
  entry_->mu.Lock();
}

LiveConversations::Lease::~Lease() {
  if (entry_ == nullptr) return;
  const bool empty = entry_->conversation == nullptr;
  entry_->mu.Unlock();
  if (empty) owner_->Drop(entry_.get());
}

const core::Conversation* LiveConversations::Lease::Get(int64_t now_us) {
  Entry& e = *entry_;
  if (e.conversation == nullptr) return nullptr;
  const int64_t expire = e.conversation->expire_time_us();
  if (e.notices.load(std::memory_order_acquire) != e.kept_notices || (expire != 0 && expire <= now_us)) {
    Forget();
    return nullptr;
  }
  owner_->hits_.fetch_add(1, std::memory_order_relaxed);
  return e.conversation.get();
}

uint64_t LiveConversations::Lease::Notices() const {
  return entry_->notices.load(std::memory_order_acquire);
}

bool LiveConversations::Lease::Keep(std::unique_ptr<core::Conversation>* conversation, uint64_t notices) {
  owner_->loads_.fetch_add(1, std::memory_order_relaxed);
  const size_t bytes = (*conversation)->ByteSizeLong();
  if (Notices() != notices || bytes > owner_->capacity_ / 4) {
    Forget();
    return false;
  }
  entry_->conversation = std::move(*conversation);
  entry_->kept_notices = notices;
  entry_->size = bytes;
  entry_->extent = Walk(*entry_->conversation);
  entry_->facts.reset();
  owner_->Account(entry_.get(), bytes);
  return true;
}

core::Conversation* LiveConversations::Lease::Mutable() {
  std::shared_ptr<core::Conversation>& c = entry_->conversation;
  // Only a lease holder hands out shares, so the count cannot grow meanwhile.
  if (c.use_count() > 1) c = std::make_shared<core::Conversation>(*c);
  std::atomic_thread_fence(std::memory_order_acquire);  // after the readers' releases
  return c.get();
}

void LiveConversations::Lease::Stored(uint64_t notices) {
  entry_->facts.reset();  // any message may have changed: computed again when asked for
  Stored(notices, entry_->conversation->GetCachedSize(), Walk(*entry_->conversation));
}

void LiveConversations::Lease::Stored(uint64_t notices, size_t bytes,
                                      const core::TranscriptExtent& extent) {
  if (Notices() != notices + 1 || bytes > owner_->capacity_ / 4) {
    Forget();
    return;
  }
  entry_->kept_notices = notices + 1;
  entry_->size = bytes;
  entry_->extent = extent;
  if (MessageFacts* facts = entry_->facts.get()) {
    const core::Conversation& c = *entry_->conversation;
    for (int i = facts->messages(); i < c.messages_size(); ++i) facts->Add(c.messages(i));
  }
  owner_->Account(entry_.get(), bytes);
}

size_t LiveConversations::Lease::Bytes() const { return entry_->size; }

const core::TranscriptExtent& LiveConversations::Lease::Extent() const { return entry_->extent; }

const MessageFacts& LiveConversations::Lease::Facts() {
  if (entry_->facts == nullptr) {
    entry_->facts = std::make_unique<MessageFacts>(MessageFacts::Of(*entry_->conversation));
  }
  return *entry_->facts;
}

void LiveConversations::Lease::Forget() {
  if (entry_->conversation == nullptr) return;
  entry_->conversation.reset();
  entry_->facts.reset();
  owner_->Account(entry_.get(), 0);
}

std::shared_ptr<const core::Conversation> LiveConversations::Lease::Share() {
  return entry_->conversation;
}

}  // namespace parley::service
