#!/usr/bin/env bash
# Webhook benchmark of the gateway: a real KRaft broker (test-support's KafkaBrokerMain) and the
# gateway jar on loopback, then wrk posting signed GitHub push payloads (GitHub's documented shape,
# gateway/src/test/resources/github/push.json), each with a fresh X-GitHub-Delivery, at increasing
# paced rates and then flat out. Prints accepted (202) requests/s and p50/p99 latency per step.
#
#   ./mvnw -B -q -pl gateway -am package -DskipTests
#   bench/gateway/run.sh   # env: STEP_SECONDS=10 RATES="500 1000 2000 3000 4000" (paced, rate/25
#                          # connections) CONNECTIONS=32 (warm-up and the flat-out step)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="$root/gateway/target/quarkus-app/quarkus-run.jar"
payload="$root/gateway/src/test/resources/github/push.json"
STEP_SECONDS="${STEP_SECONDS:-10}"
RATES="${RATES:-500 1000 2000 3000 4000}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -f "$jar" ] || { echo "no $jar: cd gateway && mvn -B package -DskipTests" >&2; exit 1; }

. "$here/lib.sh"

cp "$payload" "$work/push.json"
sig="sha256=$(openssl dgst -sha256 -hmac "$secret" -r "$work/push.json" | cut -d' ' -f1)"
check="$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$http_port/webhooks/github" \
  -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' -H "X-GitHub-Delivery: bench-check-$$" \
  -H "X-Hub-Signature-256: $sig" --data-binary @"$work/push.json")"
[ "$check" = 202 ] || { echo "a signed push was answered $check, not 202" >&2; exit 1; }

run_step() { # label delay_ms connections
  BENCH_BODY="$work/push.json" BENCH_SIG="$sig" BENCH_RUN="$1-$RANDOM$RANDOM" BENCH_DELAY_MS="$2" \
    wrk -t"$THREADS" -c"$3" -d"${STEP_SECONDS}s" --timeout 10s -s "$here/webhook.lua" \
    "http://127.0.0.1:$http_port" | awk -v label="$1" -v secs="$STEP_SECONDS" '
      /^RESULT/ { printf "%-10s %12.0f %10d %10d %10d %9.2f %9.2f %9.2f\n", label, ($2 + $9) / ($4 / 1e6), $2, $9, $3 + $8, $5, $6, $7 }'
}

echo "gateway bench: $(nproc) cores, payload $(wc -c <"$work/push.json") bytes, ${STEP_SECONDS}s per step, wrk -t$THREADS"
printf "%-10s %12s %10s %10s %10s %9s %9s %9s\n" "target/s" "answered/s" "accepted" "duplicate" "failed" "p50 ms" "p99 ms" "max ms"
echo "load average before: $(cut -d" " -f1-3 /proc/loadavg)"
run_step warmup 0 "$CONNECTIONS" >/dev/null  # JIT warm-up, not reported
for rate in $RATES; do
  # paced: every connection waits 40 ms after each answer, so about rate/25 connections give
  # a little under $rate requests/s (the answer time adds to the 40 ms)
  conns=$(( rate / 25 )); [ "$conns" -lt 4 ] && conns=4
  run_step "$rate" 40 "$conns"
done
run_step "max(c=$CONNECTIONS)" 0 "$CONNECTIONS"
events=$(grep -c "push of example" "$work/gateway.log" || true)
echo "build.requested published (logged): $events"
echo "load average after: $(cut -d" " -f1-3 /proc/loadavg) (other processes share these cores)"
