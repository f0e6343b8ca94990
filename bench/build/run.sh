#!/usr/bin/env bash
# Benchmark of build-service: build + push of the example app through the service and, in the same
# run on the same engine and registry, by hand (git clone && docker build && docker push); prints
# every round, the medians and the ratio service/hand (target ≤ 1.2).
# Everything runs on 127.0.0.0/8 and is stopped at the end (see BuildBench.java).
# Usage: bench/build/run.sh [rounds=5]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${1:-5}
echo "== building (events, test-support, build-service)"
(cd "$ROOT" && mvn -B -q install -pl events,test-support -DskipTests)
(cd "$ROOT/build-service" && mvn -B -q package -DskipTests)
CP=$(cd "$ROOT/test-support" && mvn -B -q -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile=/dev/stdout | sed "s/\x1b\[[0-9;]*m//g")
echo "== benchmark ($ROUNDS rounds + 1 warm-up)"
java -cp "$ROOT/test-support/target/classes:$CP" "$ROOT/bench/build/BuildBench.java" \
  "$ROOT/build-service/target/quarkus-app/quarkus-run.jar" "$ROUNDS"
