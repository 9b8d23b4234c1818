#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and benchmarks: nothing depends
# on a system service.
#
#   scripts/pg-cluster.sh start STATE_DIR [--durable]
#   scripts/pg-cluster.sh stop STATE_DIR
#
# start creates the cluster in a fresh temporary directory (initdb, pg_ctl)
# as an unprivileged user (as root: the `nobody` user), listening only on a
# Unix socket in that directory on a random port, with a superuser `parley`
# and trust authentication. It writes into STATE_DIR (created if needed):
#   url      postgresql://parley@/postgres?host=SOCKET_DIR&port=PORT
#   pgdata   the cluster's directory (removed by stop)
# Without --durable the cluster runs with fsync=off: tests kill Parley, not
# PostgreSQL, and every commit is still a commit (synchronous_commit stays
# on); benchmarks pass --durable.
set -euo pipefail
cmd=${1:-}
state=${2:-}
if [ -z "$cmd" ] || [ -z "$state" ]; then
  echo "usage: $0 start|stop STATE_DIR [--durable]" >&2
  exit 2
fi
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
as_user=()
if [ "$(id -u)" = 0 ]; then as_user=(runuser -u nobody --); fi

stop() {
  [ -f "$state/pgdata" ] || return 0
  local dir
  dir=$(cat "$state/pgdata")
  if [ -d "$dir/data" ]; then
    "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  rm -f "$state/pgdata" "$state/url"
}

case "$cmd" in
  start)
    [ -x "$bindir/initdb" ] || { echo "pg-cluster: $bindir/initdb not found (apt-get install postgresql-15)" >&2; exit 1; }
    mkdir -p "$state"
    stop  # a cluster left over by an interrupted run
    dir=$(mktemp -d /tmp/parley-pg.XXXXXX)
    chmod 0755 "$dir"
    if [ ${#as_user[@]} -gt 0 ]; then chown nobody "$dir"; fi
    echo "$dir" >"$state/pgdata"
    "${as_user[@]}" "$bindir/initdb" -D "$dir/data" -U parley --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fsync=off
    if [ "${3:-}" = "--durable" ]; then fsync=on; fi
    # A random port (it only names the socket file: no TCP listener).
    for attempt in 1 2 3 4 5; do
      port=$((20000 + RANDOM % 20000))
      if "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -w -t 30 -l "$dir/server.log" start \
           -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p $port -c fsync=$fsync -c max_connections=200 -c shared_buffers=128MB" \
           >/dev/null 2>&1; then
        echo "postgresql://parley@/postgres?host=$dir&port=$port" >"$state/url"
        cat "$state/url"
        exit 0
      fi
    done
    cat "$dir/server.log" >&2
    exit 1
    ;;
  stop)
    stop
    ;;
  *)
    echo "usage: $0 start|stop STATE_DIR [--durable]" >&2
    exit 2
    ;;
esac
