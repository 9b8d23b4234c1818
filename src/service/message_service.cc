#include "service/message_service.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/time_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "service/message_facts.h"
#include "store/store.h"

namespace parley::service {

using core::Chunk;
using core::Conversation;
using core::Event;
using core::Message;
using core::MetadataEntry;
using core::NewId;
using core::NowMicros;
using core::Participant;

namespace {

bool IsInfoType(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
  });
}

// True if byte offset `i` of UTF-8 `s` starts a character (or is the end).
bool IsCharBoundary(std::string_view s, size_t i) {
  return i == s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
}

// Gives an empty `*id` a new one; checks a given one against the core rule.
absl::Status AssignId(std::string* id, std::string_view what) {
  if (id->empty()) {
    *id = NewId();
    return absl::OkStatus();
  }
  if (core::IsValidClientId(*id)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid ", Sv(what), " id \"", *id,
      "\": it must be 1 to 128 of letters, digits, '_', '.', '~', '-', starting with a letter "
      "or digit"));
}

absl::Status CheckScope(std::string_view scope) {
  if (scope.empty()) return absl::InvalidArgumentError("a conversation scope is required");
  return absl::OkStatus();
}

// One ConversationService::Update of (tenant, scope, id) whose `mutate`
// also fills in what the caller returns (from the attempt that was stored).
template <typename T>
absl::StatusOr<T> UpdateReturning(ConversationService& conversations, std::string_view tenant,
                                  std::string_view scope, std::string_view id,
                                  const std::function<absl::Status(Conversation&, T&)>& mutate,
                                  const store::ScrubUpdate& scrub = store::ScrubUpdate{},
                                  const Conversation* snapshot = nullptr,
                                  ConversationService::Views views =
                                      ConversationService::Views::kRender,
                                  size_t max_new_text_bytes = 0) {
  if (absl::Status s = CheckScope(scope); !s.ok()) return s;
  T out{};
  // Change, not Update: the stored conversation is not copied out.
  absl::Status changed = conversations.Change(
      tenant, scope, id, [&](Conversation& c) { return mutate(c, out); }, scrub, snapshot, views,
      max_new_text_bytes);
  if (!changed.ok()) return changed;
  return out;
}

Message* FindMessage(Conversation& c, std::string_view id) {
  for (Message& m : *c.mutable_messages()) {
    if (m.id() == id) return &m;
  }
  return nullptr;
}

Participant* FindParticipant(Conversation& c, std::string_view id) {
  for (Participant& p : *c.mutable_participants()) {
    if (p.id() == id) return &p;
  }
  return nullptr;
}

absl::Status MessageNotFound(std::string_view id) {
  return absl::NotFoundError(absl::StrCat("message \"", Sv(id), "\" not found"));
}

// A new event of `type` at `now`, appended to `c`.
Event* AddEvent(Conversation& c, core::EventType type, int64_t now) {
  Event* e = c.add_events();
  e->set_id(NewId());
  e->set_type(type);
  e->set_time_us(now);
  return e;
}

// Cresta allows deleting messages only of these sources.
bool AllowsMessageDeletion(core::Source source) {
  switch (source) {
    case core::STUDIO_SYNTHETIC_ANNOTATION:
    case core::STUDIO_USER_DEFINED:
    case core::OPERA_SYNTHETIC:
    case core::OPERA_SIMULATION:
      return true;
    default:
      return false;
  }
}

// ---- redaction ----

// A range to replace, in the coordinates of the string it applies to.
struct Piece {
  size_t start;
  size_t end;
  const std::string* info_type;
};

std::string Replacement(const std::string& info_type, size_t bytes) {
  if (info_type.empty()) return std::string(bytes, '*');
  return absl::StrCat("[", info_type, "]");
}

// `s` with each of `pieces` (sorted, non-overlapping, within `s`) replaced.
std::string ReplacePieces(std::string_view s, const std::vector<Piece>& pieces) {
  std::string out;
  out.reserve(s.size());
  size_t at = 0;
  for (const Piece& p : pieces) {
    out.append(s.substr(at, p.start - at));
    out += Replacement(*p.info_type, p.end - p.start);
    at = p.end;
  }
  out.append(s.substr(at));
  return out;
}

std::vector<Piece> ToPieces(const std::vector<MessageService::ByteRange>& ranges) {
  std::vector<Piece> pieces;
  pieces.reserve(ranges.size());
  for (const auto& r : ranges) {
    pieces.push_back({static_cast<size_t>(r.start), static_cast<size_t>(r.end), &r.info_type});
  }
  return pieces;
}

// Redacts the text and transcript chunks of `m`, whose text was `original`.
void RedactChunks(Message& m, std::string_view original, const std::vector<Piece>& pieces) {
  std::vector<std::string*> texts;
  for (Chunk& chunk : *m.mutable_chunks()) {
    if (chunk.has_text()) texts.push_back(chunk.mutable_text());
    if (chunk.has_transcript()) texts.push_back(chunk.mutable_transcript());
  }
  if (texts.empty()) return;
  std::string joined = absl::StrJoin(texts, " ", [](std::string* out, const std::string* t) {
    out->append(*t);
  });
  if (joined == original) {
    // The text is the chunks joined by a space (how dialects build it):
    // redact exactly the same bytes in each chunk.
    size_t offset = 0;
    for (std::string* t : texts) {
      const size_t end = offset + t->size();
      std::vector<Piece> local;
      for (const Piece& p : pieces) {
        size_t s = std::max(p.start, offset), e = std::min(p.end, end);
        if (s < e) local.push_back({s - offset, e - offset, p.info_type});
      }
      if (!local.empty()) *t = ReplacePieces(*t, local);
      offset = end + 1;
    }
    return;
  }
  // Otherwise remove every occurrence of each redacted substring.
  for (const Piece& p : pieces) {
    std::string_view gone = original.substr(p.start, p.end - p.start);
    std::string with = Replacement(*p.info_type, gone.size());
    for (std::string* t : texts) *t = absl::StrReplaceAll(*t, {{Sv(gone), with}});
  }
}

// Redacts each word of `m` that overlaps a piece of `original`. Words are
// located in the text in order; a word not found there is redacted when it
// and a redacted substring contain one another.
void RedactWords(Message& m, std::string_view original, const std::vector<Piece>& pieces) {
  size_t cursor = 0;
  for (core::WordInfo& w : *m.mutable_words()) {
    const std::string& word = w.word();
    if (word.empty()) continue;
    const Piece* hit = nullptr;
    size_t at = original.find(word, cursor);
    if (at != std::string_view::npos) {
      cursor = at + word.size();
      for (const Piece& p : pieces) {
        if (p.start < cursor && at < p.end) {
          hit = &p;
          break;
        }
      }
    } else {
      for (const Piece& p : pieces) {
        std::string_view gone = original.substr(p.start, p.end - p.start);
        if (gone.find(word) != std::string_view::npos ||
            std::string_view(word).find(gone) != std::string_view::npos) {
          hit = &p;
          break;
        }
      }
    }
    if (hit != nullptr) w.set_word(Replacement(*hit->info_type, word.size()));
  }
}

// (redacted original substring, its replacement), longest substring first.
using Substitutions = std::vector<std::pair<std::string, std::string>>;

// Replaces every occurrence of each substitution's substring in every
// string field of `msg`, recursively (repeated fields and maps too); a
// single left-to-right pass per field, so a replacement is never matched
// again. Returns true if anything changed.
bool SubstituteInStrings(google::protobuf::Message& msg, const Substitutions& subs) {
  const google::protobuf::Reflection* r = msg.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(msg, &fields);
  std::vector<std::pair<absl::string_view, absl::string_view>> pairs(subs.begin(), subs.end());
  auto rewrite = [&](std::string* v) {
    bool hit = false;
    for (const auto& [gone, with] : subs) hit = hit || v->find(gone) != std::string::npos;
    if (hit) *v = absl::StrReplaceAll(*v, pairs);
    return hit;
  };
  bool changed = false;
  for (const google::protobuf::FieldDescriptor* f : fields) {
    using FD = google::protobuf::FieldDescriptor;
    if (f->type() == FD::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(msg, f); ++i) {
          std::string v = r->GetRepeatedString(msg, f, i);
          if (rewrite(&v)) {
            r->SetRepeatedString(&msg, f, i, std::move(v));
            changed = true;
          }
        }
      } else {
        std::string v = r->GetString(msg, f);
        if (rewrite(&v)) {
          r->SetString(&msg, f, std::move(v));
          changed = true;
        }
      }
    } else if (f->cpp_type() == FD::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(msg, f); ++i) {
          changed = SubstituteInStrings(*r->MutableRepeatedMessage(&msg, f, i), subs) || changed;
        }
      } else {
        changed = SubstituteInStrings(*r->MutableMessage(&msg, f), subs) || changed;
      }
    }
  }
  return changed;
}

bool SameValues(const MetadataEntry& a, const MetadataEntry& b) {
  if (a.values_size() != b.values_size()) return false;
  for (int i = 0; i < a.values_size(); ++i) {
    if (a.values(i).SerializeAsString() != b.values(i).SerializeAsString()) return false;
  }
  return true;
}

// The error of appending `messages` (their ids assigned) to `c`, whose
// messages `facts` are of: the stored message that comes first in `c` and
// either has the id of a new one (ALREADY_EXISTS, "message ... already
// exists") or has the request id of a new one of the same participant
// ("a message of request ..."; the id first when one message has both).
// Looks up the new messages only.
absl::Status CheckNewAgainstStored(const Conversation& c, const MessageFacts& facts,
                                   const std::vector<Message>& messages) {
  int first = -1;
  bool by_id = false;
  auto consider = [&](int at, bool id) {
    if (at < 0) return;
    if (first < 0 || at < first) {
      first = at;
      by_id = id;
    } else if (at == first) {
      by_id = by_id || id;
    }
  };
  for (const Message& n : messages) {
    consider(facts.FirstWithId(c, n.id()), true);
    if (!n.request_id().empty()) consider(facts.FirstWithRequest(c, n.participant_id(), n.request_id()), false);
  }
  if (first < 0) return absl::OkStatus();
  const Message& m = c.messages(first);
  if (by_id) return absl::AlreadyExistsError(absl::StrCat("message \"", m.id(), "\" already exists"));
  return absl::AlreadyExistsError(absl::StrCat("a message of request \"", m.request_id(),
                                               "\" already exists: \"", m.id(), "\""));
}

}  // namespace

MessageService::MessageService(ConversationService* conversations)
    : conversations_(conversations) {}

absl::StatusOr<std::vector<Message>> MessageService::AppendMessages(
    std::string_view tenant, std::string_view scope, std::string_view conversation_id,
    std::vector<Message> messages, const AppendOptions& options) {
  if (absl::Status s = CheckScope(scope); !s.ok()) return s;
  if (messages.empty()) return absl::InvalidArgumentError("no messages to append");
  // Ids are assigned once, so a retried write stores the same ones.
  std::set<std::string, std::less<>> batch_ids;
  for (Message& m : messages) {
    if (absl::Status s = AssignId(m.mutable_id(), "message"); !s.ok()) return s;
    if (!batch_ids.insert(m.id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("message id \"", m.id(), "\" is given twice"));
    }
  }
  store::Resource resource;
  store::ScrubUpdate extra;
  if (options.create_resource) {
    resource = ResourceService::Stored(*options.create_resource);
    extra.create_resource = &resource;
  }
  // An append (ConversationService::Append): the checks against the stored
  // messages look up the new ones in the message facts (kept with a live
  // conversation, ADR 0043), so the call's CPU does not grow with the
  // conversation.
  std::vector<Message> stored;
  absl::Status appended = conversations_->Append(
      tenant, scope, conversation_id,
      [&](const Conversation& c, const MessageFacts& facts, Conversation& tail) -> absl::Status {
        if (c.lifecycle() == core::COMPLETED && !options.allow_closed) {
          return absl::FailedPreconditionError(absl::StrCat(
              "conversation \"", c.id(), "\" is completed; no messages can be added"));
        }
        if (absl::Status s = CheckNewAgainstStored(c, facts, messages); !s.ok()) return s;
        int64_t last = facts.last_sequence_position();
        const int64_t now = NowMicros();
        stored.clear();
        for (Message m : messages) {
          if (m.has_sequence_position()) {
            if (m.sequence_position() <= last) {
              return absl::InvalidArgumentError(absl::StrCat(
                  "message \"", m.id(), "\" has sequence position ", m.sequence_position(),
                  ", which is not after the last one (", last, ")"));
            }
          } else {
            m.set_sequence_position(std::max<int64_t>(last + 1, c.messages_size() + tail.messages_size()));
          }
          last = m.sequence_position();
          m.set_create_time_us(now);
          m.set_update_time_us(now);
          if (m.state() == core::MESSAGE_STATE_UNSPECIFIED) m.set_state(core::MESSAGE_ACTIVE);
          *tail.add_messages() = m;
          stored.push_back(std::move(m));
        }
        if (options.turn_root_span != nullptr) {
          core::Turn* turn = tail.add_turns();
          for (size_t i = 0; i < stored.size(); ++i) turn->add_message_indices(c.messages_size() + static_cast<int>(i));
          *turn->mutable_root_span() = *options.turn_root_span;
        }
        if (options.also) return options.also(c, tail);
        return absl::OkStatus();
      },
      extra, options.snapshot, options.max_text_bytes);
  if (!appended.ok()) return appended;
  return stored;
}

std::optional<Message> MessageService::FindByRequestId(const Conversation& conversation,
                                                      std::string_view participant_id,
                                                      std::string_view request_id) {
  if (request_id.empty()) return std::nullopt;
  for (const Message& m : conversation.messages()) {
    if (m.request_id() == request_id && m.participant_id() == participant_id) return m;
  }
  return std::nullopt;
}

absl::StatusOr<Message> MessageService::DeleteMessage(std::string_view tenant,
                                                      std::string_view scope,
                                                      std::string_view conversation_id,
                                                      std::string_view message_id) {
  return UpdateReturning<Message>(
      *conversations_, tenant, scope, conversation_id,
      [&](Conversation& c, Message& out) -> absl::Status {
        if (!AllowsMessageDeletion(c.source())) {
          return absl::FailedPreconditionError(absl::StrCat(
              "messages of conversation \"", c.id(), "\" cannot be deleted: only conversations "
              "from STUDIO_SYNTHETIC_ANNOTATION, STUDIO_USER_DEFINED, OPERA_SYNTHETIC or "
              "OPERA_SIMULATION allow it"));
        }
        Message* m = FindMessage(c, message_id);
        if (m == nullptr || m->state() == core::MESSAGE_DELETED) return MessageNotFound(message_id);
        const int64_t now = NowMicros();
        m->clear_text();
        m->clear_text_html();
        m->clear_chunks();
        m->clear_words();
        m->clear_email();
        m->clear_original_event_json();
        m->clear_bot_data_json();
        m->clear_redactions();
        m->set_state(core::MESSAGE_DELETED);
        m->set_update_time_us(now);
        Event* e = AddEvent(c, core::EVENT_MESSAGE_DELETED, now);
        e->set_message_id(m->id());
        e->mutable_message_deleted()->set_participant_id(m->participant_id());
        out = *m;
        return absl::OkStatus();
      });
}

absl::StatusOr<Message> MessageService::RedactMessage(std::string_view tenant,
                                                      std::string_view scope,
                                                      std::string_view conversation_id,
                                                      std::string_view message_id,
                                                      std::vector<ByteRange> ranges,
                                                      std::string_view moment) {
  if (absl::Status s = CheckScope(scope); !s.ok()) return s;
  if (ranges.empty()) return absl::InvalidArgumentError("no byte range to redact");
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.start < b.start; });
  for (size_t i = 0; i < ranges.size(); ++i) {
    const ByteRange& r = ranges[i];
    if (r.start < 0 || r.end <= r.start) {
      return absl::InvalidArgumentError(absl::StrCat("invalid byte range [", r.start, ", ", r.end,
                                                     "): it must be non-empty and start at 0 or later"));
    }
    if (!r.info_type.empty() && !IsInfoType(r.info_type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid info type \"", r.info_type, "\": 1 to 64 of letters, digits, '_', '.', '-'"));
    }
    if (i > 0 && r.start < ranges[i - 1].end) {
      return absl::InvalidArgumentError(absl::StrCat(
          "byte ranges [", ranges[i - 1].start, ", ", ranges[i - 1].end, ") and [", r.start, ", ",
          r.end, ") overlap"));
    }
  }
  const std::vector<Piece> pieces = ToPieces(ranges);
  // What this attempt's `mutate` removed, for the stored analyses, which may
  // quote it (summaries, entity mentions, PII findings, phrase-match
  // contexts...): each string field of each of them gets the replacement the
  // text got, in the same transaction (store::ScrubUpdate). Offsets and
  // indices in them are left as they are. Then the store scrubs its files.
  Substitutions subs;
  store::ScrubUpdate scrub;
  scrub.rewrite_analysis = [&subs](core::Analysis& a) { return SubstituteInStrings(a, subs); };
  scrub.scrub_files = true;
  const absl::Status already_redacted(absl::StatusCode::kCancelled, "parley: already redacted");
  Message unchanged;
  auto redacted = UpdateReturning<Message>(
      *conversations_, tenant, scope, conversation_id,
      [&](Conversation& c, Message& out) -> absl::Status {
        Message* m = FindMessage(c, message_id);
        if (m == nullptr) return MessageNotFound(message_id);
        if (m->state() == core::MESSAGE_DELETED) {
          return absl::FailedPreconditionError(
              absl::StrCat("message \"", Sv(message_id), "\" is deleted"));
        }
        // Idempotent: when every range is already recorded (same offsets,
        // info type and moment), the text no longer holds what they named
        // and nothing is written.
        if (std::all_of(ranges.begin(), ranges.end(), [&](const ByteRange& r) {
              return std::any_of(m->redactions().begin(), m->redactions().end(),
                                 [&](const core::Redaction& d) {
                                   return d.start_byte() == r.start && d.end_byte() == r.end &&
                                          d.info_type() == r.info_type && d.moment() == moment;
                                 });
            })) {
          unchanged = *m;
          return already_redacted;
        }
        const std::string original = m->text();
        for (const ByteRange& r : ranges) {
          if (static_cast<size_t>(r.end) > original.size()) {
            return absl::InvalidArgumentError(absl::StrCat(
                "byte range [", r.start, ", ", r.end, ") is outside the message text (",
                original.size(), " bytes)"));
          }
          if (!IsCharBoundary(original, r.start) || !IsCharBoundary(original, r.end)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "byte range [", r.start, ", ", r.end,
                ") does not start and end on a UTF-8 character boundary"));
          }
        }
        subs.clear();
        for (const Piece& p : pieces) {
          subs.emplace_back(original.substr(p.start, p.end - p.start),
                            Replacement(*p.info_type, p.end - p.start));
        }
        std::stable_sort(subs.begin(), subs.end(), [](const auto& a, const auto& b) {
          return a.first.size() > b.first.size();
        });
        const int64_t now = NowMicros();
        m->set_text(ReplacePieces(original, pieces));
        RedactChunks(*m, original, pieces);
        RedactWords(*m, original, pieces);
        m->clear_text_html();
        Event* e = AddEvent(c, core::EVENT_MESSAGE_REDACTED, now);
        e->set_message_id(m->id());
        for (const ByteRange& r : ranges) {
          core::Redaction* red = m->add_redactions();
          red->set_start_byte(static_cast<int32_t>(r.start));
          red->set_end_byte(static_cast<int32_t>(r.end));
          red->set_info_type(r.info_type);
          red->set_moment(std::string(moment));
          red->set_time_us(now);
          *e->mutable_message_redacted()->add_redactions() = *red;
          if (!moment.empty()) {
            core::MomentAnnotation* a = c.add_moment_annotations();
            a->set_id(NewId());
            a->set_moment_id(std::string(moment));
            a->set_type(core::Moment::ENTITY);
            a->set_message_id(m->id());
            a->set_start_byte(red->start_byte());
            a->set_end_byte(red->end_byte());
            a->set_event_id(e->id());
            a->set_create_time_us(now);
          }
        }
        m->set_state(core::MESSAGE_REDACTED);
        m->set_update_time_us(now);
        out = *m;
        return absl::OkStatus();
      },
      scrub);
  if (!redacted.ok() && redacted.status() == already_redacted) return unchanged;
  return redacted;
}

absl::StatusOr<Participant> MessageService::AddParticipant(std::string_view tenant,
                                                           std::string_view scope,
                                                           std::string_view conversation_id,
                                                           Participant participant) {
  if (absl::Status s = CheckScope(scope); !s.ok()) return s;
  if (absl::Status s = AssignId(participant.mutable_id(), "participant"); !s.ok()) return s;
  auto updated = conversations_->Update(
      tenant, scope, conversation_id, [&](Conversation& c) -> absl::Status {
        if (FindParticipant(c, participant.id()) != nullptr) {
          return absl::AlreadyExistsError(
              absl::StrCat("participant \"", participant.id(), "\" already exists"));
        }
        *c.add_participants() = participant;
        Event* e = AddEvent(c, core::EVENT_PARTICIPANT_ADDED, NowMicros());
        e->set_participant_id(participant.id());
        e->mutable_participant_added()->set_participant_id(participant.id());
        e->mutable_participant_added()->set_role(participant.role());
        return absl::OkStatus();
      });
  if (!updated.ok()) return updated.status();
  return participant;
}

absl::StatusOr<Participant> MessageService::UpdateParticipant(
    std::string_view tenant, std::string_view scope, std::string_view conversation_id,
    std::string_view participant_id, const std::function<absl::Status(Participant&)>& mutate) {
  return UpdateReturning<Participant>(
      *conversations_, tenant, scope, conversation_id,
      [&](Conversation& c, Participant& out) -> absl::Status {
        Participant* p = FindParticipant(c, participant_id);
        if (p == nullptr) {
          return absl::NotFoundError(
              absl::StrCat("participant \"", Sv(participant_id), "\" not found"));
        }
        Participant next = *p;
        if (absl::Status s = mutate(next); !s.ok()) return s;
        if (next.id() != p->id()) {
          return absl::InvalidArgumentError("a participant's id cannot be changed");
        }
        if (p->role() != core::ROLE_UNSPECIFIED && next.role() != p->role()) {
          return absl::InvalidArgumentError("a participant's role cannot be changed once set");
        }
        *p = next;
        out = std::move(next);
        return absl::OkStatus();
      });
}

absl::StatusOr<MessageService::MetadataUpsert> MessageService::UpsertMetadata(
    std::string_view tenant, std::string_view scope, std::string_view conversation_id,
    const std::vector<MetadataEntry>& entries, core::MetadataSource source,
    const UpsertOptions& options) {
  if (absl::Status s = CheckScope(scope); !s.ok()) return s;
  if (entries.empty()) return absl::InvalidArgumentError("no metadata to upsert");
  std::set<std::string_view> keys;
  for (const MetadataEntry& e : entries) {
    if (e.key().empty()) return absl::InvalidArgumentError("metadata keys must not be empty");
    if (!keys.insert(e.key()).second) {
      return absl::InvalidArgumentError(absl::StrCat("metadata key \"", e.key(), "\" is given twice"));
    }
  }
  // When nothing changes the write is abandoned: `mutate` returns this
  // status and `unchanged` holds the conversation as read.
  const absl::Status no_change(absl::StatusCode::kCancelled, "parley: no metadata change");
  std::optional<Conversation> unchanged;
  Event event;
  auto updated = conversations_->Update(
      tenant, scope, conversation_id, [&](Conversation& c) -> absl::Status {
        unchanged.reset();
        const int64_t now = NowMicros();
        core::MetadataChanged changed;
        for (const MetadataEntry& given : entries) {
          MetadataEntry* stored = nullptr;
          for (MetadataEntry& m : *c.mutable_metadata()) {
            if (m.key() == given.key()) stored = &m;
          }
          if (stored != nullptr && stored->source() == source && SameValues(*stored, given)) continue;
          if (stored == nullptr) stored = c.add_metadata();
          stored->set_key(given.key());
          *stored->mutable_values() = given.values();
          stored->set_source(source);
          stored->set_update_time_us(now);
          *changed.add_set() = *stored;
        }
        if (changed.set_size() == 0) {
          unchanged = c;
          return no_change;
        }
        changed.set_source(source);
        Event* e = AddEvent(c, core::EVENT_METADATA_CHANGED, now);
        for (const MetadataEntry& set : changed.set()) {
          auto moment = options.annotate.find(set.key());
          if (moment == options.annotate.end()) continue;
          if (c.lifecycle() == core::COMPLETED && !options.annotate_completed) continue;
          core::MomentAnnotation* a = c.add_moment_annotations();
          a->set_id(NewId());
          a->set_moment_id(moment->second);
          a->set_type(core::Moment::CONVERSATION_METADATA);
          a->set_metadata_key(set.key());
          *a->mutable_values() = set.values();
          a->set_event_id(e->id());
          a->set_create_time_us(now);
        }
        *e->mutable_metadata_changed() = std::move(changed);
        event = *e;
        return absl::OkStatus();
      });
  if (!updated.ok()) {
    if (unchanged.has_value() && updated.status() == no_change) {
      return MetadataUpsert{*std::move(unchanged), std::nullopt};
    }
    return updated.status();
  }
  return MetadataUpsert{*std::move(updated), std::move(event)};
}

absl::StatusOr<Conversation> MessageService::Complete(std::string_view tenant,
                                                      std::string_view scope,
                                                      std::string_view conversation_id,
                                                      std::optional<int64_t> end_time_us,
                                                      std::string_view reason) {
  if (absl::Status s = CheckScope(scope); !s.ok()) return s;
  return conversations_->Update(
      tenant, scope, conversation_id, [&](Conversation& c) -> absl::Status {
        if (c.lifecycle() == core::COMPLETED) {
          return absl::FailedPreconditionError(
              absl::StrCat("conversation \"", c.id(), "\" is already completed"));
        }
        const int64_t now = NowMicros();
        const int64_t end = end_time_us.value_or(now);
        if (c.has_start_time_us() && end < c.start_time_us()) {
          return absl::InvalidArgumentError("the end time is before the conversation's start time");
        }
        c.set_lifecycle(core::COMPLETED);
        c.set_end_time_us(end);
        Event* e = AddEvent(c, core::EVENT_CONVERSATION_COMPLETED, now);
        e->mutable_completed()->set_end_time_us(end);
        e->mutable_completed()->set_reason(std::string(reason));
        return absl::OkStatus();
      });
}

absl::StatusOr<Conversation> MessageService::ChangeStage(std::string_view tenant,
                                                         std::string_view scope,
                                                         std::string_view conversation_id,
                                                         core::Stage stage,
                                                         std::string_view participant_id) {
  if (absl::Status s = CheckScope(scope); !s.ok()) return s;
  const absl::Status kUnchanged = absl::CancelledError("same stage");
  bool unchanged = false;
  auto updated = conversations_->Update(
      tenant, scope, conversation_id, [&](Conversation& c) -> absl::Status {
        unchanged = false;
        if (c.lifecycle() == core::COMPLETED) {
          return absl::FailedPreconditionError(
              absl::StrCat("conversation \"", c.id(), "\" is completed"));
        }
        if (c.stage() == stage) {
          unchanged = true;
          return kUnchanged;
        }
        Event* e = AddEvent(c, core::EVENT_STAGE_CHANGED, NowMicros());
        e->set_participant_id(std::string(participant_id));
        e->mutable_stage_changed()->set_from(c.stage());
        e->mutable_stage_changed()->set_to(stage);
        c.set_stage(stage);
        return absl::OkStatus();
      });
  if (!updated.ok() && unchanged) return conversations_->Get(tenant, scope, conversation_id);
  return updated;
}

bool MessageService::IsIdle(const Conversation& conversation, int64_t idle_us, int64_t now_us) {
  // The rule of Store::ListIdleConversations (and its index).
  return idle_us > 0 && conversation.lifecycle() == core::IN_PROGRESS &&
         conversation.stage() != core::STAGE_UNSPECIFIED && conversation.update_time_us() <= now_us - idle_us;
}

absl::StatusOr<Conversation> MessageService::CompleteIfIdle(std::string_view tenant,
                                                            std::string_view scope,
                                                            std::string_view conversation_id,
                                                            int64_t idle_us) {
  if (absl::Status s = CheckScope(scope); !s.ok()) return s;
  auto current = conversations_->Get(tenant, scope, conversation_id);
  if (!current.ok() || !IsIdle(*current, idle_us, NowMicros())) return current;
  // Written only while it is still idle: a write that got there first (a
  // message, a completion) wins and nothing is changed.
  const absl::Status kNotIdle = absl::CancelledError("not idle");
  auto updated = conversations_->Update(
      tenant, scope, conversation_id, [&](Conversation& c) -> absl::Status {
        const int64_t now = NowMicros();
        if (!IsIdle(c, idle_us, now)) return kNotIdle;
        const int64_t end = std::min(now, c.update_time_us() + idle_us);
        c.set_lifecycle(core::COMPLETED);
        c.set_end_time_us(c.has_start_time_us() ? std::max(end, c.start_time_us()) : end);
        Event* e = AddEvent(c, core::EVENT_CONVERSATION_COMPLETED, now);
        e->mutable_completed()->set_end_time_us(c.end_time_us());
        e->mutable_completed()->set_reason("idle");
        return absl::OkStatus();
      });
  if (!updated.ok() && updated.status() == kNotIdle) return conversations_->Get(tenant, scope, conversation_id);
  return updated;
}

absl::StatusOr<std::shared_ptr<const Conversation>> MessageService::ShareCompleteIfIdle(
    std::string_view tenant, std::string_view scope, std::string_view conversation_id, int64_t idle_us) {
  if (absl::Status s = CheckScope(scope); !s.ok()) return s;
  auto current = conversations_->Share(tenant, scope, conversation_id);
  if (!current.ok() || !IsIdle(**current, idle_us, NowMicros())) return current;
  current->reset();  // not held while it is completed
  auto completed = CompleteIfIdle(tenant, scope, conversation_id, idle_us);
  if (!completed.ok()) return completed.status();
  return std::make_shared<const Conversation>(std::move(*completed));
}

absl::StatusOr<int64_t> MessageService::CompleteIdle(int64_t idle_us) {
  if (idle_us <= 0) return 0;
  constexpr int kBatch = 500;
  int64_t completed = 0;
  for (;;) {
    auto keys = conversations_->ListIdle(idle_us, kBatch);
    if (!keys.ok()) return keys.status();
    int64_t now_completed = 0;
    for (const store::ConversationKey& k : *keys) {
      auto c = CompleteIfIdle(k.tenant, k.scope, k.id, idle_us);
      if (c.ok() && c->lifecycle() == core::COMPLETED) ++now_completed;
    }
    completed += now_completed;
    // A batch that completed none (each written meanwhile, or failing) would
    // come back the same: the next sweep retries it.
    if (static_cast<int>(keys->size()) < kBatch || now_completed == 0) return completed;
  }
}

}  // namespace parley::service
