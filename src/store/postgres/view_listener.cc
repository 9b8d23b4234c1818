#include "store/postgres/view_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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
constexpr int kPingTimeoutMs = 5000;

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

void ApplyNotifies(PGconn* conn, ViewCache* cache) {
  while (PGnotify* n = PQnotifies(conn)) {
    Apply(cache, n->extra != nullptr ? n->extra : "");
    PQfreemem(n);
  }
}

}  // namespace

absl::Status NotifyChanged(Conn& conn, std::string_view tenant, std::string_view scope,
                           std::string_view id) {
  const std::string payload = Payload(tenant, scope, id);
  Params p;
  p.Text(kViewChannel).Text(payload);
  return conn.Exec("SELECT pg_notify($1, $2)", p).status();
}

ViewListener::ViewListener(std::string url, ViewCache* cache)
    : url_(std::move(url)), cache_(cache), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  thread_ = std::thread([this] { Run(); });
  core::NameThread(thread_, "parley-pg-listen");
}

ViewListener::~ViewListener() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void ViewListener::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  FinishWaiters(/*all=*/true);
}

void ViewListener::Wake() {
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
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

bool ViewListener::SendLocked() {
  if (conn_ == nullptr || wanted_ <= started_ || sent_.size() >= kMaxInFlight) return true;
  // A Sync alone: the backend answers it with a ReadyForQuery, sending every
  // notification it holds first. PQpipelineSync also flushes; what the
  // socket did not take at once goes out when it can (Serve's poll).
  if (PQpipelineSync(conn_) == 0) return false;
  ++started_;
  sent_.push_back(absl::Now());
  round_trips_.fetch_add(1, std::memory_order_relaxed);
  return true;
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
  {
    PGresult* r = PQexec(conn, absl::StrCat("LISTEN ", Sv(kViewChannel)).c_str());
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
    sent_.clear();
    up_ = true;
  }
  struct Detach {  // the connection is closed once Serve returns
    ViewListener* self;
    ~Detach() {
      absl::MutexLock lock(&self->mu_);
      self->conn_ = nullptr;
      self->sent_.clear();
    }
  } detach{this};
  for (;;) {
    bool waiting, unsent;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      waiting = !waiters_.empty();
      const int flushed = PQflush(conn);
      if (flushed < 0) return;
      unsent = flushed > 0;
    }
    pollfd fds[2] = {{PQsocket(conn), static_cast<short>(POLLIN | (unsent ? POLLOUT : 0)), 0},
                     {wake_fd_, POLLIN, 0}};
    // While SyncAsync waiters wait, often enough to give up on late ones.
    if (poll(fds, 2, /*ms=*/waiting ? 50 : 1000) < 0) continue;  // EINTR
    if (fds[1].revents & POLLIN) {
      uint64_t n;
      (void)!read(wake_fd_, &n, sizeof n);
    }
    bool came_back = false;
    {
      absl::MutexLock lock(&mu_);
      if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) && PQconsumeInput(conn) == 0) return;  // lost
      ApplyNotifies(conn, cache_);
      if (PQstatus(conn) != CONNECTION_OK) return;
      while (!sent_.empty() && PQisBusy(conn) == 0) {
        PGresult* r = PQgetResult(conn);
        if (r == nullptr) break;  // nothing more has arrived
        const ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st != PGRES_PIPELINE_SYNC) return;  // only Syncs are sent: the connection is broken
        // Every notification sent before this ReadyForQuery is in libpq's
        // queue: applied before the round trip counts as back.
        ApplyNotifies(conn, cache_);
        sent_.pop_front();
        ++done_;
        came_back = true;
      }
      // The round trip reads that arrived since the last one wait for (woken
      // by them, or one came back while kMaxInFlight were on the way).
      if (!SendLocked()) return;
      if (!came_back && !sent_.empty() && absl::Now() - sent_.front() > absl::Milliseconds(kPingTimeoutMs)) {
        return;  // no answer: treat the connection as lost
      }
    }
    if (came_back || waiting) FinishWaiters(/*all=*/false);  // those back, and those waiting too long
  }
}

}  // namespace parley::store::pg
