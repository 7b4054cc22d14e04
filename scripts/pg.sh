#!/usr/bin/env bash
# A throw-away PostgreSQL 15 server for tests and benchmarks: Debian's postgresql-15, a cluster
# made by initdb in a folder of its own, listening on loopback only on a random free port.
#   scripts/pg.sh start DIR   starts it (DIR is created; empty or absent) and prints its URL,
#                             postgresql://mutua@127.0.0.1:PORT/mutua; a DIR holding a cluster
#                             this script made is started again as it is, on a new port
#   scripts/pg.sh stop DIR    stops it (DIR stays, with its log: DIR/server.log)
# As root, the server runs as the `postgres` user (initdb refuses root). Nothing is durable on
# purpose (fsync off): it is for tests; point mutua at a real server with --db / MUTUA_DB.
# MUTUA_PG_OPTIONS adds server options (benchmarks: "-c shared_preload_libraries=pg_stat_statements").
set -euo pipefail
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
bin=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
if [ -z "$bin" ]; then
  echo "pg.sh: PostgreSQL 15 is not installed (scripts/setup.sh installs postgresql-15)" >&2
  exit 2
fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; chmod 700 "$dir"; fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    fresh=1
    if [ -f "$dir/data/PG_VERSION" ]; then
      fresh=0  # a cluster this script made before: started again as it is (benchmarks reuse theirs)
    else
      as_owner "$bin/initdb" -D "$dir/data" -U mutua --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
      }
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off \
          -c full_page_writes=off -c max_connections=100 -c shared_buffers=256MB ${MUTUA_PG_OPTIONS:-}" start >/dev/null || {
      cat "$dir/server.log" >&2
      exit 1
    }
    if [ "$fresh" = 1 ]; then as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U mutua mutua; fi
    echo "postgresql://mutua@127.0.0.1:$port/mutua"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
