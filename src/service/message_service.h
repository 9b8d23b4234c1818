// MessageService: the rules every dialect shares for changing what is inside
// a stored conversation — its messages (append, delete, redact), its
// participants, its metadata and its lifecycle (complete). Built on
// ConversationService: each method below is one ConversationService::Update,
// i.e. one read-modify-write stored in one store transaction (retried when
// another writer got there first), so a change and the typed Event that
// records it land together or not at all, the registered stored views are
// re-rendered in the same transaction and the store drops its cached views
// of the conversation before the method returns. A method that returns an
// error has stored nothing.
//
// Every method names the conversation by (tenant, scope, id); `scope` is the
// dialect-neutral scope of ADR 0010 ("us-central1", "LOC/apps/APP",
// "profiles/P", "global") and must not be empty. Until the store is keyed by
// (tenant, scope, id) it is passed to ConversationService as its `location`.
// NOT_FOUND when the conversation does not exist in that scope or has
// expired.
//
// Expiry is not a method here: a conversation whose expire_time_us has
// passed is NOT_FOUND for every method at once (ConversationService::Get)
// and ConversationService::SweepExpired deletes it with everything it holds.
// Set or change the expire time (a dialect's ttl) with
// ConversationService::Create / Update.
//
// Limits (ConversationLimits: message count, text bytes, words per message,
// labels) are checked by ConversationService::Update on the changed
// conversation, so a change that would break one is INVALID_ARGUMENT and
// stores nothing.
//
// Thread-safe: any number of threads may call at once, on the same
// conversation too (the optimistic retry serialises them; a call that keeps
// losing the race is ABORTED, having stored nothing, and may be retried).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "parley/conversation.pb.h"
#include "service/conversation_service.h"
#include "service/resource_service.h"

namespace parley::service {

class MessageService {
 public:
  // `conversations` must outlive this service.
  explicit MessageService(ConversationService* conversations);

  // ---- messages ----

  struct AppendOptions {
    // Append to a COMPLETED conversation too (imports, Insights uploads,
    // late transcripts). Without it a COMPLETED conversation refuses new
    // messages (Dialogflow: no content after `complete`).
    bool allow_closed = false;
    // The conversation as the caller just read it (not null): the append
    // starts from it instead of reading it again (ConversationService::Update's
    // snapshot; a stale one costs a retry, never a lost write).
    const core::Conversation* snapshot = nullptr;
    // When not null, the appended messages form one new Turn of the
    // conversation with this root span (a virtual agent's session turn).
    const core::Span* turn_root_span = nullptr;
    // When set, also part of the same write, after the messages (and turn)
    // are added to `tail`: it reads the conversation as stored (`current`)
    // and adds to `tail` what else to append or set
    // (ConversationService::Append); an error from it stores nothing.
    std::function<absl::Status(const core::Conversation& current, core::Conversation& tail)> also;
    // The text limit of the appended messages; 0: the server's
    // (ConversationLimits::max_message_text_bytes). A dialect whose vendor
    // documents a larger one (Dialogflow's text input: 256 KiB) passes it.
    size_t max_text_bytes = 0;
    // When set, created by the same write as the messages (what
    // ResourceService::Create does), so that both are durable together or
    // neither is: e.g. the answer records naming the suggestions made for
    // the appended message. If its key is taken nothing is stored
    // (ALREADY_EXISTS).
    std::optional<NewResource> create_resource;
  };

  // Appends `messages`, in order, after the conversation's last message and
  // returns them as stored. For each message:
  // - an empty id gets a generated one; a given id must follow the core id
  //   rule (1-128 of [A-Za-z0-9_.~-], starting with a letter or digit) and be
  //   new in the conversation and in the batch (ALREADY_EXISTS / INVALID_ARGUMENT);
  // - an unset sequence_position becomes the next one: one more than the
  //   largest stored (or given earlier in the batch) position, and at least
  //   the message's index in the conversation; a given one must be larger
  //   than every stored and earlier position (INVALID_ARGUMENT), so
  //   messages stay in sequence order;
  // - create_time_us and update_time_us are set to now (storage times;
  //   time_us, the send time, is kept as given);
  // - state MESSAGE_STATE_UNSPECIFIED becomes MESSAGE_ACTIVE.
  // - a non-empty request_id (a client's idempotency key) must be new for
  //   its participant: when a stored message of the same participant has it,
  //   ALREADY_EXISTS and nothing is stored, so a retried call (Dialogflow
  //   analyzeContent with its requestId) stores its message once; the caller
  //   answers the retry with FindByRequestId.
  // INVALID_ARGUMENT when `messages` is empty; FAILED_PRECONDITION when the
  // conversation is COMPLETED and !options.allow_closed.
  // The conversation's stored views are dropped, not re-rendered
  // (ConversationService::Views::kDrop): a live conversation gets a message
  // at a time, and rendering it whole for each one costs O(n) per message; a
  // reader of a view renders it from the conversation instead.
  absl::StatusOr<std::vector<core::Message>> AppendMessages(
      std::string_view tenant, std::string_view scope, std::string_view conversation_id,
      std::vector<core::Message> messages, const AppendOptions& options);
  absl::StatusOr<std::vector<core::Message>> AppendMessages(
      std::string_view tenant, std::string_view scope, std::string_view conversation_id,
      std::vector<core::Message> messages) {
    return AppendMessages(tenant, scope, conversation_id, std::move(messages), AppendOptions{});
  }

  // The message of `participant_id` stored with `request_id` (see
  // AppendMessages), if any; none for an empty request id.
  static std::optional<core::Message> FindByRequestId(const core::Conversation& conversation,
                                                      std::string_view participant_id,
                                                      std::string_view request_id);

  // Deletes the content of message `message_id`: state MESSAGE_DELETED,
  // update_time_us now, and every field that holds what was said cleared
  // (text, text_html, chunks, words, email, original_event_json,
  // bot_data_json, redactions). The message keeps its place, id, participant,
  // role and times, so sequence positions and Event.message_id references stay
  // valid. Adds an EVENT_MESSAGE_DELETED event (MessageDeleted with the
  // message's participant). Returns the message as stored.
  // NOT_FOUND when no such message exists or it is already deleted.
  // FAILED_PRECONDITION unless the conversation's source is one of
  // STUDIO_SYNTHETIC_ANNOTATION, STUDIO_USER_DEFINED, OPERA_SYNTHETIC,
  // OPERA_SIMULATION (Cresta DeleteConversationMessage; the rule reads
  // `source`, so it holds whichever dialect asks).
  absl::StatusOr<core::Message> DeleteMessage(std::string_view tenant, std::string_view scope,
                                              std::string_view conversation_id,
                                              std::string_view message_id);

  // One byte range of Message.text to redact: [start, end), UTF-8 bytes.
  struct ByteRange {
    int64_t start = 0;
    int64_t end = 0;
    // What was there ("PHONE_NUMBER"); empty when the caller does not say
    // (Cresta's :redact names a moment, not an info type). When set: 1-64 of
    // [A-Za-z0-9_.-].
    std::string info_type;
  };

  // Redacts `ranges` of message `message_id`'s text (offsets into the text
  // as stored now) and returns the message as stored. Each range is replaced:
  // - with "[INFO_TYPE]" when it names an info type;
  // - otherwise with one '*' per byte, so the text keeps its length and
  //   byte offsets (earlier redaction records and later ranges stay valid).
  // The same replacement is made wherever the text is repeated: in text and
  // transcript chunks (exactly, when the text is those chunks joined by a
  // space as dialects build it; otherwise every occurrence of the redacted
  // substring), and in each recognised word that overlaps a range (the whole
  // word). text_html, a rendering of the text, is cleared. Each range is
  // recorded as a core Redaction (start, end, info type, `moment`, now; the
  // offsets are those given, i.e. into the text before this call), the
  // state becomes MESSAGE_REDACTED, update_time_us now, and an
  // EVENT_MESSAGE_REDACTED event carries the redactions.
  // Because the conversation is rewritten and its views re-rendered in the
  // same transaction, no read (Get, List, stored views, the view cache)
  // returns the original text afterwards. In that transaction too, every
  // stored analysis of the conversation has each string field (recursively)
  // that contains a redacted substring rewritten with the same replacement
  // (store::ScrubUpdate), so summaries, mentions, PII findings and exports no
  // longer quote it; numbers in analyses (byte offsets, word and message
  // indices) are kept and may then point at changed text. Before the call
  // returns OK the store also scrubs its files (secure_delete, then a
  // TRUNCATE checkpoint of the WAL: it holds up other writes while it runs),
  // so the original bytes are in neither the database nor its -wal file.
  // When `moment` is not empty each range also becomes a MomentAnnotation of
  // type ENTITY (moment id `moment`, the message, the range, the event).
  // Idempotent: when every range is already recorded with the same info type
  // and moment, nothing is written and the message is returned as stored.
  // INVALID_ARGUMENT when `ranges` is empty, a range is empty, outside the
  // text, does not start and end on a UTF-8 character boundary, or overlaps
  // another (after sorting by start), or an info type is malformed.
  // NOT_FOUND for an unknown message; FAILED_PRECONDITION for a deleted one.
  absl::StatusOr<core::Message> RedactMessage(std::string_view tenant, std::string_view scope,
                                              std::string_view conversation_id,
                                              std::string_view message_id,
                                              std::vector<ByteRange> ranges,
                                              std::string_view moment);

  // ---- participants ----

  // Adds `participant` and returns it as stored. An empty id gets a
  // generated one; a given id must follow the core id rule
  // (INVALID_ARGUMENT) and be new (ALREADY_EXISTS). Role, role_name, external
  // ids, phone number and the rest are stored as given. Adds an
  // EVENT_PARTICIPANT_ADDED event (ParticipantAdded with id and role).
  absl::StatusOr<core::Participant> AddParticipant(std::string_view tenant, std::string_view scope,
                                                   std::string_view conversation_id,
                                                   core::Participant participant);

  // Calls `mutate` on a copy of participant `participant_id` and stores the
  // result; returns it as stored. The id cannot change, and a role once set
  // (not ROLE_UNSPECIFIED) cannot change (Dialogflow: Participant.role is
  // immutable): INVALID_ARGUMENT. An error from `mutate` is returned as is.
  // `mutate` may be called more than once (on a fresh copy each time) when
  // another writer got there first. NOT_FOUND for an unknown participant.
  // Records no event.
  absl::StatusOr<core::Participant> UpdateParticipant(
      std::string_view tenant, std::string_view scope, std::string_view conversation_id,
      std::string_view participant_id,
      const std::function<absl::Status(core::Participant&)>& mutate);

  // ---- metadata ----

  struct MetadataUpsert {
    core::Conversation conversation;  // as stored after the call
    // The EVENT_METADATA_CHANGED event recorded, or none when nothing
    // changed (then nothing was written).
    std::optional<core::Event> event;
  };

  // Upserts metadata by key (Cresta UpsertConversationMetadata): a key not
  // yet present is added; a present key has its values replaced by the
  // given ones (not concatenated); keys not in `entries` are kept, so nothing
  // is ever removed (MetadataChanged.removed_keys stays empty). Each key set
  // gets `source` and update_time_us now. An entry whose values and source
  // equal the stored ones is not a change. When some key changed, one
  // EVENT_METADATA_CHANGED event lists the keys set (with their new values)
  // and `source`; when none did, nothing is written and `event` is empty.
  // Works on COMPLETED conversations too (Cresta indexes closed ones).
  // INVALID_ARGUMENT when `entries` is empty, a key is empty, or a key is
  // given twice.
  //
  // Moment annotations (Cresta): each key of `options.annotate` that this
  // call changes gets a MomentAnnotation of type CONVERSATION_METADATA naming
  // the mapped moment id, the key, its new values and the event, written with
  // the event. A COMPLETED conversation is annotated only with
  // `options.annotate_completed` (Cresta indexClosedConversations); keys that
  // did not change are not annotated again.
  struct UpsertOptions {
    std::map<std::string, std::string> annotate;  // metadata key -> moment id
    bool annotate_completed = false;
  };
  absl::StatusOr<MetadataUpsert> UpsertMetadata(std::string_view tenant, std::string_view scope,
                                                std::string_view conversation_id,
                                                const std::vector<core::MetadataEntry>& entries,
                                                core::MetadataSource source,
                                                const UpsertOptions& options);
  absl::StatusOr<MetadataUpsert> UpsertMetadata(std::string_view tenant, std::string_view scope,
                                                std::string_view conversation_id,
                                                const std::vector<core::MetadataEntry>& entries,
                                                core::MetadataSource source) {
    return UpsertMetadata(tenant, scope, conversation_id, entries, source, UpsertOptions{});
  }

  // ---- lifecycle ----

  // Moves the conversation to `stage` (Dialogflow: a virtual agent hands
  // off to a human agent) and records an EVENT_STAGE_CHANGED event (from,
  // to; `participant_id` as the cause, if given). Returns the stored
  // conversation; when it already is in `stage`, returns it unchanged and
  // records nothing. FAILED_PRECONDITION when it is COMPLETED.
  absl::StatusOr<core::Conversation> ChangeStage(std::string_view tenant, std::string_view scope,
                                                 std::string_view conversation_id, core::Stage stage,
                                                 std::string_view participant_id = "");

  // Completes the conversation (Dialogflow :complete, Cresta close, CES end
  // of session): lifecycle COMPLETED, end_time_us = `end_time_us` or now,
  // duration recomputed, and an EVENT_CONVERSATION_COMPLETED event with the
  // end time and `reason` ("complete", "close", ...). Returns the stored
  // conversation. FAILED_PRECONDITION when it is already COMPLETED (nothing
  // is changed); INVALID_ARGUMENT when the end time is before the start time.
  absl::StatusOr<core::Conversation> Complete(std::string_view tenant, std::string_view scope,
                                              std::string_view conversation_id,
                                              std::optional<int64_t> end_time_us,
                                              std::string_view reason = "complete");

  // Idle conversations complete by themselves (Dialogflow: after a time
  // without activity). When the conversation is a live assisted one
  // (IN_PROGRESS with a stage set: Dialogflow's; other dialects' open
  // conversations have no stage and never idle out) and nothing was
  // written to it for `idle_us` (update_time_us + idle_us <= now), completes
  // it as Complete does, with end time update_time_us + idle_us and reason
  // "idle". Returns the conversation as stored after the call, completed or
  // not. `idle_us` <= 0: never idle. NOT_FOUND as Get.
  absl::StatusOr<core::Conversation> CompleteIfIdle(std::string_view tenant, std::string_view scope,
                                                    std::string_view conversation_id,
                                                    int64_t idle_us);
  // CompleteIfIdle as an immutable share (ConversationService::Share): a
  // live conversation that is not idle is neither copied nor parsed. Drop
  // the share before writing the conversation (a write while it is held
  // copies the conversation).
  absl::StatusOr<std::shared_ptr<const core::Conversation>> ShareCompleteIfIdle(
      std::string_view tenant, std::string_view scope, std::string_view conversation_id, int64_t idle_us);
  // The idle sweep: completes, as CompleteIfIdle, every live assisted
  // conversation (IN_PROGRESS with a stage: Dialogflow's) of every tenant
  // that is idle now, so they complete whether or not anyone reads them.
  // Returns how many it completed. `idle_us` <= 0: none.
  absl::StatusOr<int64_t> CompleteIdle(int64_t idle_us);
  // Whether `conversation` is idle by that rule now.
  static bool IsIdle(const core::Conversation& conversation, int64_t idle_us, int64_t now_us);

 private:
  ConversationService* conversations_;
};

}  // namespace parley::service
