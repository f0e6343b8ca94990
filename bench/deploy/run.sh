#!/usr/bin/env bash
# Deploy benchmark: swap time through deploy-service vs docker stop/rm/run by hand on the same
# engine, and the rollback time of 3 hosts with retained containers. Real dockerd x3 (one reached
# through a real sshd), a real registry, an embedded Kafka broker, deploy-service as its own process.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root/deploy-service"
mvn -B -q package -DskipTests
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-cp.txt
out="$root/deploy-service/target/bench-classes"
mkdir -p "$out"
# test-support as built in this tree first (TestFleet), then the rest
cp="$root/test-support/target/classes:$(cat target/bench-cp.txt)"
javac -d "$out" -cp "$cp" "$root/bench/deploy/DeployBench.java"
exec java -cp "$out:$cp" dev.canaryrelease.bench.DeployBench \
  "$root/deploy-service/target/quarkus-app/quarkus-run.jar" "$@"
