#include "store/postgres/view_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/thread_name.h"

namespace parley::store::pg {
namespace {

// Round trips on the way at once. A read waits for the next one sent after
// it arrived; while this many are on the way, reads that arrive wait for the
// oldest to come back, and one round trip then answers all of them (fewer
// round trips for the database to answer when the machine is busy).
constexpr size_t kMaxInFlight = 2;
// PostgreSQL refuses payloads of 8,000 bytes or more; a longer key clears
// every cache (ids are far shorter).
constexpr size_t kMaxPayload = 7900;
constexpr std::string_view kClearAll = "*";
// A round trip this slow means the connection is gone.
constexpr int64_t kPingTimeoutNs = 5'000'000'000;
// Once a write has waited this long for the answers to its notification,
// marks go out, one at a time and at most one this often (a node whose
// listen connection came back after the write's COMMIT never saw it, but
// answers a mark).
constexpr int64_t kRemarkNs = 100'000'000;
// How long a departed node's id is kept out of lists read before its row
// was deleted.
constexpr int64_t kGoneNs = 10'000'000'000;

// The lease's clock: CLOCK_BOOTTIME, which unlike CLOCK_MONOTONIC (the
// steady clock) also runs while the machine is suspended, so that a node
// woken after longer than its lease does not count itself a leaseholder.
int64_t LeaseClockNs() {
  timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string NewNodeId() {
  std::random_device rd;
  const uint64_t hi = rd(), lo = rd();
  return absl::StrFormat("%016x", (hi << 32) ^ lo ^ static_cast<uint64_t>(LeaseClockNs()));
}

// "<tenant bytes>,<scope bytes>,<tenant><scope><id>": no separator can clash
// with a character of an id.
std::string Payload(std::string_view tenant, std::string_view scope, std::string_view id) {
  std::string p = absl::StrCat(tenant.size(), ",", scope.size(), ",", Sv(tenant), Sv(scope), Sv(id));
  return p.size() > kMaxPayload ? std::string(kClearAll) : p;
}

void Apply(ViewCache* cache, std::string_view payload) {
  std::vector<absl::string_view> parts = absl::StrSplit(Sv(payload), absl::MaxSplits(',', 2));
  size_t tenant = 0, scope = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &tenant) || !absl::SimpleAtoi(parts[1], &scope) ||
      tenant + scope > parts[2].size()) {
    cache->Clear();  // "*", or not ours: forget everything
    return;
  }
  const absl::string_view key = parts[2];
  cache->Invalidate(std::string_view(key.data(), tenant), std::string_view(key.data() + tenant, scope),
                    std::string_view(key.data() + tenant + scope, key.size() - tenant - scope));
}

// The lease statements. Each carries "parley_views" in a comment, as the
// LISTEN does, so that pg_stat_activity shows every statement of the listen
// connection under that name (tests find the connection by it).
//
// A tick: renews this node's lease (and sweeps rows of nodes gone an hour),
// then lists the other nodes holding one.
constexpr const char* kRenewAndList =
    "/* parley_views lease */ WITH renewed AS ("
    " INSERT INTO parley_view_nodes (node, lease_until)"
    " VALUES ($1, clock_timestamp() + $2::bigint * interval '1 microsecond')"
    " ON CONFLICT (node) DO UPDATE SET lease_until = EXCLUDED.lease_until RETURNING node),"
    " swept AS (DELETE FROM parley_view_nodes WHERE lease_until < clock_timestamp() - interval '1 hour')"
    " SELECT node FROM parley_view_nodes WHERE lease_until > clock_timestamp() AND node <> $1";
constexpr const char* kList =
    "/* parley_views lease */ SELECT node FROM parley_view_nodes"
    " WHERE lease_until > clock_timestamp() AND node <> $1";
// A mark or an answer: a signal, not data, so its commit does not wait for
// the WAL's flush (a crash of the database ends every listen connection, and
// with them every wait they could answer).
constexpr const char* kNotify =
    "/* parley_views mark */ SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)";
constexpr const char* kLeave =
    "/* parley_views leave */ WITH gone AS (DELETE FROM parley_view_nodes WHERE node = $1)"
    " SELECT pg_notify($2, $3)";

}  // namespace

absl::Status NotifyChanged(Conn& conn, std::string_view tenant, std::string_view scope,
                           std::string_view id, std::string_view tag) {
  // "w <node> <write> <key payload>" with a tag.
  const std::string payload =
      tag.empty() ? Payload(tenant, scope, id) : absl::StrCat("w ", Sv(tag), " ", Payload(tenant, scope, id));
  Params p;
  p.Text(kViewChannel).Text(payload);
  return conn.Exec("SELECT pg_notify($1, $2)", p).status();
}

ViewListener::ViewListener(std::string url, ViewCache* cache, bool lease)
    : url_(std::move(url)),
      cache_(cache),
      lease_(lease),
      node_(NewNodeId()),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  thread_ = std::thread([this] { Run(); });
  core::NameThread(thread_, "parley-pg-listen");
}

ViewListener::~ViewListener() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void ViewListener::Stop() { StopThread(/*leave=*/true); }
void ViewListener::Abandon() { StopThread(/*leave=*/false); }

void ViewListener::StopThread(bool leave) {
  {
    absl::MutexLock lock(&mu_);
    // No read is served without a round trip from here on; then the lease
    // is given up (Serve), so that writers stop waiting for this node.
    if (!stopping_) leave_ = leave;
    stopping_ = true;
    fast_ = false;
    fast_until_ns_.store(0);
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  FinishWaiters(/*all=*/true);
}

void ViewListener::Wake() {
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

bool ViewListener::Fast() const {
  const int64_t until = fast_until_ns_.load(std::memory_order_acquire);
  return until != 0 && LeaseClockNs() < until;
}

bool ViewListener::Sync(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  if (!up_ || stopping_) return false;
  // Round trips are numbered; the next to begin begins after this call.
  const uint64_t need = started_ + 1;
  WantLocked(need);
  struct Args {
    ViewListener* self;
    uint64_t need;
  } args{this, need};
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                             return a->self->done_ >= a->need || !a->self->up_ || a->self->stopping_;
                           },
                           &args),
                       timeout);
  return up_ && !stopping_ && done_ >= need;
}

void ViewListener::SyncAsync(absl::AnyInvocable<void(bool)> done) {
  {
    absl::MutexLock lock(&mu_);
    if (up_ && !stopping_) {
      const uint64_t need = started_ + 1;  // as Sync
      waiters_.push_back({need, absl::Now(), std::move(done)});
      WantLocked(need);
      return;
    }
  }
  done(false);  // not connected
}

void ViewListener::WantLocked(uint64_t need) {
  if (wanted_ >= need) return;  // asked for already (by a read since the last send)
  wanted_ = need;
  // The listener's thread sends it: the reading thread (a network thread)
  // pays neither the send nor the database backend's wake-up.
  Wake();
}

bool ViewListener::OthersHaveLocked(uint64_t write, uint64_t mark, int64_t now_ns) {
  // The list must be recent enough that a node missing from it cannot be
  // serving without round trips yet (it waits list_fresh + tick after
  // taking its lease, then makes a round trip: see UpdateLeaseLocked).
  if (list_sent_ns_ == 0 || now_ns - list_sent_ns_ > absl::ToInt64Nanoseconds(t_.list_fresh)) return false;
  const auto w = writes_.find(write);
  for (const std::string& node : members_) {
    if (w != writes_.end() && w->second.answered.contains(node)) continue;
    const auto it = answered_.find(node);
    if (it == answered_.end() || it->second < mark) return false;
  }
  return true;
}

bool ViewListener::AwaitedLongerLocked(int64_t ns, int64_t now_ns) const {
  return std::any_of(writes_.begin(), writes_.end(), [&](const auto& w) {
    return w.second.awaiting_since_ns != 0 && now_ns - w.second.awaiting_since_ns >= ns;
  });
}

size_t ViewListener::OnWayLocked(Query what) const {
  return std::count_if(pipe_.begin(), pipe_.end(), [&](const Pending& p) { return p.what == what; });
}

uint64_t ViewListener::BeginWrite() {
  absl::MutexLock lock(&mu_);
  const uint64_t write = ++writes_begun_;
  writes_.emplace(write, Write{});
  return write;
}

std::string ViewListener::WriteTag(uint64_t write) const { return absl::StrCat(node_, " ", write); }

void ViewListener::EndWrite(uint64_t write) {
  absl::MutexLock lock(&mu_);
  writes_.erase(write);
}

absl::Status ViewListener::AwaitOthers(uint64_t write) {
  absl::MutexLock lock(&mu_);
  int64_t now = LeaseClockNs();
  // Nobody else holds a lease: nothing to wait for (a node taking one now
  // serves without round trips only after one that begins after this).
  if (members_.empty() && OthersHaveLocked(write, 0, now)) {
    writes_.erase(write);
    return absl::OkStatus();
  }
  // The leaseholders answer the write's own notification. Should one not
  // (it reconnected since, and never saw it), a mark sent from now on is
  // answered as well (SendLocked sends one if the wait goes on).
  const uint64_t mark = marks_started_ + 1;
  if (auto it = writes_.find(write); it != writes_.end()) it->second.awaiting_since_ns = now;
  const int64_t deadline = now + absl::ToInt64Nanoseconds(t_.await_timeout);
  struct Args {
    ViewListener* self;
    uint64_t write, mark;
  } args{this, write, mark};
  bool ok = false;
  for (;;) {
    now = LeaseClockNs();
    if (OthersHaveLocked(write, mark, now)) {
      ok = true;
      break;
    }
    if (stopping_ || now >= deadline) break;
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                               return a->self->stopping_ || a->self->OthersHaveLocked(a->write, a->mark, LeaseClockNs());
                             },
                             &args),
                         absl::Milliseconds(20));
  }
  writes_.erase(write);
  if (!ok) {
    return absl::UnavailableError(
        "the write was committed, but the other Parley nodes could not be told of it in time "
        "(the database is unreachable from this node's listen connection)");
  }
  awaited_.fetch_add(1, std::memory_order_relaxed);
  return absl::OkStatus();
}

bool ViewListener::SendSyncLocked(int64_t now_ns) {
  if (PQpipelineSync(conn_) == 0) return false;
  ++started_;
  pipe_.push_back({Query::kSync, now_ns});
  return true;
}

bool ViewListener::SendQueryLocked(Query query, const std::string& sql,
                                   std::initializer_list<std::string> params, int64_t now_ns) {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                        nullptr, 0) == 0) {
    return false;
  }
  pipe_.push_back({query, now_ns});
  // Its own Sync: it commits at once, and counts as a round trip.
  return SendSyncLocked(now_ns);
}

bool ViewListener::SendLocked(int64_t now_ns) {
  if (conn_ == nullptr) return true;
  // A Sync alone: the backend answers it with a ReadyForQuery, sending every
  // notification it holds first. PQpipelineSync also flushes; what the
  // socket did not take at once goes out when it can (Serve's poll).
  if (wanted_ > started_ && OnWayLocked(Query::kSync) < kMaxInFlight) {
    if (!SendSyncLocked(now_ns)) return false;
    round_trips_.fetch_add(1, std::memory_order_relaxed);
  }
  // A mark when a write has waited a while for an answer (a node that
  // reconnected since never saw its notification), and again while the wait
  // goes on.
  if (OnWayLocked(Query::kMark) == 0 && now_ns - last_mark_ns_ > kRemarkNs &&
      AwaitedLongerLocked(kRemarkNs, now_ns)) {
    const uint64_t mark = marks_started_ + 1;
    if (!SendQueryLocked(Query::kMark, kNotify,
                         {std::string(kNodeChannel), absl::StrCat("m ", node_, " ", mark)}, now_ns)) {
      return false;
    }
    marks_started_ = mark;
    last_mark_ns_ = now_ns;
  }
  // Answers to other nodes' writes and marks, in one notification:
  // "a <this node> <node> m<mark> <node> w<write>,<write>,..." (what does not
  // fit goes in the next).
  if (!to_answer_.empty() && OnWayLocked(Query::kAcks) == 0) {
    std::string payload = absl::StrCat("a ", node_);
    for (auto it = to_answer_.begin(); it != to_answer_.end() && payload.size() < kMaxPayload - 100;) {
      Owed& owed = it->second;
      if (owed.mark != 0) absl::StrAppend(&payload, " ", it->first, " m", owed.mark);
      owed.mark = 0;
      size_t n = 0;
      if (!owed.writes.empty()) {
        absl::StrAppend(&payload, " ", it->first, " w");
        for (; n < owed.writes.size() && payload.size() < kMaxPayload - 100; ++n) {
          absl::StrAppend(&payload, n == 0 ? "" : ",", owed.writes[n]);
        }
      }
      owed.writes.erase(owed.writes.begin(), owed.writes.begin() + n);
      it = owed.writes.empty() ? to_answer_.erase(it) : std::next(it);
    }
    if (!SendQueryLocked(Query::kAcks, kNotify, {std::string(kNodeChannel), payload}, now_ns)) return false;
  }
  if (OnWayLocked(Query::kTick) == 0 && now_ns >= next_tick_ns_) {
    const bool sent =
        lease_ ? SendQueryLocked(Query::kTick, kRenewAndList,
                                 {node_, absl::StrCat(absl::ToInt64Microseconds(t_.lease))}, now_ns)
               : SendQueryLocked(Query::kTick, kList, {node_}, now_ns);
    if (!sent) return false;
    next_tick_ns_ = now_ns + absl::ToInt64Nanoseconds(t_.tick);
  }
  return true;
}

void ViewListener::LeaseLapsedLocked() {
  held_since_ns_ = 0;
  lease_until_ns_ = 0;
  join_sync_ = 0;
  fast_ = false;
  fast_until_ns_.store(0);
}

void ViewListener::UpdateLeaseLocked(int64_t now_ns) {
  if (!lease_ || !up_ || stopping_) return;
  if (lease_until_ns_ != 0 && now_ns >= lease_until_ns_) LeaseLapsedLocked();
  if (held_since_ns_ != 0 && !fast_) {
    // Every writer's list is at most list_fresh old: once the lease has been
    // held longer (a tick more for good measure), every writer's list has
    // this node. A round trip begun after that orders every write
    // acknowledged without waiting for this node before it.
    if (join_sync_ == 0 &&
        now_ns >= held_since_ns_ + absl::ToInt64Nanoseconds(t_.list_fresh + t_.tick)) {
      join_sync_ = started_ + 1;
      WantLocked(join_sync_);
    } else if (join_sync_ != 0 && done_ >= join_sync_) {
      fast_ = true;
    }
  }
  fast_until_ns_.store(fast_ ? lease_until_ns_ : 0, std::memory_order_release);
}

void ViewListener::TakeTickLocked(const Pending& p, PGresult* r, int64_t now_ns) {
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return;
  // The list of the other leaseholders, as of after the query was sent.
  for (auto it = gone_.begin(); it != gone_.end();) it = it->second < now_ns ? gone_.erase(it) : std::next(it);
  members_.clear();
  for (int i = 0; i < PQntuples(r); ++i) {
    std::string node(PQgetvalue(r, i, 0), PQgetlength(r, i, 0));
    if (!gone_.contains(node)) members_.insert(std::move(node));
  }
  for (auto it = answered_.begin(); it != answered_.end();) {
    it = members_.contains(it->first) ? std::next(it) : answered_.erase(it);
  }
  list_sent_ns_ = p.sent_ns;
  if (lease_) {
    // Renewed: PostgreSQL's lease runs from after the send; this node counts
    // its own from the send, less the margin.
    if (lease_until_ns_ == 0 || now_ns >= lease_until_ns_) {
      LeaseLapsedLocked();
      held_since_ns_ = now_ns;
    }
    lease_until_ns_ = p.sent_ns + absl::ToInt64Nanoseconds(t_.lease - t_.margin);
  }
}

void ViewListener::ApplyNotifiesLocked(PGconn* conn) {
  while (PGnotify* n = PQnotifies(conn)) {
    const std::string_view channel = n->relname != nullptr ? n->relname : "";
    std::string_view payload = n->extra != nullptr ? n->extra : "";
    if (channel != kNodeChannel) {
      // "w <node> <write> <key payload>": a tagged write, answered once
      // its views are gone.
      std::vector<absl::string_view> w = absl::StrSplit(Sv(payload), absl::MaxSplits(' ', 3));
      uint64_t write = 0;
      if (w.size() == 4 && w[0] == "w" && absl::SimpleAtoi(w[2], &write)) {
        Apply(cache_, std::string_view(w[3].data(), w[3].size()));
        if (w[1] != Sv(node_) && lease_) to_answer_[std::string(w[1])].writes.push_back(write);
      } else {
        Apply(cache_, payload);
      }
      PQfreemem(n);
      continue;
    }
    std::vector<absl::string_view> w = absl::StrSplit(Sv(payload), ' ', absl::SkipEmpty());
    uint64_t mark = 0;
    if (w.size() == 3 && w[0] == "m" && w[1] != Sv(node_) && lease_ && absl::SimpleAtoi(w[2], &mark)) {
      // Every notification before it is applied: answer after them.
      uint64_t& to = to_answer_[std::string(w[1])].mark;
      to = std::max(to, mark);
    } else if (w.size() >= 2 && w[0] == "a") {
      const std::string from(w[1]);
      for (size_t i = 2; i + 1 < w.size(); i += 2) {
        if (w[i] != Sv(node_) || w[i + 1].empty()) continue;
        const absl::string_view what = w[i + 1].substr(1);
        if (w[i + 1][0] == 'm' && absl::SimpleAtoi(what, &mark)) {
          uint64_t& got = answered_[from];
          got = std::max(got, mark);
        } else if (w[i + 1][0] == 'w') {
          for (absl::string_view one : absl::StrSplit(what, ',')) {
            uint64_t write = 0;
            if (!absl::SimpleAtoi(one, &write)) continue;
            if (auto it = writes_.find(write); it != writes_.end()) it->second.answered.insert(from);
          }
        }
      }
    } else if (w.size() == 2 && w[0] == "l") {
      // Gone (it serves nothing without round trips any more): no write
      // waits for it, nor for it in lists read before its row went.
      members_.erase(std::string(w[1]));
      gone_[std::string(w[1])] = LeaseClockNs() + kGoneNs;
    }
    PQfreemem(n);
  }
}

void ViewListener::FinishWaiters(bool all) {
  std::vector<std::pair<absl::AnyInvocable<void(bool)>, bool>> ready;
  {
    absl::MutexLock lock(&mu_);
    if (waiters_.empty()) return;
    const absl::Time late = absl::Now() - absl::Milliseconds(250);  // Sync's timeout
    // Waiters are in the order of their round trips; late ones are the oldest.
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      const bool back = !all && it->need <= done_;
      if (all || back || it->since < late) {
        ready.emplace_back(std::move(it->done), back);
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [done, ok] : ready) done(ok);
}

void ViewListener::SetDown() {
  {
    absl::MutexLock lock(&mu_);
    up_ = false;
    // A round trip that was under way never comes back: the next one gets its
    // number, so that a Sync waiting for it is served by the next connection.
    started_ = done_;
    wanted_ = std::min(wanted_, started_);
    // Notifications may be lost until the next LISTEN: the lease is taken
    // again from the start (the row's lease runs out meanwhile, or is renewed
    // by the next connection; writers wait for this node's answers to their
    // marks on it either way).
    LeaseLapsedLocked();
    to_answer_.clear();
  }
  FinishWaiters(/*all=*/true);
}

void ViewListener::Run() {
  int backoff_ms = 20;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::StatusOr<std::unique_ptr<Conn>> conn = Conn::Open(url_);
    if (conn.ok()) {
      connects_.fetch_add(1);
      Serve((*conn)->raw());
      backoff_ms = 20;
    }
    SetDown();
    // Entries inserted while nobody listened may be stale: gone before the
    // next connection serves any (Serve clears again after its LISTEN).
    cache_->Clear();
    pollfd wake{wake_fd_, POLLIN, 0};
    if (poll(&wake, 1, conn.ok() ? 0 : backoff_ms) > 0) {
      uint64_t n;
      (void)!read(wake_fd_, &n, sizeof n);
    }
    backoff_ms = std::min(backoff_ms * 2, 1000);
  }
}

void ViewListener::Serve(PGconn* conn) {
  for (std::string_view channel : {kViewChannel, kNodeChannel}) {
    PGresult* r = PQexec(conn, absl::StrCat("LISTEN ", Sv(channel)).c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) return;
  }
  // Round trips are Syncs of pipeline mode, several on the way at once;
  // nothing here blocks.
  if (PQenterPipelineMode(conn) == 0 || PQsetnonblocking(conn, 1) != 0) return;
  // Whatever was written before the LISTEN took effect was never notified:
  // forget it all (reads that raced with this re-read, as the clear advances
  // the cache's generation).
  cache_->Clear();
  {
    absl::MutexLock lock(&mu_);
    conn_ = conn;
    pipe_.clear();
    next_tick_ns_ = 0;
    up_ = true;
  }
  struct Detach {  // the connection is closed once Serve returns
    ViewListener* self;
    ~Detach() {
      absl::MutexLock lock(&self->mu_);
      self->conn_ = nullptr;
      self->pipe_.clear();
    }
  } detach{this};
  bool leaving = false;
  int64_t leave_deadline_ns = 0;
  for (;;) {
    bool waiting, unsent;
    int timeout_ms = 1000;
    {
      absl::MutexLock lock(&mu_);
      const int64_t now = LeaseClockNs();
      if (stopping_) {
        if (!leave_ || !lease_) return;
        if (!leaving) {
          // Gives the lease up: the others drop this node at once.
          leaving = true;
          leave_deadline_ns = now + 1'000'000'000;
          if (!SendQueryLocked(Query::kLeave, kLeave,
                               {node_, std::string(kNodeChannel), absl::StrCat("l ", node_)}, now)) {
            return;
          }
        }
        if (now >= leave_deadline_ns || OnWayLocked(Query::kLeave) == 0) return;
      } else {
        UpdateLeaseLocked(now);
        // The round trip reads that arrived since the last one wait for
        // (woken by them, or one came back while kMaxInFlight were on the
        // way), marks, answers, the tick.
        if (!SendLocked(now)) return;
        timeout_ms = static_cast<int>(std::clamp<int64_t>((next_tick_ns_ - now) / 1'000'000 + 1, 1, 1000));
      }
      waiting = !waiters_.empty();
      if (waiting || AwaitedLongerLocked(0, now) /* any waits */ || leaving) timeout_ms = std::min(timeout_ms, 20);
      const int flushed = PQflush(conn);
      if (flushed < 0) return;
      unsent = flushed > 0;
    }
    pollfd fds[2] = {{PQsocket(conn), static_cast<short>(POLLIN | (unsent ? POLLOUT : 0)), 0},
                     {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, timeout_ms) < 0) continue;  // EINTR
    if (fds[1].revents & POLLIN) {
      uint64_t n;
      (void)!read(wake_fd_, &n, sizeof n);
    }
    bool came_back = false;
    {
      absl::MutexLock lock(&mu_);
      const int64_t now = LeaseClockNs();
      if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) && PQconsumeInput(conn) == 0) return;  // lost
      ApplyNotifiesLocked(conn);
      if (PQstatus(conn) != CONNECTION_OK) return;
      while (!pipe_.empty() && PQisBusy(conn) == 0) {
        const Pending p = pipe_.front();
        PGresult* r = PQgetResult(conn);
        if (p.what != Query::kSync) {  // a query's results, then a null at their end
          if (r == nullptr) pipe_.pop_front();
          if (r != nullptr && p.what == Query::kTick) TakeTickLocked(p, r, now);
          PQclear(r);
          continue;
        }
        if (r == nullptr) break;  // nothing more has arrived
        const ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st != PGRES_PIPELINE_SYNC) return;  // out of step: the connection is broken
        // Every notification sent before this ReadyForQuery is in libpq's
        // queue: applied before the round trip counts as back.
        ApplyNotifiesLocked(conn);
        pipe_.pop_front();
        ++done_;
        came_back = true;
      }
      const auto oldest_sync =
          std::find_if(pipe_.begin(), pipe_.end(), [](const Pending& p) { return p.what == Query::kSync; });
      if (!came_back && oldest_sync != pipe_.end() && now - oldest_sync->sent_ns > kPingTimeoutNs) {
        return;  // no answer: treat the connection as lost
      }
    }
    if (came_back || waiting) FinishWaiters(/*all=*/false);  // those back, and those waiting too long
  }
}

}  // namespace parley::store::pg
