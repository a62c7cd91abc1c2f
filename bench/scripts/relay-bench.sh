#!/bin/bash
# relay-bench.sh JAR WORKDIR [harness options...]: starts `sovereign serve` on 127.0.0.1:18090 with one remote node (the
# harness's stub on 18080, KR/high, models stub-model and stub-embedding), default tenant and PII policy, ledger and
# tenants store in WORKDIR (on its disk), then runs the shared gateway harness against it with nginx as the floor:
#   bench/scripts/relay-bench.sh server/target/sovereign.jar "$(mktemp -d)" [--no-stream] [--out DIR]
# Env: JAVA (default: JDK 25+ found by scripts/find-jdk.sh), HARNESS (default: bench/run-gateway-bench.sh under
#      $SOVEREIGN_FIXTURES, else ../shared beside the repo), PREWARM (30 s of load on serve first),
#      JOPTS (extra JVM options), JFR=1 records a profile to WORKDIR/relay.jfr.
set -u
jar=$(realpath "$1"); wd=$2; shift 2
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
if [ -z "${JAVA:-}" ]; then
  . "$root/scripts/find-jdk.sh"
  sovereign_find_jdk || exit 1
  JAVA="$JAVA_HOME/bin/java"
fi
harness=${HARNESS:-${SOVEREIGN_FIXTURES:-$root/../shared}/bench/run-gateway-bench.sh}
if [ ! -x "$harness" ]; then
  echo "relay-bench: no gateway harness at $harness (set HARNESS or SOVEREIGN_FIXTURES)" >&2
  exit 2
fi
rm -rf "$wd"; mkdir -p "$wd"; cd "$wd"
cat > sovereign.yaml <<YAML
server: { port: 18090, host: 127.0.0.1 }
models:
  - { name: stub-model, remote: true }
  - { name: stub-embedding, remote: true, kind: embedding }
nodes:
  - { id: stub, url: "http://127.0.0.1:18080/v1", engine: openai, jurisdiction: KR, tier: high, models: [stub-model, stub-embedding] }
routing: { health_interval_ms: 1000 }
YAML
bench=$(dirname "$harness")
"$bench/peers-up.sh" stub   # up before serve, so its first health probe finds the node
jfr=""
if [ "${JFR:-0}" = 1 ]; then jfr="-XX:StartFlightRecording=filename=$wd/relay.jfr,settings=profile"; fi
# the harness pins every PID listening on the target port to the gateway CPU
"$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx1g ${JOPTS:-} $jfr -jar "$jar" serve --config sovereign.yaml \
  > out.txt 2> err.txt &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; "$bench/peers-down.sh"' EXIT
for i in $(seq 1 100); do curl -sf http://127.0.0.1:18090/health/live > /dev/null 2>&1 && break; sleep 0.3; done
sleep 1.5
# JIT warm-up: at ~1-2k req/s the JVM is still compiling after the harness's own 5 s warm-up (perf: C2 took 37% of the
# gateway's core 20 s in), so serve gets PREWARM seconds (default 30) of wrk at c=16 first; the peers need none.
export WRK_BODY_FILE="$bench/bodies/chat.json"
taskset -c 1 wrk -t1 -c16 -d"${PREWARM:-30}"s -s "$bench/lib/post.lua" http://127.0.0.1:18090/v1/chat/completions > /dev/null
uptime
"$harness" http://127.0.0.1:18090 --name sovereign --peers "direct nginx" "$@"
uptime
