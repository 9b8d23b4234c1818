// The view cache of a PostgreSQL node kept consistent with every other node
// on the database (ADR 0033): writers NOTIFY the key of each conversation they
// change inside the committing transaction; every node LISTENs on a
// connection of its own and drops those keys from its cache. A node serves a
// cached entry in one of two ways:
//
// - After a round trip (Sync) on that connection that began after the read
//   did, so every write acknowledged before the read began has had its
//   notification processed. Why a round trip orders it: PostgreSQL signals
//   the listening backends when a notifying transaction commits, before its
//   COMMIT returns to the writer; a backend that holds a pending notification
//   sends it before the ReadyForQuery of its next command. The round trips
//   are pipelined (ADR 0040): bare Syncs of libpq's pipeline mode, sent by the
//   listener's thread as soon as a read needs one, unless two are already on
//   the way; one answers every read that began before it was sent.
//
// - At once, while the node holds a view lease (ADR 0050): the writers wait
//   instead. A caching node registers in `parley_view_nodes` with a lease on
//   PostgreSQL's clock that its listener renews; a node's write, once
//   committed, is acknowledged only after every other node holding a lease
//   has applied its notification (which carries the writer's tag; each
//   leaseholder answers it on the `parley_nodes` channel once applied; a
//   node that missed it answers a mark the writer sends after its commit,
//   after applying everything before the mark) or has left the list of
//   leaseholders (its lease ran out, or it said goodbye). A node serves
//   reads without a round trip only while its own, more cautious, view of
//   its lease says it holds it, and only once every writer has had time to
//   learn of it (see ViewListener::Fast).
//
// When the connection is lost the cache is cleared and no entry is served
// until the listener is back (the LISTEN, then a clear, then a successful
// round trip); the lease then lapses and is taken again from the start.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "store/postgres/pg.h"
#include "store/view_cache.h"

namespace parley::store::pg {

// The channel writers notify and nodes listen on.
inline constexpr std::string_view kViewChannel = "parley_views";
// The channel of the view leases' marks, answers and departures.
inline constexpr std::string_view kNodeChannel = "parley_nodes";

// Inside a write's transaction: tells every node (this one included) to drop
// its cached views of (tenant, scope, id) when the transaction commits; with
// the write's tag (ViewListener::WriteTag), the leaseholders answer it.
absl::Status NotifyChanged(Conn& conn, std::string_view tenant, std::string_view scope,
                           std::string_view id, std::string_view tag = {});

// The timings of the view leases (ADR 0050): one set for every node, since a
// writer's trust in its list of leases and a new leaseholder's wait before it
// serves without round trips must agree.
struct ViewLeaseTimings {
  // A lease as PostgreSQL grants it (from clock_timestamp() when renewed).
  absl::Duration lease = absl::Seconds(2);
  // What a node takes off its own view of its lease: it stops serving
  // without round trips this long before PostgreSQL's lease ends (clock
  // rate differences and steps of PostgreSQL's clock up to this are safe).
  absl::Duration margin = absl::Milliseconds(500);
  // How often the listener renews its lease and reads the other leases.
  absl::Duration tick = absl::Milliseconds(250);
  // The oldest list of leases a writer trusts; a node serves without round
  // trips only once it has held its lease this long (plus a tick), so that
  // every writer's list has it.
  absl::Duration list_fresh = absl::Seconds(1);
  // A write waits at most this long for the other nodes, then fails
  // UNAVAILABLE (it has committed).
  absl::Duration await_timeout = absl::Seconds(5);
};

class ViewListener {
 public:
  // Listens on `url` and keeps `cache` (which must outlive this) free of
  // entries other nodes changed. Connects in the background; until it has,
  // Sync fails. With `lease`, the node takes a view lease and serves its
  // cache without round trips while it holds it (a node whose cache is off
  // listens only to answer for its writes).
  ViewListener(std::string url, ViewCache* cache, bool lease);
  ~ViewListener();  // Stop()
  // Gives up the lease (other nodes stop waiting for this one at once),
  // closes the listen connection and ends the thread; Sync fails from then
  // on. Idempotent.
  void Stop();
  // Ends the thread as a killed process would: no goodbye, the lease runs
  // out on PostgreSQL's clock (tests).
  void Abandon();

  // True while this node may serve a cached entry with no round trip: it
  // holds its lease (by its own cautious reckoning), has held it longer than
  // any writer's list of leases can be old, and a round trip begun after
  // that came back. A Lookup after a true Fast may be served.
  bool Fast() const;

  // True once a round trip on the listen connection that began after this
  // call has come back with every notification before it applied to the
  // cache; false (at once) while the listener is not connected, or after
  // `timeout`. A cached entry may be served after a Lookup that follows a
  // true Sync.
  bool Sync(absl::Duration timeout = absl::Milliseconds(250));
  // Sync without waiting: `done` gets what Sync would return, on the
  // listener's thread when the round trip is back (or on this one, at once,
  // while the listener is not connected). It must be quick: the listener
  // runs every waiter of a round trip in turn.
  void SyncAsync(absl::AnyInvocable<void(bool)> done);

  // A write that will notify begins: its number, whose WriteTag goes into
  // its notification. Each BeginWrite ends with AwaitOthers (committed) or
  // EndWrite (not).
  uint64_t BeginWrite();
  std::string WriteTag(uint64_t write) const;
  void EndWrite(uint64_t write);
  // After write `write` has committed: returns once every other node that
  // may be serving its cache without round trips has applied its
  // notification (answered it, or a mark sent after it), or has left the
  // list of leaseholders. UNAVAILABLE after
  // ViewLeaseTimings::await_timeout (the listener cannot reach the
  // database) or once stopped. Ends the write.
  absl::Status AwaitOthers(uint64_t write);

  // How often the listen connection was (re)established, the round trips
  // sent for reads, and the writes that waited for other nodes: for tests
  // and metrics.
  int64_t connects() const { return connects_.load(); }
  int64_t round_trips() const { return round_trips_.load(); }
  int64_t awaited() const { return awaited_.load(); }

 private:
  // What is on the way on the pipeline, oldest first: a Sync (its
  // ReadyForQuery), or a query (its results and their end; each is followed
  // by a Sync of its own).
  enum class Query { kSync, kTick, kMark, kAcks, kLeave };
  struct Pending {
    Query what;
    int64_t sent_ns;  // CLOCK_BOOTTIME, as every *_ns here
  };

  void Run();
  // One connection's life: LISTEN, clear, then notifications, round trips,
  // leases and marks until it fails or the listener stops.
  void Serve(PGconn* conn);
  // On the listener's thread: sends what is due (round trips reads wait
  // for, marks for writes that waited long, answers to other nodes' writes
  // and marks, the lease tick); false if the connection failed to take it.
  bool SendLocked(int64_t now_ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool SendQueryLocked(Query query, const std::string& sql, std::initializer_list<std::string> params,
                       int64_t now_ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool SendSyncLocked(int64_t now_ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How many of `what` are on the way.
  size_t OnWayLocked(Query what) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A tick's result: the list of the other leaseholders, and this node's
  // renewal.
  void TakeTickLocked(const Pending& p, PGresult* r, int64_t now_ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Notifications: views dropped, marks to answer, answers, departures.
  void ApplyNotifiesLocked(PGconn* conn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Advances the lease's state (joined, fast, lapsed).
  void UpdateLeaseLocked(int64_t now_ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether every other leaseholder has answered write `write` or mark `mark`.
  bool OthersHaveLocked(uint64_t write, uint64_t mark, int64_t now_ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether a write has been in AwaitOthers for `ns` or longer.
  bool AwaitedLongerLocked(int64_t ns, int64_t now_ns) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LeaseLapsedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A read needs round trip `need` (started_ + 1): asks the listener's
  // thread for it (one wake-up for all the reads until it is sent).
  void WantLocked(uint64_t need) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Wake();
  void SetDown();
  // Calls the SyncAsync waiters whose round trip is back with true, and
  // with false those waiting longer than a Sync would (all of them when
  // `all`, with false).
  void FinishWaiters(bool all);
  void StopThread(bool leave);

  const std::string url_;
  ViewCache* const cache_;
  const bool lease_;
  const ViewLeaseTimings t_{};
  const std::string node_;  // this listener's id: random, never reused
  int wake_fd_ = -1;  // eventfd: a Sync wants a round trip, or stop
  std::atomic<int64_t> connects_{0};
  std::atomic<int64_t> round_trips_{0};  // sent for reads
  std::atomic<int64_t> awaited_{0};
  // Until when reads need no round trip (0: they do).
  std::atomic<int64_t> fast_until_ns_{0};

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool leave_ ABSL_GUARDED_BY(mu_) = true;    // say goodbye when stopping
  bool up_ ABSL_GUARDED_BY(mu_) = false;      // connected, LISTENing, cache cleared since
  uint64_t started_ ABSL_GUARDED_BY(mu_) = 0;  // round trips (Syncs) begun (numbered from 1)
  uint64_t done_ ABSL_GUARDED_BY(mu_) = 0;     // the last one that came back
  uint64_t wanted_ ABSL_GUARDED_BY(mu_) = 0;   // the highest one a read waits for
  // While up: the listen connection, in pipeline mode (used on the
  // listener's thread only, under mu_).
  PGconn* conn_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::deque<Pending> pipe_ ABSL_GUARDED_BY(mu_);
  struct Waiter {
    uint64_t need;  // the round trip it waits for
    absl::Time since;
    absl::AnyInvocable<void(bool)> done;
  };
  std::deque<Waiter> waiters_ ABSL_GUARDED_BY(mu_);  // of SyncAsync, oldest first

  // The lease (when lease_).
  int64_t next_tick_ns_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t held_since_ns_ ABSL_GUARDED_BY(mu_) = 0;  // first renewal of the unbroken run (0: none)
  int64_t lease_until_ns_ ABSL_GUARDED_BY(mu_) = 0;  // own cautious end of the lease
  uint64_t join_sync_ ABSL_GUARDED_BY(mu_) = 0;     // the round trip that makes it fast
  bool fast_ ABSL_GUARDED_BY(mu_) = false;
  // The other nodes holding leases, from the last tick's list: a write waits
  // for each one's answer (a node drops out of the list once its lease has
  // run out on PostgreSQL's clock, or at once when it says goodbye).
  std::set<std::string> members_ ABSL_GUARDED_BY(mu_);
  int64_t list_sent_ns_ ABSL_GUARDED_BY(mu_) = 0;  // when the list's query was sent (0: none)
  std::map<std::string, int64_t> gone_ ABSL_GUARDED_BY(mu_);  // departed nodes, until when to ignore
  // Marks: this node's, numbered from 1, and the other nodes' answers.
  uint64_t marks_started_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_mark_ns_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, uint64_t> answered_ ABSL_GUARDED_BY(mu_);  // node -> highest mark it answered
  // This node's writes between BeginWrite and their end, numbered from 1.
  struct Write {
    int64_t awaiting_since_ns = 0;  // 0 until AwaitOthers
    std::set<std::string> answered;  // the nodes that answered it
  };
  uint64_t writes_begun_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, Write> writes_ ABSL_GUARDED_BY(mu_);
  // What this node owes each other node: the highest mark it saw, and the
  // writes it applied since its last answer.
  struct Owed {
    uint64_t mark = 0;
    std::vector<uint64_t> writes;
  };
  std::map<std::string, Owed> to_answer_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace parley::store::pg
