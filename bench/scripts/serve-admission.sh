#!/bin/bash
# serve-admission.sh JAR WORKDIR [store-url]: 200 warm-up + 1000 sequential POST /v1/completions (max_tokens 1) over one
# keep-alive connection to a fresh serve; prints mean/p50/p99 wall time per request. JAVA, MODEL (absolute path) override.
set -u
jar=$1; wd=$2; store=${3:-}; here=$(cd "$(dirname "$0")" && pwd)
rm -rf $wd; mkdir -p $wd; cd $wd
if [ -n "$store" ]; then echo "store: { url: \"$store\" }" > sovereign.yaml; fi
J=${JAVA:-java}
$J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx1g -jar $jar serve --port 0 --model stories=${MODEL:?set MODEL to the absolute path of stories260K.gguf} > out.txt 2> err.txt &
pid=$!; url=""
for i in $(seq 1 100); do url=$(head -1 out.txt 2>/dev/null); [ -n "$url" ] && break; sleep 0.3; done
port=${url##*:}
python3 "$here/serve-admission.py" 127.0.0.1 $port 1000
kill $pid; wait $pid 2>/dev/null
