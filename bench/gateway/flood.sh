#!/usr/bin/env bash
# The unauthenticated flood of issue 20 against the gateway jar, started as dev/up starts it
# (-Xms32m -Xmx256m -Xmn12m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:+UseSerialGC -XX:TieredStopAtLevel=1): 20 concurrent unsigned 25 MB posts to
# /webhooks/github sent the way a script sends them (curl, no Expect: 100-continue), half with a
# Content-Length, half chunked, while one signed push is sent. Prints the answers, the gateway's RSS
# and heap before and after, its peak RSS, and whether readiness and the signed push held.
#
#   ./mvnw -B -q -pl gateway -am package -DskipTests && bench/gateway/flood.sh
#   env: POSTS=20 SIZE_MB=25 GATEWAY_JAVA_OPTS (default: dev/up's)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${JAR:-$root/gateway/target/quarkus-app/quarkus-run.jar}"
payload="$root/gateway/src/test/resources/github/push.json"
POSTS="${POSTS:-20}"
SIZE_MB="${SIZE_MB:-25}"
GATEWAY_JAVA_OPTS="${GATEWAY_JAVA_OPTS:--Xms32m -Xmx256m -Xmn12m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
[ -f "$jar" ] || { echo "no $jar: ./mvnw -B -pl gateway -am package -DskipTests" >&2; exit 1; }

. "$here/lib.sh"
url="http://127.0.0.1:$http_port"

rss() { awk '/^VmRSS/ {print int($2/1024)}' "/proc/$gateway_pid/status"; }
hwm() { awk '/^VmHWM/ {print int($2/1024)}' "/proc/$gateway_pid/status"; }
heap() { # MB of heap in use (young + old generation), from the JVM itself
  jcmd "$gateway_pid" GC.heap_info 2>/dev/null | awk '/used/ && !/Metaspace|class space/ { for (i = 1; i < NF; i++) if ($i == "used") { v = $(i + 1); sub(/K.*/, "", v); s += v } } END {printf "%d", s/1024}'; }

big="$work/big.json"
head -c $((SIZE_MB * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$big"
# a signed push of a commit of its own (the gateway builds a commit once)
sha="$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
python3 - "$payload" "$sha" >"$work/push.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p["after"] = sys.argv[2]; p["head_commit"]["id"] = sys.argv[2]
sys.stdout.write(json.dumps(p))
PY
sig="sha256=$(openssl dgst -sha256 -hmac "$secret" -r "$work/push.json" | cut -d' ' -f1)"

echo "gateway flood: $POSTS unsigned posts of $SIZE_MB MB, JVM: $GATEWAY_JAVA_OPTS"
echo "before: RSS $(rss) MB, heap used $(heap) MB"
flood=()
for i in $(seq 1 "$POSTS"); do
  te=(); [ $((i % 2)) = 0 ] && te=(-H 'Transfer-Encoding: chunked')
  curl -s -o /dev/null -w '%{http_code}\n' -X POST "$url/webhooks/github" -H 'Expect:' "${te[@]}" \
    -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' -H "X-GitHub-Delivery: flood-$i" \
    --data-binary @"$big" >"$work/flood-$i.code" 2>/dev/null &
  flood+=($!)
done
sleep 0.3  # let the flood start; the signed push goes in while it is read
push="$(curl -s -o "$work/push.out" -w '%{http_code}' -X POST "$url/webhooks/github" \
  -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' -H "X-GitHub-Delivery: flood-push-$$" \
  -H "X-Hub-Signature-256: $sig" --data-binary @"$work/push.json")"
ready="$(curl -s -o /dev/null -w '%{http_code}' "$url/q/health/ready")"
for p in "${flood[@]}"; do wait "$p" || true; done
echo "answers: $(cat "$work"/flood-*.code | sort | uniq -c | awk '{printf "%s x %s  ", $1, $2}')"
echo "signed push during the flood: $push $(cut -c1-120 "$work/push.out")"
echo "readiness during the flood: $ready, after: $(curl -s -o /dev/null -w '%{http_code}' "$url/q/health/ready")"
echo "after: RSS $(rss) MB (peak $(hwm) MB), heap used $(heap) MB"
echo "OutOfMemoryError in the gateway's log: $(grep -c OutOfMemoryError "$work/gateway.log" || true)"
