# Shared by run.sh and flood.sh: a real KRaft broker (test-support's KafkaBrokerMain) and the gateway
# jar on loopback, with a fresh webhook secret, tokens and a fleet holding the app of GitHub's push
# payload. Source it after setting root and jar; it sets work, secret, http_port and gateway_pid,
# and stops both processes on exit. GATEWAY_JAVA_OPTS sets the gateway's JVM options.
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
(cd "$root" && ./mvnw -B -q -ntp -pl test-support -am dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null)
java -cp "$root/test-support/target/classes:$(cat "$cp_file")" dev.canaryrelease.testsupport.KafkaBrokerMain \
  "$kafka_port" "$controller_port" "$work/kafka" >"$work/kafka.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do grep -qs "kafka ready" "$work/kafka.log" && break; sleep 0.5; done
grep -q "kafka ready" "$work/kafka.log" || { echo "broker did not start:" >&2; tail -20 "$work/kafka.log" >&2; exit 1; }

# secrets, tokens and a fleet with the app of the payload
secret="bench-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$secret" >"$work/webhook-secret"
printf 'operator bench %s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$work/tokens"
# the reference fleet of the tests (test-support's TestFleet): app example of
# proserveau/example-app, branch main
java -cp "$root/test-support/target/classes:$(cat "$cp_file")" dev.canaryrelease.testsupport.TestFleet \
  "$work/fleet" >/dev/null

CANARY_FLEET="$work/fleet/fleet.yaml" KAFKA_BOOTSTRAP="127.0.0.1:$kafka_port" \
CANARY_GATEWAY_WEBHOOK_SECRET_FILE="$work/webhook-secret" CANARY_GATEWAY_TOKENS_FILE="$work/tokens" \
  java ${GATEWAY_JAVA_OPTS:--Xmx2g} -Dquarkus.http.port="$http_port" -jar "$jar" >"$work/gateway.log" 2>&1 &
gateway_pid=$!
pids+=($gateway_pid)
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$http_port/q/health/ready" >/dev/null 2>&1 && break; sleep 0.5
done
curl -fsS "http://127.0.0.1:$http_port/q/health/ready" >/dev/null || { echo "gateway not ready:" >&2; tail -30 "$work/gateway.log" >&2; exit 1; }

