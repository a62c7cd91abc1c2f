#!/usr/bin/env bash
# End-to-end throughput of `sovereign pii scan` in MB of UTF-8 per CPU-second (user + system time of the whole process,
# JVM start included), on the seeded corpus of PiiThroughput (mixed Korean/English, one identifier per ~2 KB), written
# once as DIR/pii-100.txt (104.9 MB) and DIR/pii-1g.txt (the same ×9, 944 MB). The marginal rate, (CPU of the 944 MB run
# − CPU of the 105 MB run) / 839 MB, leaves out JVM start and JIT warm-up: it is the per-core rate of the scan itself.
# Needs the jar and the test classes (mvn -DskipTests package). Run it under the bench lock on a shared machine:
#   flock /tmp/sovereign-bench.lock scripts/pii-scan-bench.sh [DIR] [ROUNDS]
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$root/scripts/find-jdk.sh"
sovereign_find_jdk || exit 1
dir="${1:-/tmp/sovereign-pii-bench}"
rounds="${2:-3}"
mkdir -p "$dir"
if [ ! -f "$dir/pii-1g.txt" ]; then
  "$JAVA_HOME/bin/java" -cp "$root/policy/target/classes:$root/policy/target/test-classes" \
    ai.sovereign.policy.PiiThroughput 100 2000 "$dir/pii-100.txt"
  for _ in 1 2 3 4 5 6 7 8 9; do cat "$dir/pii-100.txt"; done > "$dir/pii-1g.txt"
fi
run() { # prints "cpu_seconds wall_seconds"
  /usr/bin/time -f "%U %S %e" -o "$dir/time.txt" "$JAVA_HOME/bin/java" -XX:+UseParallelGC \
    -jar "$root/server/target/sovereign.jar" pii scan "$1" > /dev/null
  awk '{printf "%.2f %.2f\n", $1 + $2, $3}' "$dir/time.txt"
}
small=$(stat -c %s "$dir/pii-100.txt")
large=$(stat -c %s "$dir/pii-1g.txt")
echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1); cpus: $(nproc); $(date -u +%FT%TZ)"
for r in $(seq "$rounds"); do
  read -r cs ws < <(run "$dir/pii-100.txt")
  read -r cl wl < <(run "$dir/pii-1g.txt")
  awk -v r="$r" -v s="$small" -v l="$large" -v cs="$cs" -v ws="$ws" -v cl="$cl" -v wl="$wl" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
    printf "round %d: 105 MB %.2f CPU-s %.2f s wall; 944 MB %.2f CPU-s %.2f s wall = %.0f MB/CPU-s end to end, %.0f MB/s wall; marginal %.0f MB/CPU-s; load %s\n",
      r, cs, ws, cl, wl, l / 1e6 / cl, l / 1e6 / wl, (l - s) / 1e6 / (cl - cs), load }'
done
