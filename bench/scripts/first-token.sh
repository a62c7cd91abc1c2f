#!/bin/bash
# first-token.sh MODEL.gguf [PORT]: time from exec of `sovereign serve --model m=MODEL` to /health/ready and to the first
# streamed token of a 1-token completion, then the same for a second request; peak RSS (VmHWM) of the serve process.
# Env: JAVA (default: JDK 25+ found by scripts/find-jdk.sh), JAR (default server/target/sovereign.jar), JOPTS (JVM options),
#      SERVE_ARGS (extra serve flags). The model's hash is cached by path, size and mtime: run once before timing.
set -u
model=$(realpath "$1"); port=${2:-18123}
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
if [ -z "${JAVA:-}" ]; then . "$root/scripts/find-jdk.sh"; sovereign_find_jdk || exit 1; JAVA="$JAVA_HOME/bin/java"; fi
jar=${JAR:-$root/server/target/sovereign.jar}
wd=$(mktemp -d); cd "$wd"
now() { date +%s.%N; }
start=$(now)
"$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC ${JOPTS:-} -jar "$jar" \
  serve --port "$port" --model "m=$model" ${SERVE_ARGS:-} > out.txt 2> err.txt &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$wd"' EXIT
until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null; do
  kill -0 $pid 2>/dev/null || { echo "serve exited:"; tail -5 err.txt; exit 1; }
  sleep 0.02
done
ready=$(now)
first() {  # seconds from now to the first data line of a streamed 1-token completion
  local t0; t0=$(now)
  curl -sN "http://127.0.0.1:$port/v1/completions" -H 'content-type: application/json' \
    -d '{"model":"m","prompt":"Once upon a time","max_tokens":1,"stream":true}' | grep -m1 '^data: {' >/dev/null
  echo "$(now) - $t0" | bc
}
t1=$(first); done1=$(now)
t2=$(first)
hwm=$(grep VmHWM /proc/$pid/status | awk '{print $2}')
printf 'ready %.2f s after exec; first token %.2f s after exec (request %.2f s); second request %.3f s; peak RSS %.0f MB (file %.0f MB)\n' \
  "$(echo "$ready - $start" | bc)" "$(echo "$done1 - $start" | bc)" "$t1" "$t2" "$(echo "$hwm / 1024" | bc)" "$(echo "$(stat -c %s "$model") / 1048576" | bc)"
