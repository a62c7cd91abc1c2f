#!/usr/bin/env bash
# Ledger durable-append benchmark next to PostgreSQL INSERT + COMMIT, in the same run.
# Starts a throwaway PostgreSQL cluster (fsync on, synchronous_commit on, trust auth, loopback)
# in a temporary directory, runs LedgerAppendBench, stops and removes the cluster.
#
#   mvn -B -pl bench -am package -DskipTests
#   scripts/ledger-bench.sh [LedgerAppendBench options, e.g. --threads 1,16,64,256 --seconds 10 --proof-size 1000000]
#
# PG_BIN (default /usr/lib/postgresql/15/bin) and PG_PORT (default: a free port) can be set.
# As root, the cluster runs as the user `nobody` (PostgreSQL refuses to run as root).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/find-jdk.sh"
sovereign_find_jdk
jar="$here/bench/target/benchmarks.jar"
[ -f "$jar" ] || { echo "build first: mvn -B -pl bench -am package -DskipTests" >&2; exit 1; }
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
port=${PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
work=$(mktemp -d /tmp/ledger-bench-XXXXXX)
chmod 755 "$work"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  as_pg=(runuser -u nobody --)
  chown nobody "$work"
fi
cleanup() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -U bench -A trust >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start \
  -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=300 -c shared_buffers=256MB" >/dev/null
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (fsync on, synchronous_commit on, wal_sync_method $("${as_pg[@]}" "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U bench -d postgres -Atc 'show wal_sync_method'))"
mkdir -p "$work/ledger"
"$JAVA_HOME/bin/java" -Xmx2g -cp "$jar" ai.sovereign.ledger.LedgerAppendBench \
  --dir "$work/ledger" --pg "jdbc:postgresql://127.0.0.1:$port/postgres?user=bench" "$@"
