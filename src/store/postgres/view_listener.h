// The view cache of a PostgreSQL node kept consistent with every other node
// on the database (ADR 0033): writers NOTIFY the key of each conversation they
// change inside the committing transaction; every node LISTENs on a
// connection of its own and drops those keys from its cache; and a read
// serves a cached entry only after a round trip on that connection that began
// after the read did (Sync), so every write acknowledged before the read
// began has had its notification processed. When the connection is lost the
// cache is cleared and no entry is served until the listener is back (the
// LISTEN, then a clear, then a successful round trip).
//
// Why a round trip orders it: PostgreSQL signals the listening backends when a
// notifying transaction commits, before its COMMIT returns to the writer; a
// backend that holds a pending notification sends it before the
// ReadyForQuery of its next command. So once a command sent after the
// writer's acknowledgement has come back on the listen connection, its
// notification has come back before it.
//
// The round trips are pipelined (ADR 0040): each is a bare Sync message of
// libpq's pipeline mode (answered by a ReadyForQuery, with no statement),
// sent by the listener's thread as soon as a read needs one, unless two are
// already on the way; one answers every read that began before it was sent.
// A read that arrives while round trips are on the way waits for the next one
// sent, never for one sent before it arrived.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <deque>
#include <string_view>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "store/postgres/pg.h"
#include "store/view_cache.h"

namespace parley::store::pg {

// The channel writers notify and nodes listen on.
inline constexpr std::string_view kViewChannel = "parley_views";

// Inside a write's transaction: tells every node (this one included) to drop
// its cached views of (tenant, scope, id) when the transaction commits.
absl::Status NotifyChanged(Conn& conn, std::string_view tenant, std::string_view scope,
                           std::string_view id);

class ViewListener {
 public:
  // Listens on `url` and keeps `cache` (which must outlive this) free of
  // entries other nodes changed. Connects in the background; until it has,
  // Sync fails.
  ViewListener(std::string url, ViewCache* cache);
  ~ViewListener();  // Stop()
  // Closes the listen connection and ends the thread; Sync fails from then
  // on. Idempotent.
  void Stop();

  // True once a round trip on the listen connection that began after this
  // call has come back with every notification before it applied to the
  // cache; false (at once) while the listener is not connected, or after
  // `timeout`. A cached entry may be served only after a Lookup that
  // follows a true Sync.
  bool Sync(absl::Duration timeout = absl::Milliseconds(250));
  // Sync without waiting: `done` gets what Sync would return, on the
  // listener's thread when the round trip is back (or on this one, at once,
  // while the listener is not connected). It must be quick: the listener
  // runs every waiter of a round trip in turn.
  void SyncAsync(absl::AnyInvocable<void(bool)> done);

  // How often the listen connection was (re)established, and round trips
  // completed: for tests and metrics.
  int64_t connects() const { return connects_.load(); }
  int64_t round_trips() const { return round_trips_.load(); }

 private:
  void Run();
  // One connection's life: LISTEN, clear, then notifications and round
  // trips until it fails or the listener stops.
  void Serve(PGconn* conn);
  // On the listener's thread: sends the round trip a read waits for
  // (started_ + 1 once wanted_ is beyond started_) if fewer than
  // kMaxInFlight are on the way; false if the connection failed to take it.
  bool SendLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A read needs round trip `need` (started_ + 1): asks the listener's
  // thread for it (one wake-up for all the reads until it is sent).
  void WantLocked(uint64_t need) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Wake();
  void SetDown();
  // Calls the SyncAsync waiters whose round trip is back with true, and
  // with false those waiting longer than a Sync would (all of them when
  // `all`, with false).
  void FinishWaiters(bool all);

  const std::string url_;
  ViewCache* const cache_;
  int wake_fd_ = -1;  // eventfd: a Sync wants a round trip, or stop
  std::atomic<int64_t> connects_{0};
  std::atomic<int64_t> round_trips_{0};  // sent

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool up_ ABSL_GUARDED_BY(mu_) = false;       // connected, LISTENing, cache cleared since
  uint64_t started_ ABSL_GUARDED_BY(mu_) = 0;  // round trips begun (numbered from 1)
  uint64_t done_ ABSL_GUARDED_BY(mu_) = 0;     // the last one that came back
  uint64_t wanted_ ABSL_GUARDED_BY(mu_) = 0;   // the highest one a Sync waits for
  // While up: the listen connection, in pipeline mode (used on the
  // listener's thread only, under mu_).
  PGconn* conn_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::deque<absl::Time> sent_ ABSL_GUARDED_BY(mu_);  // round trips on the way, oldest first
  struct Waiter {
    uint64_t need;  // the round trip it waits for
    absl::Time since;
    absl::AnyInvocable<void(bool)> done;
  };
  std::deque<Waiter> waiters_ ABSL_GUARDED_BY(mu_);  // of SyncAsync, oldest first
  std::thread thread_;
};

}  // namespace parley::store::pg
