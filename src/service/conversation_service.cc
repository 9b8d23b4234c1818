#include "service/conversation_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "core/transcript.h"
#include "google/protobuf/wire_format.h"

namespace parley::service {

using core::CountTurns;
using core::IsValidClientId;
using core::ListCursor;
using core::Message;
using core::NewId;
using core::NowMicros;
using core::TranscriptDurationMicros;
namespace {

// Length in Unicode code points of UTF-8 text (limits are stated in characters).
size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Sets the derived duration of `c` (see Derive); `transcript()` is the
// messages' own (core::TranscriptDurationMicros), asked for only if needed.
template <typename Transcript>
void SetDuration(Conversation& c, const Transcript& transcript) {
  if (c.has_start_time_us() && c.has_end_time_us()) {
    c.set_duration_us(std::max<int64_t>(0, c.end_time_us() - c.start_time_us()));
  } else if (c.has_duration_us() && !c.data_source().audio_uri().empty()) {
    // The recording's length (service::TranscriptFromSpeech): longer than
    // its last word by the silence after it.
  } else if (auto d = transcript()) {
    c.set_duration_us(*d);
  }
}

// The bytes field `f` of `m` takes in its serialization (records, tags
// included). WireFormat::FieldByteSize counts an absent singular field's
// default value (without its tag): an absent field takes none.
size_t RecordBytes(const google::protobuf::FieldDescriptor* f, const google::protobuf::Message& m) {
  if (!f->is_repeated() && !m.GetReflection()->HasField(m, f)) return 0;
  return google::protobuf::internal::WireFormat::FieldByteSize(f, m);
}

// Refuses a tail (ConversationService::Append) that renames `current` or
// changes its medium; clears what the service sets itself.
absl::Status CheckTail(const Conversation& current, Conversation& tail) {
  if ((!tail.tenant().empty() && tail.tenant() != current.tenant()) ||
      (!tail.scope().empty() && tail.scope() != current.scope()) ||
      (!tail.id().empty() && tail.id() != current.id())) {
    return absl::InvalidArgumentError("the conversation name cannot be changed");
  }
  if (tail.medium() != core::MEDIUM_UNSPECIFIED && tail.medium() != current.medium()) {
    return absl::InvalidArgumentError("medium is immutable and cannot be updated");
  }
  tail.clear_tenant();
  tail.clear_scope();
  tail.clear_id();
  tail.clear_medium();
  tail.clear_create_time_us();
  tail.clear_update_time_us();
  tail.clear_latest_analysis_id();
  tail.clear_turn_count();
  tail.clear_duration_us();
  return absl::OkStatus();
}

// "32 MiB" for whole MiB, else "N bytes".
std::string SizeText(size_t bytes) {
  if (bytes % (size_t{1} << 20) == 0) return absl::StrCat(bytes >> 20, " MiB");
  return absl::StrCat(bytes, " bytes");
}

}  // namespace

ConversationService::ConversationService(store::Store* store, PageTokenCodec tokens,
                                         ConversationLimits limits, size_t live_bytes)
    : store_(store), tokens_(std::move(tokens)), limits_(limits) {
  if (live_bytes == 0) return;
  auto live = std::make_shared<LiveConversations>(live_bytes);
  if (store_->NoticeConversationWrites(
          [live](std::string_view tenant, std::string_view scope, std::string_view id) {
            live->Notice(tenant, scope, id);
          })) {
    live_ = std::move(live);
  }
}

absl::Status ConversationService::Validate(const Conversation& c, const Conversation* before,
                                           size_t max_new_text_bytes) const {
  return ValidateWith(
      c,
      [&](int i) {
        return before != nullptr && i < before->messages_size() &&
               before->messages(i).text().size() == c.messages(i).text().size() &&
               before->messages(i).text() == c.messages(i).text();
      },
      max_new_text_bytes);
}

absl::Status ConversationService::ValidateWith(const Conversation& c,
                                               const std::function<bool(int)>& unchanged,
                                               size_t max_new_text_bytes, int first_message,
                                               size_t known_bytes, bool check_labels) const {
  const size_t max_text = max_new_text_bytes != 0 ? max_new_text_bytes : limits_.max_message_text_bytes;
  if (check_labels && c.labels_size() > limits_.max_labels) {
    return absl::InvalidArgumentError(absl::StrCat("too many labels: ", c.labels_size(),
                                                   " (at most ", limits_.max_labels, ")"));
  }
  for (const auto& [key, value] : c.labels()) {
    if (!check_labels) break;
    if (key.empty()) return absl::InvalidArgumentError("label keys must not be empty");
    if (CharCount(key) > limits_.max_label_key_chars) {
      return absl::InvalidArgumentError(absl::StrCat("label key \"", key.substr(0, 32),
                                                     "...\" is longer than ",
                                                     limits_.max_label_key_chars, " characters"));
    }
    if (CharCount(value) > limits_.max_label_value_chars) {
      return absl::InvalidArgumentError(absl::StrCat("value of label \"", key,
                                                     "\" is longer than ",
                                                     limits_.max_label_value_chars, " characters"));
    }
  }
  if (c.messages_size() > limits_.max_messages) {
    return absl::InvalidArgumentError(absl::StrCat("too many transcript segments: ",
                                                   c.messages_size(), " (at most ",
                                                   limits_.max_messages, ")"));
  }
  if (limits_.max_conversation_bytes > 0) {
    // The other limits together still allow 640 MB (10,000 segments of 64 KiB).
    if (const size_t bytes = known_bytes != 0 ? known_bytes : c.ByteSizeLong();
        bytes > limits_.max_conversation_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the conversation is ", bytes, " bytes, larger than the limit of ",
          SizeText(limits_.max_conversation_bytes), " (--max-conversation-mb)"));
    }
  }
  for (int i = std::max(first_message, 0); i < c.messages_size(); ++i) {
    const Message& m = c.messages(i);
    if (m.text().size() > max_text && !unchanged(i)) {
      return absl::InvalidArgumentError(
          absl::StrCat("transcript segment ", i, " text is longer than ", max_text, " bytes"));
    }
    if (m.words_size() > limits_.max_words_per_message) {
      return absl::InvalidArgumentError(absl::StrCat("transcript segment ", i, " has more than ",
                                                     limits_.max_words_per_message, " words"));
    }
  }
  return absl::OkStatus();
}

void ConversationService::Derive(Conversation& c) const {
  c.set_turn_count(c.turns_size() > 0 ? c.turns_size() : CountTurns(c));
  SetDuration(c, [&] { return TranscriptDurationMicros(c); });
}

void ConversationService::AddView(std::string name, ViewRenderer render) {
  views_.emplace_back(std::move(name), std::move(render));
}

store::ConversationViews ConversationService::RenderViews(const Conversation& c) const {
  store::ConversationViews views;
  views.reserve(views_.size());
  for (const auto& [name, render] : views_) views.emplace_back(name, render(c));
  return views;
}

absl::StatusOr<std::string> ConversationService::ReadView(std::string_view tenant,
                                                         std::string_view scope,
                                                         std::string_view id,
                                                         std::string_view view) {
  std::string body;
  absl::Status s = store_->ReadConversationView(tenant, scope, id, NowMicros(), view, &body);
  if (s.ok()) return body;
  if (s.code() != absl::StatusCode::kNotFound) return s;
  return absl::NotFoundError(absl::StrCat("conversation \"", Sv(id), "\" not found"));
}

bool ConversationService::ReadCachedView(std::string_view tenant, std::string_view scope,
                                         std::string_view id, std::string_view view,
                                         store::Store::CachedViewDone& done) {
  return store_->ReadCachedConversationView(tenant, scope, id, NowMicros(), view, done);
}

absl::Status ConversationService::PrepareNew(Conversation& c) const {
  if (c.tenant().empty()) return absl::InvalidArgumentError("a tenant (project) is required");
  if (c.id().empty()) {
    c.set_id(NewId());
  } else if (!IsValidClientId(c.id())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid conversation id \"", c.id(),
        "\": it must be 1 to 128 characters of letters, digits, '_', '.', '~' and '-',"
        " starting with a letter or digit"));
  }
  if (absl::Status s = Validate(c); !s.ok()) return s;
  int64_t now = NowMicros();
  c.set_create_time_us(now);
  c.set_update_time_us(now);
  c.clear_latest_analysis_id();
  Derive(c);
  return absl::OkStatus();
}

absl::Status ConversationService::CreateError(const absl::Status& s, const Conversation& c) {
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(absl::StrCat("conversation \"", c.id(), "\" already exists"));
  }
  return s;
}

absl::StatusOr<Conversation> ConversationService::Create(Conversation c,
                                                         const core::Operation* with) {
  if (absl::Status s = PrepareNew(c); !s.ok()) return s;
  // The store frees the key of an expired conversation not yet swept.
  if (absl::Status s = store_->CreateConversation(c, RenderViews(c), with); !s.ok()) {
    return CreateError(s, c);
  }
  return c;
}

void ConversationService::CreateAsync(Conversation c, CreateDone done) {
  const bool generated_id = c.id().empty();
  if (absl::Status s = PrepareNew(c); !s.ok()) return done(s);
  auto created = std::make_unique<Created>();
  created->views = RenderViews(c);
  created->conversation = std::move(c);
  StoreNew(std::move(created), generated_id ? 3 : 1, std::move(done));
}

void ConversationService::StoreNew(std::unique_ptr<Created> created, int attempts, CreateDone done) {
  Created* stored = created.get();  // stays put while `created` moves
  store_->CreateConversationAsync(
      stored->conversation, stored->views,
      [this, attempts, created = std::move(created), done = std::move(done)](absl::Status s) mutable {
        if (s.code() == absl::StatusCode::kAlreadyExists && attempts > 1) {
          created->conversation.set_id(NewId());
          created->views = RenderViews(created->conversation);
          return StoreNew(std::move(created), attempts - 1, std::move(done));
        }
        if (!s.ok()) return done(CreateError(s, created->conversation));
        done(std::move(created));
      });
}

absl::StatusOr<Conversation> ConversationService::Get(std::string_view tenant,
                                                      std::string_view scope,
                                                      std::string_view id) {
  Conversation c;
  if (absl::Status s = Read(tenant, scope, id, &c); !s.ok()) return s;
  return c;
}

absl::Status ConversationService::Read(std::string_view tenant, std::string_view scope,
                                       std::string_view id, Conversation* out) {
  if (live_ != nullptr) {
    // A kept conversation is copied (cheaper than parsing); one not kept is
    // read as without the cache and not kept (a read of many conversations
    // would only churn it).
    LiveConversations::Lease lease = live_->Acquire(tenant, scope, id);
    if (const Conversation* kept = lease.Get(NowMicros())) {
      *out = *kept;
      return absl::OkStatus();
    }
  }
  absl::Status s = store_->ReadConversation(tenant, scope, id, NowMicros(), out);
  if (s.code() != absl::StatusCode::kNotFound) return s;
  return absl::NotFoundError(absl::StrCat("conversation \"", Sv(id), "\" not found"));
}

absl::StatusOr<std::shared_ptr<const Conversation>> ConversationService::Share(
    std::string_view tenant, std::string_view scope, std::string_view id) {
  if (live_ == nullptr) {
    auto c = std::make_shared<Conversation>();
    if (absl::Status s = Read(tenant, scope, id, c.get()); !s.ok()) return s;
    return c;
  }
  LiveConversations::Lease lease = live_->Acquire(tenant, scope, id);
  bool kept = false;
  std::unique_ptr<Conversation> read;
  if (absl::Status s = LoadKept(lease, tenant, scope, id, &kept, &read); !s.ok()) return s;
  if (kept) return lease.Share();
  return std::shared_ptr<const Conversation>(std::move(read));
}

absl::StatusOr<ConversationService::Page> ConversationService::List(
    ConversationQuery query, std::string_view page_token, std::string_view query_fingerprint,
    const std::function<bool(const Conversation&)>& take) {
  if (query.page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (query.page_size == 0) query.page_size = limits_.default_page_size;
  query.page_size = std::min(query.page_size, limits_.max_page_size);
  std::string fingerprint = absl::StrCat(query.tenant, "\x1f", query.scope, "\x1f", Sv(query_fingerprint));
  if (!page_token.empty()) {
    auto cursor = tokens_.Decode(page_token, fingerprint);
    if (!cursor.ok()) return cursor.status();
    query.after = *cursor;
  }
  query.now_us = NowMicros();
  auto rows = store_->ListConversations(query);
  if (!rows.ok()) return rows.status();
  if (take && rows->sort_values.size() == rows->conversations.size()) {
    for (size_t i = 0; i < rows->conversations.size(); ++i) {
      if (take(rows->conversations[i]) || i == 0) continue;
      // The page ends before conversation i: continue after i - 1.
      rows->next = core::ListCursor{rows->sort_values[i - 1], rows->conversations[i - 1].id()};
      rows->conversations.resize(i);
      break;
    }
  }
  Page page;
  page.conversations = std::move(rows->conversations);
  if (rows->next) page.next_page_token = tokens_.Encode(*rows->next, fingerprint);
  return page;
}

absl::StatusOr<Conversation> ConversationService::Update(
    std::string_view tenant, std::string_view scope, std::string_view id,
    const std::function<absl::Status(Conversation&)>& mutate, const store::ScrubUpdate& scrub,
    const Conversation* snapshot, Views views, size_t max_new_text_bytes) {
  Conversation stored;
  if (absl::Status s = Write(tenant, scope, id, mutate, scrub, snapshot, views, max_new_text_bytes, &stored);
      !s.ok()) {
    return s;
  }
  return stored;
}

absl::Status ConversationService::Change(std::string_view tenant, std::string_view scope,
                                         std::string_view id,
                                         const std::function<absl::Status(Conversation&)>& mutate,
                                         const store::ScrubUpdate& scrub, const Conversation* snapshot,
                                         Views views, size_t max_new_text_bytes) {
  return Write(tenant, scope, id, mutate, scrub, snapshot, views, max_new_text_bytes, nullptr);
}

absl::Status ConversationService::Write(std::string_view tenant, std::string_view scope,
                                        std::string_view id,
                                        const std::function<absl::Status(Conversation&)>& mutate,
                                        const store::ScrubUpdate& scrub, const Conversation* snapshot,
                                        Views views, size_t max_new_text_bytes, Conversation* result) {
  // A snapshot of another key would be written over that key: refuse it.
  if (snapshot != nullptr &&
      (snapshot->tenant() != tenant || snapshot->scope() != scope || snapshot->id() != id)) {
    return absl::InvalidArgumentError("the snapshot is of another conversation");
  }
  for (int attempt = 0; attempt < 16; ++attempt) {
    if (live_ != nullptr) {
      // The kept conversation is newer than any snapshot a caller read.
      bool used = false;
      absl::Status s = WriteLive(tenant, scope, id, mutate, scrub, views, max_new_text_bytes, result, &used);
      if (used) {
        if (s.code() == absl::StatusCode::kAborted) continue;
        return s;
      }
      snapshot = nullptr;
    }
    // The snapshot is used in place (not copied): only `next` is a copy.
    absl::StatusOr<Conversation> read;
    if (attempt > 0 || snapshot == nullptr) {
      read = Get(tenant, scope, id);
      if (!read.ok()) return read.status();
    }
    const Conversation* current = attempt == 0 && snapshot != nullptr ? snapshot : &*read;
    Conversation next = *current;
    if (absl::Status s = mutate(next); !s.ok()) return s;
    if (next.tenant() != current->tenant() || next.id() != current->id() ||
        next.scope() != current->scope()) {
      return absl::InvalidArgumentError("the conversation name cannot be changed");
    }
    if (next.medium() != current->medium()) {
      return absl::InvalidArgumentError("medium is immutable and cannot be updated");
    }
    next.set_create_time_us(current->create_time_us());
    next.set_latest_analysis_id(current->latest_analysis_id());
    if (absl::Status s = Validate(next, current, max_new_text_bytes); !s.ok()) return s;
    // Strictly increasing, so that the optimistic check below always detects
    // a concurrent writer even within one clock tick.
    next.set_update_time_us(std::max(NowMicros(), current->update_time_us() + 1));
    Derive(next);
    absl::Status s = store_->UpdateConversation(
        next, current->update_time_us(),
        views == Views::kRender ? RenderViews(next) : store::ConversationViews{}, scrub);
    if (s.ok()) {
      if (result != nullptr) *result = std::move(next);
      return s;
    }
    if (s.code() != absl::StatusCode::kAborted) return s;
  }
  return absl::AbortedError("the conversation is being updated concurrently; try again");
}

absl::Status ConversationService::WriteLive(std::string_view tenant, std::string_view scope,
                                            std::string_view id,
                                            const std::function<absl::Status(Conversation&)>& mutate,
                                            const store::ScrubUpdate& scrub, Views views,
                                            size_t max_new_text_bytes, Conversation* result,
                                            bool* used) {
  LiveConversations::Lease lease = live_->Acquire(tenant, scope, id);
  if (absl::Status s = LoadKept(lease, tenant, scope, id, used); !*used || !s.ok()) return s;
  // From here on the kept conversation is changed in place: any way out but
  // a stored write forgets it (the next use reads the store again).
  Conversation& c = *lease.Mutable();
  const std::string tenant_was = c.tenant(), scope_was = c.scope(), id_was = c.id();
  const core::Medium medium_was = c.medium();
  const int64_t create_time_was = c.create_time_us(), update_time_was = c.update_time_us();
  const std::string latest_analysis_was = c.latest_analysis_id();
  // The texts the text limit would refuse, as stored: such a message may
  // stay (stored under a larger per-call limit) as long as its text does.
  const size_t max_text = max_new_text_bytes != 0 ? max_new_text_bytes : limits_.max_message_text_bytes;
  std::vector<std::pair<int, std::string>> long_texts;
  for (int i = 0; i < c.messages_size(); ++i) {
    if (c.messages(i).text().size() > max_text) long_texts.emplace_back(i, c.messages(i).text());
  }
  absl::Status s = mutate(c);
  if (s.ok() && (c.tenant() != tenant_was || c.id() != id_was || c.scope() != scope_was)) {
    s = absl::InvalidArgumentError("the conversation name cannot be changed");
  }
  if (s.ok() && c.medium() != medium_was) {
    s = absl::InvalidArgumentError("medium is immutable and cannot be updated");
  }
  if (s.ok()) {
    c.set_create_time_us(create_time_was);
    c.set_latest_analysis_id(latest_analysis_was);
    s = ValidateWith(
        c,
        [&](int i) {
          for (const auto& [at, text] : long_texts) {
            if (at == i) return c.messages(i).text() == text;
          }
          return false;
        },
        max_new_text_bytes);
  }
  if (!s.ok()) {
    lease.Forget();
    return s;
  }
  c.set_update_time_us(std::max(NowMicros(), update_time_was + 1));
  Derive(c);
  const uint64_t notices = lease.Notices();  // before the write: its notice comes after
  s = store_->UpdateConversation(c, update_time_was,
                                 views == Views::kRender ? RenderViews(c) : store::ConversationViews{}, scrub);
  if (!s.ok()) {
    lease.Forget();
    return s;
  }
  if (result != nullptr) *result = c;
  lease.Stored(notices);
  return absl::OkStatus();
}

absl::Status ConversationService::LoadKept(LiveConversations::Lease& lease, std::string_view tenant,
                                           std::string_view scope, std::string_view id, bool* used,
                                           std::unique_ptr<Conversation>* unkept) {
  *used = true;
  if (lease.Get(NowMicros()) != nullptr) return absl::OkStatus();
  const uint64_t notices = lease.Notices();  // before the read
  auto read = std::make_unique<Conversation>();
  absl::Status s = store_->ReadConversation(tenant, scope, id, NowMicros(), read.get());
  if (s.code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat("conversation \"", Sv(id), "\" not found"));
  }
  if (!s.ok()) return s;
  if (!lease.Keep(&read, notices)) {
    *used = false;
    if (unkept != nullptr) *unkept = std::move(read);
  }
  return absl::OkStatus();
}

absl::Status ConversationService::Append(std::string_view tenant, std::string_view scope,
                                         std::string_view id, const AppendFn& append,
                                         const store::ScrubUpdate& scrub, const Conversation* snapshot,
                                         size_t max_new_text_bytes) {
  if (live_ != nullptr) {
    for (int attempt = 0; attempt < 16; ++attempt) {
      bool used = false;
      absl::Status s = AppendLive(tenant, scope, id, append, scrub, max_new_text_bytes, &used);
      if (!used) break;  // not kept: the plain way below
      if (s.code() != absl::StatusCode::kAborted) return s;
      if (attempt == 15) return absl::AbortedError("the conversation is being updated concurrently; try again");
    }
  }
  // The same result through a whole read-modify-write.
  return Change(
      tenant, scope, id,
      [&](Conversation& c) -> absl::Status {
        Conversation tail;
        if (absl::Status s = append(c, MessageFacts::Of(c), tail); !s.ok()) return s;
        if (absl::Status s = CheckTail(c, tail); !s.ok()) return s;
        c.MergeFrom(tail);
        return absl::OkStatus();
      },
      scrub, snapshot, Views::kDrop, max_new_text_bytes);
}

absl::Status ConversationService::AppendLive(std::string_view tenant, std::string_view scope,
                                             std::string_view id, const AppendFn& append,
                                             const store::ScrubUpdate& scrub,
                                             size_t max_new_text_bytes, bool* used) {
  using google::protobuf::FieldDescriptor;
  LiveConversations::Lease lease = live_->Acquire(tenant, scope, id);
  if (absl::Status s = LoadKept(lease, tenant, scope, id, used); !*used || !s.ok()) return s;
  Conversation tail;
  {
    const Conversation& current = *lease.Kept();
    absl::Status s = append(current, lease.Facts(), tail);
    if (s.ok()) s = CheckTail(current, tail);
    if (!s.ok()) return s;  // nothing changed: the kept conversation stays
  }
  // From here on the kept conversation is changed in place: any way out but
  // a stored write forgets it (the next use reads the store again).
  Conversation& c = *lease.Mutable();
  const int old_messages = c.messages_size();
  // The serialized size, advanced without walking the conversation: a
  // serialization is its fields' records, so only the fields the tail sets
  // change size. Appended elements of a repeated field add their own
  // records; any other field (singular, packed, map: their merged records
  // are not the sum) is measured before and after the merge.
  size_t bytes = lease.Bytes();
  std::vector<const FieldDescriptor*> fields, remeasured;
  tail.GetReflection()->ListFields(tail, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->is_repeated() && !f->is_packed() && !f->is_map()) {
      bytes += RecordBytes(f, tail);
    } else {
      bytes -= RecordBytes(f, c);
      remeasured.push_back(f);
    }
  }
  c.MergeFrom(tail);
  for (const FieldDescriptor* f : remeasured) bytes += RecordBytes(f, c);
  absl::Status s = ValidateWith(
      c, [](int) { return false; }, max_new_text_bytes, old_messages, bytes, tail.labels_size() > 0);
  if (!s.ok()) {
    lease.Forget();
    return s;
  }
  // The fields the service derives, as Derive sets them but from the new
  // messages only (the turns and the messages' extent before them are kept).
  const google::protobuf::Descriptor* type = Conversation::descriptor();
  const FieldDescriptor* derived[] = {type->FindFieldByNumber(Conversation::kUpdateTimeUsFieldNumber),
                                      type->FindFieldByNumber(Conversation::kTurnCountFieldNumber),
                                      type->FindFieldByNumber(Conversation::kDurationUsFieldNumber)};
  for (const FieldDescriptor* f : derived) bytes -= RecordBytes(f, c);
  const int64_t update_time_was = c.update_time_us();
  const bool had_turns = c.has_turn_count(), had_duration = c.has_duration_us();
  const int32_t turns_was = c.turn_count();
  const int64_t duration_was = c.duration_us();
  c.set_update_time_us(std::max(NowMicros(), update_time_was + 1));
  core::TranscriptExtent extent = lease.Extent();
  for (int i = old_messages; i < c.messages_size(); ++i) extent.Add(c.messages(i));
  // With no turns, turn_count is CountTurns (Derive), so the stored count
  // holds for the messages before the new ones.
  c.set_turn_count(c.turns_size() > 0 ? c.turns_size()
                   : had_turns        ? turns_was + core::CountTurnsFrom(c, old_messages)
                                      : core::CountTurns(c));
  SetDuration(c, [&] { return extent.Duration(c); });
  for (const FieldDescriptor* f : derived) bytes += RecordBytes(f, c);
  // The delta: the tail, and the derived fields it changed.
  tail.set_update_time_us(c.update_time_us());
  if (!had_turns || c.turn_count() != turns_was) tail.set_turn_count(c.turn_count());
  if (c.has_duration_us() && (!had_duration || c.duration_us() != duration_was)) {
    tail.set_duration_us(c.duration_us());
  }
  std::string delta;
  if (!tail.SerializeToString(&delta)) {
    lease.Forget();
    return absl::InternalError("cannot serialize the appended part");
  }
  const uint64_t notices = lease.Notices();  // before the write: its notice comes after
  s = store_->AppendConversation(c, update_time_was, delta, scrub);
  if (!s.ok()) {
    lease.Forget();
    return s;
  }
  lease.Stored(notices, bytes, extent);
  return absl::OkStatus();
}

std::optional<MessageFacts> ConversationService::KeptMessageFacts(std::string_view tenant,
                                                                  std::string_view scope,
                                                                  std::string_view id) {
  if (live_ == nullptr) return std::nullopt;
  LiveConversations::Lease lease = live_->Acquire(tenant, scope, id);
  if (lease.Get(NowMicros()) == nullptr || lease.KeptFacts() == nullptr) return std::nullopt;
  return *lease.KeptFacts();
}

absl::Status ConversationService::Delete(std::string_view tenant, std::string_view scope,
                                         std::string_view id, bool force) {
  if (auto c = Get(tenant, scope, id); !c.ok()) return c.status();  // expired: not found
  absl::Status s = store_->DeleteConversation(tenant, scope, id, force);
  if (s.code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat("conversation \"", Sv(id), "\" not found"));
  }
  return s;
}

absl::StatusOr<int64_t> ConversationService::SweepExpired() {
  return store_->DeleteExpiredConversations(NowMicros());
}

absl::StatusOr<std::vector<store::ConversationKey>> ConversationService::ListIdle(int64_t idle_us, int limit) {
  return store_->ListIdleConversations(NowMicros() - idle_us, limit);
}

absl::Status ConversationService::ForEach(ConversationQuery query,
                                          const std::function<bool(const Conversation&)>& visit) {
  for (;;) {
    auto page = store_->ListConversations(query);
    if (!page.ok()) return page.status();
    for (const Conversation& c : page->conversations) {
      if (!visit(c)) return absl::OkStatus();
    }
    if (!page->next) return absl::OkStatus();
    query.after = std::move(page->next);
  }
}

}  // namespace parley::service
