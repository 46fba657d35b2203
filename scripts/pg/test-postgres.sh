#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and CI, from Debian's binaries, run as `postgres`.
#
#   scripts/pg/test-postgres.sh start [DIR]   initdb + pg_ctl start in DIR (default: a new temp
#                                             dir); prints `DODIL_TEST_PG_URL=postgres://…` (the
#                                             admin URL) and `DODIL_TEST_PG_DIR=DIR` on stdout
#   scripts/pg/test-postgres.sh stop DIR      stops the server of DIR by its pid, removes DIR
#   scripts/pg/test-postgres.sh halt|resume DIR   stops / starts the server again on its port, keeping
#                                             its data (outage tests)
#   scripts/pg/test-postgres.sh freeze|thaw DIR   SIGSTOP / SIGCONT the server and its backends by pid
#                                             (a hung server or a network partition, not a clean close)
#
# Loopback only (listen_addresses=127.0.0.1, a free port, no Unix socket outside DIR), trust
# authentication for the `postgres` role: this server exists for tests on one machine only.
# fsync stays on: the crash tests count acknowledged writes.
set -euo pipefail

pg_bin() {
  # Never trust PATH: Debian keeps the server binaries out of it. The newest version wins.
  local dir
  if command -v dpkg >/dev/null 2>&1; then
    dir=$(dpkg -L postgresql-15 2>/dev/null | grep -E '/bin/initdb$' | head -1 | xargs -r dirname || true)
    [[ -n "$dir" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return; }
  fi
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [[ -n "$dir" && -x "$dir/pg_ctl" ]] || { echo "test-postgres: no PostgreSQL binaries under /usr/lib/postgresql" >&2; exit 1; }
  echo "$dir"
}

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start() {
  local bin dir port
  bin=$(pg_bin)
  dir=${1:-$(mktemp -d /tmp/dodil-pg.XXXXXX)}
  mkdir -p "$dir"
  chmod 700 "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # A port can be taken between choosing and binding it; try a few.
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 -c shared_buffers=32MB" \
      start >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      echo "DODIL_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/postgres"
      echo "DODIL_TEST_PG_DIR=$dir"
      return
    fi
  done
  echo "test-postgres: could not start PostgreSQL; see $dir/server.log" >&2
  tail -20 "$dir/server.log" >&2 || true
  exit 1
}

stop() {
  local dir=${1:?usage: test-postgres.sh stop DIR}
  local pidfile="$dir/data/postmaster.pid"
  if [[ -f "$pidfile" ]]; then
    local pid
    pid=$(head -1 "$pidfile")
    # A test may have frozen the server with SIGSTOP; a stopped process ignores SIGINT until CONT.
    signal_cluster CONT "$dir" 2>/dev/null || true
    as_postgres "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || kill -KILL "$pid" 2>/dev/null || true
  fi
  case "$dir" in /tmp/dodil-pg.*) rm -rf "$dir" ;; *) rm -rf "$dir/data" "$dir/server.log" "$dir/initdb.log" ;; esac
}

postmaster_pid() {
  head -1 "${1:?DIR}/data/postmaster.pid"
}

halt() {
  as_postgres "$(pg_bin)/pg_ctl" -D "${1:?DIR}/data" -m fast -w -t 30 stop >/dev/null
}

resume() {
  local dir=${1:?DIR} port
  port=$(cat "$dir/port")
  as_postgres "$(pg_bin)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 -c shared_buffers=32MB" \
    start >/dev/null
}

# The postmaster and every backend it forked, by pid (never by name: other servers run here too).
signal_cluster() {
  local sig=$1 dir=${2:?DIR} pid
  pid=$(postmaster_pid "$dir")
  kill "-$sig" "$pid"
  for child in $(ps -o pid= --ppid "$pid"); do kill "-$sig" "$child" 2>/dev/null || true; done
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  halt) shift; halt "$@" ;;
  resume) shift; resume "$@" ;;
  freeze) shift; signal_cluster STOP "$@" ;;
  thaw) shift; signal_cluster CONT "$@" ;;
  *) echo "usage: $0 start [DIR] | stop DIR | halt DIR | resume DIR | freeze DIR | thaw DIR" >&2; exit 2 ;;
esac
