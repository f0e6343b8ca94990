#!/usr/bin/env bash
# Benchmark of registry-service's notification endpoint: p50/p99 under a burst of 1,000 envelopes.
# Starts, on 127.0.0.1 free ports and in a temporary folder: a Kafka broker (test-support's
# KafkaBrokerMain), a real docker-registry (the manifests the envelopes name do not exist, so each
# queued push is verified against the registry API and dropped as gone), and registry-service
# (the packaged jar, push queue forced to disk). Then runs NotificationBurst.java and stops what
# it started, by pid.  Usage: [FSYNC=true] bench/registry/run.sh [n=1000] [concurrency=32]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-1000}
CONC=${2:-32}
WORK=$(mktemp -d /tmp/bench-registry.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
command -v docker-registry >/dev/null || { echo "docker-registry missing: apt-get install docker-registry" >&2; exit 1; }

echo "== building (events, test-support, registry-service)"
(cd "$ROOT" && mvn -B -q install -pl events,test-support -DskipTests)
(cd "$ROOT/registry-service" && mvn -B -q package -DskipTests)
CP=$(cd "$ROOT/test-support" && mvn -B -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout)

KPORT=$(free_port); KCPORT=$(free_port); RPORT=$(free_port); SPORT=$(free_port)

echo "== kafka on 127.0.0.1:$KPORT"
java -cp "$ROOT/test-support/target/classes:$CP" dev.canaryrelease.testsupport.KafkaBrokerMain \
  "$KPORT" "$KCPORT" "$WORK/kafka" >"$WORK/kafka.log" 2>&1 &
PIDS+=($!)

echo "== docker-registry on 127.0.0.1:$RPORT"
cat >"$WORK/registry.yml" <<YAML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $WORK/registry}, delete: {enabled: true}}
http: {addr: "127.0.0.1:$RPORT"}
YAML
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
PIDS+=($!)

head -c 24 /dev/urandom | base64 >"$WORK/token"
# the API tokens every service needs (the bench only posts notifications: their own token)
printf 'operator bench %s\n' "$(head -c 24 /dev/urandom | base64)" >"$WORK/api-tokens"
sed -e "s#address: cfgmgr:5000 .*#address: \"127.0.0.1:$RPORT\"#" \
    -e "s#url: https://cfgmgr:5000 .*#url: \"http://127.0.0.1:$RPORT\"#" \
    "$ROOT/dev/fleet.example.yaml" >"$WORK/fleet.yaml"
mkdir -p "$WORK/secrets" "$WORK/tls" "$WORK/ssh"
for f in secrets/tsig.key tls/ca.pem tls/cert.pem tls/key.pem ssh/id_ed25519 ssh/known_hosts; do
  echo placeholder >"$WORK/$f"
done

for i in $(seq 1 100); do
  grep -q "kafka ready" "$WORK/kafka.log" 2>/dev/null && break; sleep 0.3
done
echo "== registry-service on 127.0.0.1:$SPORT"
java -Xmx512m \
  -Dquarkus.http.port="$SPORT" \
  -Dkafka.bootstrap.servers="127.0.0.1:$KPORT" \
  -Dcanary.fleet.path="$WORK/fleet.yaml" \
  -Dcanary.data-dir="$WORK/data" \
  -Dcanary.registry.notification-token-file="$WORK/token" \
  -Dcanary.api.tokens-file="$WORK/api-tokens" \
  -Dcanary.registry.verify-attempts=1 \
  -Dcanary.registry.queue-fsync="${FSYNC:-false}" \
  -Dquarkus.log.category.\"dev.canaryrelease.registry.messaging.PushWorker\".level=ERROR \
  -jar "$ROOT/registry-service/target/quarkus-app/quarkus-run.jar" >"$WORK/service.log" 2>&1 &
PIDS+=($!)
for i in $(seq 1 200); do
  curl -fs "http://127.0.0.1:$SPORT/q/health/ready" >/dev/null 2>&1 && break; sleep 0.3
done
curl -fs "http://127.0.0.1:$SPORT/q/health/ready" >/dev/null || { tail -50 "$WORK/service.log"; exit 1; }

echo "== burst (queue fsync: ${FSYNC:-false})"
java "$ROOT/bench/registry/NotificationBurst.java" "http://127.0.0.1:$SPORT" "$WORK/token" "$N" "$CONC"
echo "queue file: $(wc -l <"$WORK/data/registry-service/push-queue.jsonl") lines on $(df -T "$WORK" | awk 'NR==2{print $2}')"
echo "server side (http_server_requests_seconds, all requests incl. warm-up):"
curl -fs "http://127.0.0.1:$SPORT/q/metrics" | grep -E '^http_server_requests_seconds_(count|sum|max)\{.*uri="/registry/notifications"' || true
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
