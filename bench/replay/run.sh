#!/usr/bin/env bash
# Replay benchmark (issue 14 point 2): seeds RELEASES releases of history (default 10 000; 25 events
# each over five topics) into a real KRaft broker (mutual TLS and ACLs, as dev/up's), then starts
# the gateway and deploy-service twice each with dev/up's JVM options: the first start builds the
# service's snapshot from the event topics (as the first start after an upgrade does), the second
# is a restart from the snapshot. Prints the time from process start to /q/health/ready 200 and the
# RSS of each, once the service's snapshot covers the whole history (polled on its snapshot topic).
# Everything on loopback; all processes stopped on exit.
#
#   ./mvnw -B -q -pl gateway,deploy-service -am package -DskipTests && bench/replay/run.sh
#   env: RELEASES=10000  SERVICES=gateway,deploy (or one of them)
#        GATEWAY_JAR, DEPLOY_JAR (default <module>/target/quarkus-app/quarkus-run.jar)
#        BENCH_JVM (default dev/up's: -Xms32m -Xmx256m -Xmn12m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:+UseSerialGC -XX:TieredStopAtLevel=1)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
jar="${GATEWAY_JAR:-$root/gateway/target/quarkus-app/quarkus-run.jar}"
deploy_jar="${DEPLOY_JAR:-$root/deploy-service/target/quarkus-app/quarkus-run.jar}"
for j in "$jar" "$deploy_jar"; do
  [ -f "$j" ] || { echo "no $j: ./mvnw -B -pl gateway,deploy-service -am package -DskipTests" >&2; exit 1; }
done
work="$(mktemp -d /tmp/replay-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$root"
./mvnw -B -q -ntp -pl test-support -am dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" >/dev/null
cp="$root/test-support/target/classes:$root/events/target/classes:$(cat "$work/cp.txt")"
mkdir -p "$work/classes"
javac -d "$work/classes" -cp "$cp" "$root/bench/replay/ReplayBench.java"
java ${BENCH_JVM:+-Dbench.jvm="$BENCH_JVM"} -cp "$work/classes:$cp" dev.canaryrelease.bench.ReplayBench \
  "$work" "$cp" "$jar" "$deploy_jar" "${RELEASES:-10000}" "${SERVICES:-gateway,deploy}" \
  || { for l in "$work"/gateway.log "$work"/deploy-service.log; do [ -f "$l" ] && tail -30 "$l" >&2; done; exit 1; }
