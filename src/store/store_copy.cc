#include "store/store_copy.h"

#include <openssl/evp.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/deterministic_bytes.h"
#include "store/status_macros.h"

namespace parley::store {
namespace {

// ---- paging through one kind ----

// Every record of one kind of a store, a page at a time, in key order.
template <typename T>
class Stream {
 public:
  // Returns up to `limit` records after `last` (null: from the start).
  using Fetch = std::function<absl::StatusOr<std::vector<T>>(const T* last, int limit)>;
  Stream(Fetch fetch, int batch) : fetch_(std::move(fetch)), batch_(std::max(1, batch)) {}

  // The next record, or null at the end.
  absl::StatusOr<const T*> Peek() {
    if (pos_ < page_.size()) return &page_[pos_];
    if (done_) return nullptr;
    std::unique_ptr<T> last;
    if (!page_.empty()) last = std::make_unique<T>(std::move(page_.back()));
    ASSIGN_OR_RETURN(page_, fetch_(last.get(), batch_));
    pos_ = 0;
    if (page_.size() < static_cast<size_t>(batch_)) done_ = true;
    if (page_.empty()) return nullptr;
    return &page_[0];
  }
  void Pop() { ++pos_; }

  // The whole next page (empty at the end), for copying.
  absl::StatusOr<std::vector<T>> NextPage() {
    if (done_) return std::vector<T>{};
    std::unique_ptr<T> last;
    if (!page_.empty()) last = std::make_unique<T>(page_.back());
    ASSIGN_OR_RETURN(page_, fetch_(last.get(), batch_));
    if (page_.size() < static_cast<size_t>(batch_)) done_ = true;
    return page_;
  }

 private:
  Fetch fetch_;
  const int batch_;
  std::vector<T> page_;
  size_t pos_ = 0;
  bool done_ = false;
};

Stream<ConversationDump> Conversations(Store& store, int batch) {
  return Stream<ConversationDump>(
      [&store](const ConversationDump* last, int limit) {
        if (last == nullptr) return store.DumpConversations(nullptr, limit);
        const core::Conversation& c = last->conversation;
        const ConversationKey key{c.tenant(), c.scope(), c.id()};
        return store.DumpConversations(&key, limit);
      },
      batch);
}

Stream<core::Operation> Operations(Store& store, int batch) {
  return Stream<core::Operation>(
      [&store](const core::Operation* last, int limit) { return store.DumpOperations(last, limit); }, batch);
}

Stream<Resource> Resources(Store& store, int batch) {
  return Stream<Resource>(
      [&store](const Resource* last, int limit) { return store.DumpResources(last, limit); }, batch);
}

// The audit log after seq `after`.
Stream<AuditEntry> Audit(Store& store, int64_t after, int batch) {
  return Stream<AuditEntry>(
      [&store, after](const AuditEntry* last, int limit) {
        AuditQuery q;
        q.after_seq = last != nullptr ? last->seq : after;
        q.limit = limit;
        return store.ListAudit(q);
      },
      batch);
}

using Setting = std::pair<std::string, std::string>;

Stream<Setting> Settings(Store& store) {
  return Stream<Setting>(
      [&store](const Setting* last, int) -> absl::StatusOr<std::vector<Setting>> {
        if (last != nullptr) return std::vector<Setting>{};
        ASSIGN_OR_RETURN(std::vector<Setting> settings, store.DumpSettings());
        std::erase_if(settings, [](const Setting& s) { return s.first == kCopyMarkKey; });
        return settings;
      },
      1 << 30);
}

// ---- content of a record ----

// Appends `v` with its length first, so that fields cannot run into each
// other.
void Field(std::string* out, std::string_view v) {
  const uint64_t n = v.size();
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out->append(v.data(), v.size());
}
void Field(std::string* out, int64_t v) { Field(out, std::string_view(absl::StrCat(v))); }

std::string Content(const core::Conversation& c) {
  std::string out;
  Field(&out, core::DeterministicBytes(c));
  return out;
}
std::string Content(const core::Conversation& c, const core::Analysis& a) {
  std::string out;
  Field(&out, c.tenant());
  Field(&out, c.scope());
  Field(&out, c.id());
  Field(&out, core::DeterministicBytes(a));
  return out;
}
std::string Content(const core::Conversation& c, const std::pair<std::string, std::string>& view) {
  std::string out;
  Field(&out, c.tenant());
  Field(&out, c.scope());
  Field(&out, c.id());
  Field(&out, view.first);
  Field(&out, view.second);
  return out;
}
std::string Content(const core::Operation& op) {
  std::string out;
  Field(&out, core::DeterministicBytes(op));
  return out;
}
std::string Content(const Resource& r) {
  std::string out;
  for (std::string_view f : {std::string_view(r.tenant), std::string_view(r.kind), std::string_view(r.id),
                             std::string_view(r.location)}) {
    Field(&out, f);
  }
  Field(&out, r.create_time_us);
  Field(&out, r.update_time_us);
  Field(&out, r.body);
  return out;
}
std::string Content(const AuditEntry& e) {
  std::string out;
  Field(&out, e.time_us);
  for (std::string_view f : {std::string_view(e.key), std::string_view(e.tenant), std::string_view(e.action),
                             std::string_view(e.resource), std::string_view(e.result)}) {
    Field(&out, f);
  }
  return out;
}
std::string Content(const Setting& s) {
  std::string out;
  Field(&out, s.first);
  Field(&out, s.second);
  return out;
}

// ---- tallies ----

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }
  std::string Hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, digest, &n);
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), n));
  }

 private:
  EVP_MD_CTX* ctx_;
};

struct Tally {
  KindCheck check;
  Sha256 source, destination;

  void Source(std::string_view content) {
    ++check.source_count;
    source.Update(content);
  }
  void Destination(std::string_view content) {
    ++check.destination_count;
    destination.Update(content);
  }
  void Note(std::string what) {
    if (check.first_difference.empty()) check.first_difference = std::move(what);
  }
  // A record on both sides under the same key.
  void Both(std::string_view source_content, std::string_view destination_content, const std::string& key) {
    Source(source_content);
    Destination(destination_content);
    if (source_content != destination_content) Note(absl::StrCat("differs: ", key));
  }
  void SourceOnly(std::string_view content, const std::string& key) {
    Source(content);
    Note(absl::StrCat("missing: ", key));
  }
};

class Tallies {
 public:
  Tally& Of(const std::string& kind) {
    std::unique_ptr<Tally>& t = by_kind_[kind];
    if (t == nullptr) {
      t = std::make_unique<Tally>();
      t->check.kind = kind;
    }
    return *t;
  }
  // Fixed kinds first, then the resource kinds by name.
  std::vector<KindCheck> Finish() {
    static constexpr std::string_view kOrder[] = {"conversations", "analyses", "views", "operations"};
    auto rank = [](const std::string& kind) {
      for (size_t i = 0; i < std::size(kOrder); ++i) {
        if (kind == kOrder[i]) return static_cast<int>(i);
      }
      if (kind == "audit_log") return 100;
      if (kind == "settings") return 101;
      return 50;  // resources/...
    };
    for (std::string_view k : kOrder) Of(std::string(k));
    Of("audit_log");
    Of("settings");
    std::vector<KindCheck> out;
    for (auto& [kind, t] : by_kind_) {
      t->check.source_sha256 = t->source.Hex();
      t->check.destination_sha256 = t->destination.Hex();
      out.push_back(t->check);
    }
    std::stable_sort(out.begin(), out.end(), [&](const KindCheck& a, const KindCheck& b) {
      return std::make_pair(rank(a.kind), a.kind) < std::make_pair(rank(b.kind), b.kind);
    });
    return out;
  }

 private:
  std::map<std::string, std::unique_ptr<Tally>> by_kind_;
};

// Walks two streams in key order (`less` orders two records by key),
// calling `both` for a key on both sides, `source_only` and
// `destination_only` for the others.
template <typename T, typename Less, typename Both, typename SourceOnly, typename DestinationOnly>
absl::Status Merge(Stream<T>& source, Stream<T>& destination, Less less, Both both,
                   SourceOnly source_only, DestinationOnly destination_only) {
  for (;;) {
    ASSIGN_OR_RETURN(const T* s, source.Peek());
    ASSIGN_OR_RETURN(const T* d, destination.Peek());
    if (s == nullptr && d == nullptr) return absl::OkStatus();
    if (s != nullptr && (d == nullptr || less(*s, *d))) {
      source_only(*s);
      source.Pop();
    } else if (s == nullptr || less(*d, *s)) {
      destination_only(*d);
      destination.Pop();
    } else {
      both(*s, *d);
      source.Pop();
      destination.Pop();
    }
  }
}

// The same over two sorted vectors (a conversation's analyses or views).
template <typename T, typename KeyOf, typename Both, typename SourceOnly, typename DestinationOnly>
void MergeSorted(const std::vector<T>& source, const std::vector<T>& destination, KeyOf key, Both both,
                 SourceOnly source_only, DestinationOnly destination_only) {
  size_t i = 0, j = 0;
  while (i < source.size() || j < destination.size()) {
    if (j == destination.size() || (i < source.size() && key(source[i]) < key(destination[j]))) {
      source_only(source[i++]);
    } else if (i == source.size() || key(destination[j]) < key(source[i])) {
      destination_only(destination[j++]);
    } else {
      both(source[i++], destination[j++]);
    }
  }
}

std::string KeyText(const core::Conversation& c) { return absl::StrCat(c.tenant(), "/", c.scope(), "/", c.id()); }

const std::string& ViewName(const std::pair<std::string, std::string>& v) { return v.first; }
const std::string& AnalysisId(const core::Analysis& a) { return a.id(); }

absl::Status VerifyConversations(Store& from, Store& to, const CopyOptions& options, Tallies& tallies) {
  Stream<ConversationDump> source = Conversations(from, options.batch);
  Stream<ConversationDump> destination = Conversations(to, options.batch);
  Tally& conversations = tallies.Of("conversations");
  Tally& analyses = tallies.Of("analyses");
  Tally& views = tallies.Of("views");
  int64_t done = 0;
  auto progress = [&] {
    if (options.on_batch && ++done % options.batch == 0) options.on_batch(done);
  };
  auto key = [](const ConversationDump& d) {
    return std::tie(d.conversation.tenant(), d.conversation.scope(), d.conversation.id());
  };
  auto missing = [&](const ConversationDump& s) {
    const std::string k = KeyText(s.conversation);
    conversations.SourceOnly(Content(s.conversation), "conversation " + k);
    for (const auto& a : s.analyses) analyses.SourceOnly(Content(s.conversation, a), "analysis of " + k);
    for (const auto& v : s.views) views.SourceOnly(Content(s.conversation, v), "view of " + k);
    progress();
  };
  auto extra = [&](const ConversationDump& d) {
    ++conversations.check.destination_only;
    analyses.check.destination_only += static_cast<int64_t>(d.analyses.size());
    views.check.destination_only += static_cast<int64_t>(d.views.size());
  };
  auto both = [&](const ConversationDump& s, const ConversationDump& d) {
    const std::string k = KeyText(s.conversation);
    conversations.Both(Content(s.conversation), Content(d.conversation), "conversation " + k);
    MergeSorted(
        s.analyses, d.analyses, AnalysisId,
        [&](const core::Analysis& a, const core::Analysis& b) {
          analyses.Both(Content(s.conversation, a), Content(d.conversation, b),
                        absl::StrCat("analysis ", a.id(), " of ", k));
        },
        [&](const core::Analysis& a) {
          analyses.SourceOnly(Content(s.conversation, a), absl::StrCat("analysis ", a.id(), " of ", k));
        },
        [&](const core::Analysis&) { ++analyses.check.destination_only; });
    MergeSorted(
        s.views, d.views, ViewName,
        [&](const auto& a, const auto& b) {
          views.Both(Content(s.conversation, a), Content(d.conversation, b),
                     absl::StrCat("view ", a.first, " of ", k));
        },
        [&](const auto& a) {
          views.SourceOnly(Content(s.conversation, a), absl::StrCat("view ", a.first, " of ", k));
        },
        [&](const auto&) { ++views.check.destination_only; });
    progress();
  };
  return Merge(
      source, destination,
      [&](const ConversationDump& a, const ConversationDump& b) { return key(a) < key(b); }, both, missing,
      extra);
}

// Verifies one kind whose records carry their own key: operations,
// resources, settings. `kind_of` names a record's tally, `key_text` its key.
template <typename T, typename KeyOf, typename KindOf, typename KeyName>
absl::Status VerifyKeyed(Stream<T> source, Stream<T> destination, Tallies& tallies, KeyOf key, KindOf kind_of,
                         KeyName key_text) {
  return Merge(
      source, destination, [&](const T& a, const T& b) { return key(a) < key(b); },
      [&](const T& s, const T& d) { tallies.Of(kind_of(s)).Both(Content(s), Content(d), key_text(s)); },
      [&](const T& s) { tallies.Of(kind_of(s)).SourceOnly(Content(s), key_text(s)); },
      [&](const T& d) { ++tallies.Of(kind_of(d)).check.destination_only; });
}

// The audit log: entries have no key of their own (seq is assigned by each
// store), so the source's are paired in order with the destination's after
// the mark.
absl::Status VerifyAudit(Store& from, Store& to, int64_t to_audit_after, const CopyOptions& options,
                         Tallies& tallies) {
  Tally& audit = tallies.Of("audit_log");
  {
    Stream<AuditEntry> before = Audit(to, 0, options.batch);
    for (;;) {
      ASSIGN_OR_RETURN(const AuditEntry* e, before.Peek());
      if (e == nullptr || e->seq > to_audit_after) break;
      ++audit.check.destination_only;
      before.Pop();
    }
  }
  Stream<AuditEntry> source = Audit(from, 0, options.batch);
  Stream<AuditEntry> destination = Audit(to, to_audit_after, options.batch);
  for (;;) {
    ASSIGN_OR_RETURN(const AuditEntry* s, source.Peek());
    ASSIGN_OR_RETURN(const AuditEntry* d, destination.Peek());
    if (s == nullptr && d == nullptr) return absl::OkStatus();
    if (d == nullptr) {
      audit.SourceOnly(Content(*s), absl::StrCat("audit entry seq ", s->seq));
      source.Pop();
    } else if (s == nullptr) {
      audit.Destination(Content(*d));
      audit.Note(absl::StrCat("unexpected: audit entry seq ", d->seq, " of the destination"));
      destination.Pop();
    } else {
      audit.Both(Content(*s), Content(*d), absl::StrCat("audit entry seq ", s->seq));
      source.Pop();
      destination.Pop();
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<std::string>> NonEmptyKinds(Store& store) {
  std::vector<std::string> kinds;
  ASSIGN_OR_RETURN(auto conversations, store.DumpConversations(nullptr, 1));
  if (!conversations.empty()) kinds.push_back("conversations");
  ASSIGN_OR_RETURN(auto operations, store.DumpOperations(nullptr, 1));
  if (!operations.empty()) kinds.push_back("operations");
  ASSIGN_OR_RETURN(auto resources, store.DumpResources(nullptr, 1));
  if (!resources.empty()) kinds.push_back("resources");
  AuditQuery q;
  q.limit = 1;
  ASSIGN_OR_RETURN(auto audit, store.ListAudit(q));
  if (!audit.empty()) kinds.push_back("audit_log");
  return kinds;
}

absl::StatusOr<int64_t> LastAuditSeq(Store& store) {
  int64_t last = 0;
  for (;;) {
    AuditQuery q;
    q.after_seq = last;
    q.limit = 10000;
    ASSIGN_OR_RETURN(std::vector<AuditEntry> page, store.ListAudit(q));
    if (page.empty()) return last;
    last = page.back().seq;
  }
}

absl::StatusOr<std::string> SettingsDigest(Store& store) {
  ASSIGN_OR_RETURN(std::vector<Setting> settings, Settings(store).NextPage());
  if (settings.empty()) return std::string();
  Sha256 sha;
  for (const Setting& s : settings) sha.Update(Content(s));
  return sha.Hex();
}

absl::StatusOr<std::string> CopyMark(Store& store) {
  ASSIGN_OR_RETURN(std::vector<Setting> settings, store.DumpSettings());
  for (const Setting& s : settings) {
    if (s.first == kCopyMarkKey) return s.second;
  }
  return std::string();
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> CopyStore(Store& from, Store& to,
                                                                       const CopyOptions& options) {
  std::vector<std::pair<std::string, int64_t>> copied;
  // Copies one kind page by page; `count` is how many records a page holds,
  // `missing` keeps those of a page the destination lacks.
  auto copy = [&](std::string_view kind, int64_t total, auto stream, auto missing, auto load,
                  auto count) -> absl::Status {
    if (options.on_kind) options.on_kind(kind, total);
    int64_t done = 0;
    for (;;) {
      ASSIGN_OR_RETURN(auto page, stream.NextPage());
      if (page.empty()) break;
      const int64_t n = count(page);
      ASSIGN_OR_RETURN(page, missing(std::move(page)));
      if (!page.empty()) RETURN_IF_ERROR(load(page));
      done += n;
      if (options.on_batch) options.on_batch(done);
    }
    copied.emplace_back(std::string(kind), done);
    return absl::OkStatus();
  };
  auto size = [](const auto& page) { return static_cast<int64_t>(page.size()); };
  // On a resumed copy, the records of a page whose keys the destination
  // (walked alongside in key order) holds are dropped.
  auto unless_in = [&](auto destination, auto key) {
    return [resume = options.resume, destination = std::make_shared<decltype(destination)>(std::move(destination)),
            key](auto page) -> absl::StatusOr<decltype(page)> {
      if (!resume) return page;
      decltype(page) out;
      for (auto& r : page) {
        bool present = false;
        for (;;) {
          ASSIGN_OR_RETURN(const auto* d, destination->Peek());
          if (d == nullptr || !(key(*d) < key(r))) {
            present = d != nullptr && !(key(r) < key(*d));
            break;
          }
          destination->Pop();
        }
        if (!present) out.push_back(std::move(r));
      }
      return out;
    };
  };
  int64_t total = 0;
  ASSIGN_OR_RETURN(auto by_tenant, from.CountConversationsByTenant());
  for (const auto& [tenant, n] : by_tenant) total += n;
  const int batch = options.batch;
  RETURN_IF_ERROR(copy(
      "conversations", total, Conversations(from, batch),
      unless_in(Conversations(to, batch),
                [](const ConversationDump& d) {
                  return std::tie(d.conversation.tenant(), d.conversation.scope(), d.conversation.id());
                }),
      [&](const std::vector<ConversationDump>& p) { return to.LoadConversations(p); }, size));
  RETURN_IF_ERROR(copy("operations", 0, Operations(from, batch),
                       unless_in(Operations(to, batch),
                                 [](const core::Operation& o) { return std::tie(o.tenant(), o.id()); }),
                       [&](const std::vector<core::Operation>& p) { return to.LoadOperations(p); }, size));
  RETURN_IF_ERROR(copy("resources", 0, Resources(from, batch),
                       unless_in(Resources(to, batch),
                                 [](const Resource& r) { return std::tie(r.tenant, r.kind, r.id); }),
                       [&](const std::vector<Resource>& p) { return to.LoadResources(p); }, size));
  // The audit log has no keys: a resumed copy skips as many entries as the
  // destination holds after the mark.
  int64_t audit_copied = 0;
  if (options.resume) {
    Stream<AuditEntry> there = Audit(to, options.to_audit_after, batch);
    for (;;) {
      ASSIGN_OR_RETURN(const AuditEntry* e, there.Peek());
      if (e == nullptr) break;
      ++audit_copied;
      there.Pop();
    }
  }
  RETURN_IF_ERROR(copy(
      "audit_log", 0, Audit(from, 0, batch),
      [&](std::vector<AuditEntry> page) -> absl::StatusOr<std::vector<AuditEntry>> {
        const int64_t skip = std::min<int64_t>(audit_copied, static_cast<int64_t>(page.size()));
        audit_copied -= skip;
        page.erase(page.begin(), page.begin() + skip);
        return page;
      },
      [&](const std::vector<AuditEntry>& p) { return to.LoadAudit(p); }, size));
  RETURN_IF_ERROR(copy(
      "settings", 0, Settings(from),
      [&](std::vector<Setting> page) -> absl::StatusOr<std::vector<Setting>> {
        if (!options.keep_destination_settings) return page;
        ASSIGN_OR_RETURN(std::vector<Setting> held, Settings(to).NextPage());
        std::erase_if(page, [&](const Setting& s) {
          return std::any_of(held.begin(), held.end(), [&](const Setting& h) { return h.first == s.first; });
        });
        return page;
      },
      [&](const std::vector<Setting>& p) { return to.LoadSettings(p); }, size));
  return copied;
}

absl::StatusOr<std::vector<KindCheck>> VerifyCopy(Store& from, Store& to, int64_t to_audit_after,
                                                  const CopyOptions& options) {
  Tallies tallies;
  int64_t total = 0;
  ASSIGN_OR_RETURN(auto by_tenant, from.CountConversationsByTenant());
  for (const auto& [tenant, n] : by_tenant) total += n;
  if (options.on_kind) options.on_kind("verify conversations", total);
  RETURN_IF_ERROR(VerifyConversations(from, to, options, tallies));
  if (options.on_kind) options.on_kind("verify the rest", 0);
  RETURN_IF_ERROR(VerifyKeyed(
      Operations(from, options.batch), Operations(to, options.batch), tallies,
      [](const core::Operation& o) { return std::tie(o.tenant(), o.id()); },
      [](const core::Operation&) { return std::string("operations"); },
      [](const core::Operation& o) { return absl::StrCat("operation ", o.tenant(), "/", o.id()); }));
  RETURN_IF_ERROR(VerifyKeyed(
      Resources(from, options.batch), Resources(to, options.batch), tallies,
      [](const Resource& r) { return std::tie(r.tenant, r.kind, r.id); },
      [](const Resource& r) { return "resources/" + r.kind; },
      [](const Resource& r) { return absl::StrCat(r.kind, " ", r.tenant, "/", r.id); }));
  RETURN_IF_ERROR(VerifyAudit(from, to, to_audit_after, options, tallies));
  RETURN_IF_ERROR(VerifyKeyed(
      Settings(from), Settings(to), tallies, [](const Setting& s) { return s.first; },
      [](const Setting&) { return std::string("settings"); },
      [](const Setting& s) { return "setting " + s.first; }));
  return tallies.Finish();
}

}  // namespace parley::store
