#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests.
#   scripts/test-postgres.sh start DIR   installs PostgreSQL from Debian packages when it is missing (as root, with apt),
#                                        initdb's DIR/pgdata (trust auth, loopback only, a free port) and starts it;
#                                        prints the JDBC URL on stdout.
#   scripts/test-postgres.sh stop DIR    stops that cluster (safe to call when it is not running).
# As root, the cluster runs as the 'postgres' user (PostgreSQL refuses to run as root).
set -euo pipefail

cmd="${1:-}"
dir="${2:-}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
# As root the cluster runs as 'postgres', which must reach its directory: a checkout under a private
# home (/root is 0700) cannot be used, so the cluster then lives in /tmp under a name derived from DIR.
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
  dir="/tmp/sovereign-test-pg-$(printf '%s' "$dir" | sha256sum | cut -c1-12)"
  mkdir -p "$dir"
fi
data="$dir/pgdata"

find_bin() {
  local b
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  b="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -n "$b" ] && [ -x "$b/initdb" ]; then
    echo "$b"
    return 0
  fi
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    if ! bin="$(find_bin)"; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test-postgres: installing PostgreSQL from Debian packages" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        bin="$(find_bin)" || { echo "test-postgres: PostgreSQL installed but initdb not found" >&2; exit 1; }
      else
        echo "test-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2
        exit 1
      fi
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    fi
    "$0" stop "$dir" >/dev/null 2>&1 || true
    rm -rf "$data"
    mkdir -p "$data"
    if [ "$(id -u)" = 0 ]; then
      chown postgres "$dir" "$data"
    fi
    chmod 700 "$data"
    as_owner "$bin/initdb" -D "$data" -U sovereign -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { echo "test-postgres: initdb failed:" >&2; cat "$dir/initdb.log" >&2; exit 1; }
    port=""
    for candidate in $(seq 55432 55532); do
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
        port="$candidate"
        break
      fi
    done
    [ -n "$port" ] || { echo "test-postgres: no free port in 55432-55532" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c max_connections=100 -c fsync=off" start >&2 \
      || { echo "test-postgres: start failed:" >&2; cat "$dir/postgres.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "jdbc:postgresql://127.0.0.1:$port/postgres?user=sovereign"
    ;;
  stop)
    bin="$(find_bin)" || exit 0
    if [ -f "$data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >&2 || true
    fi
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
