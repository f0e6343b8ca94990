#!/usr/bin/env bash
# Replay benchmark (issue 14 point 2): seeds RELEASES releases of history (default 10 000; 19 events
# each over five topics) into a real KRaft broker, then starts the gateway twice with dev/up's JVM
# options: the first start builds its snapshot from the event topics (as the first start after an
# upgrade does), the second is a restart from the snapshot. Prints the time from process start to
# /q/health/ready 200 and the RSS of each. Everything on loopback; all processes stopped on exit.
#
#   ./mvnw -B -q -pl gateway -am package -DskipTests && bench/replay/run.sh
#   env: RELEASES=10000  JAR (default gateway/target/quarkus-app/quarkus-run.jar)
#        BENCH_JVM (default dev/up's: -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1)
#
# deploy-service: add its Service and Seeder in ReplayBench.java (see its javadoc).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
jar="${JAR:-$root/gateway/target/quarkus-app/quarkus-run.jar}"
[ -f "$jar" ] || { echo "no $jar: ./mvnw -B -pl gateway -am package -DskipTests" >&2; exit 1; }
work="$(mktemp -d /tmp/replay-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$root"
./mvnw -B -q -ntp -pl test-support -am dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" >/dev/null
cp="$root/test-support/target/classes:$root/events/target/classes:$(cat "$work/cp.txt")"
mkdir -p "$work/classes"
javac -d "$work/classes" -cp "$cp" "$root/bench/replay/ReplayBench.java"
java ${BENCH_JVM:+-Dbench.jvm="$BENCH_JVM"} -cp "$work/classes:$cp" dev.canaryrelease.bench.ReplayBench \
  "$work" "$cp" "$jar" "${RELEASES:-10000}" || { tail -30 "$work/gateway.log" >&2; exit 1; }
