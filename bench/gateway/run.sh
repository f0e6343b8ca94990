#!/usr/bin/env bash
# Webhook benchmark of the gateway: a real KRaft broker (test-support's KafkaBrokerMain) and the
# gateway jar on loopback, then wrk posting signed GitHub push payloads (GitHub's documented shape,
# gateway/src/test/resources/github/push.json), each with a fresh X-GitHub-Delivery, at increasing
# paced rates and then flat out. Prints accepted (202) requests/s and p50/p99 latency per step.
#
#   mvn -B -q install -pl events,test-support -DskipTests && (cd gateway && mvn -B -q package -DskipTests)
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

work="$(mktemp -d /tmp/gateway-bench.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
kafka_port="$(free_port)"; controller_port="$(free_port)"; http_port="$(free_port)"

# classpath of KafkaBrokerMain
cp_file="$work/kafka-cp.txt"
(cd "$root/test-support" && mvn -B -q dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null)
java -cp "$root/test-support/target/classes:$(cat "$cp_file")" dev.canaryrelease.testsupport.KafkaBrokerMain \
  "$kafka_port" "$controller_port" "$work/kafka" >"$work/kafka.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do grep -qs "kafka ready" "$work/kafka.log" && break; sleep 0.5; done
grep -q "kafka ready" "$work/kafka.log" || { echo "broker did not start:" >&2; tail -20 "$work/kafka.log" >&2; exit 1; }

# secrets, tokens and a fleet with the app of the payload (proserveau/example-app, branch main)
secret="bench-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$secret" >"$work/webhook-secret"
printf 'operator bench %s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$work/tokens"
mkdir -p "$work/fleet/tls" "$work/fleet/ssh"
for f in tls/ca.pem tls/cert.pem tls/key.pem ssh/id ssh/known_hosts tsig.key; do echo placeholder >"$work/fleet/$f"; done
cat >"$work/fleet/fleet.yaml" <<YAML
domain: proserveau.local
registry: {address: "127.0.0.1:5000"}
dns:
  server: "127.0.0.1:5353"
  tsig: {name: canary-release, secretFile: tsig.key}
hosts:
  - {name: cfgmgr, address: 127.0.0.10}
  - name: docker0
    address: 127.0.0.11
    role: canary
    docker: {driver: docker-api, endpoint: "tcp://127.0.0.11:2376", tls: {ca: tls/ca.pem, cert: tls/cert.pem, key: tls/key.pem}}
  - name: docker1
    address: 127.0.0.12
    docker: {driver: docker-api, endpoint: "tcp://127.0.0.12:2376", tls: {ca: tls/ca.pem, cert: tls/cert.pem, key: tls/key.pem}}
  - name: docker2
    address: 127.0.0.13
    docker: {driver: docker-api, endpoint: "tcp://127.0.0.13:2376", tls: {ca: tls/ca.pem, cert: tls/cert.pem, key: tls/key.pem}}
loadBalancers:
  - {name: cfgmgr, runtimeApi: "unix:///tmp/haproxy-bench.sock", frontend: "http://127.0.0.10:8000"}
apps:
  - {name: example, repository: proserveau/example-app, branch: main, port: 3000}
rollout:
  canary: [docker0]
YAML

CANARY_FLEET="$work/fleet/fleet.yaml" KAFKA_BOOTSTRAP="127.0.0.1:$kafka_port" \
CANARY_GATEWAY_WEBHOOK_SECRET_FILE="$work/webhook-secret" CANARY_GATEWAY_TOKENS_FILE="$work/tokens" \
  java ${GATEWAY_JAVA_OPTS:--Xmx2g} -Dquarkus.http.port="$http_port" -jar "$jar" >"$work/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$http_port/q/health/ready" >/dev/null 2>&1 && break; sleep 0.5
done
curl -fsS "http://127.0.0.1:$http_port/q/health/ready" >/dev/null || { echo "gateway not ready:" >&2; tail -30 "$work/gateway.log" >&2; exit 1; }

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
      /^RESULT/ { printf "%-10s %12.0f %10d %10d %9.2f %9.2f %9.2f\n", label, $2 / ($4 / 1e6), $2, $3 + $8, $5, $6, $7 }'
}

echo "gateway bench: $(nproc) cores, payload $(wc -c <"$work/push.json") bytes, ${STEP_SECONDS}s per step, wrk -t$THREADS"
printf "%-10s %12s %10s %10s %9s %9s %9s\n" "target/s" "accepted/s" "accepted" "failed" "p50 ms" "p99 ms" "max ms"
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
