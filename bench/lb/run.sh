#!/usr/bin/env bash
# Benchmark of lb-service: idle drain latency (host.update-requested -> host.drained) and requests
# served/dropped during drain -> swap -> ready cycles under continuous load.
# Runs lb-service's LbDrainBench (a @QuarkusTest outside the suite: its name does not end in Test)
# against a real embedded Kafka, two real HAProxy instances (unix socket and ipv4@ runtime API) and
# three real HTTP back ends on 127.0.0.1, all started and stopped by the bench itself.
# Usage: bench/lb/run.sh [idle runs=30] [cycles under load=5]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v haproxy >/dev/null || { echo "haproxy missing: apt-get install haproxy" >&2; exit 1; }
(cd "$ROOT" && mvn -B -q install -pl events,test-support -DskipTests)
cd "$ROOT/lb-service"
mvn -B test -Dtest=LbDrainBench -Dsurefire.failIfNoSpecifiedTests=false \
  -Dbench.idle="${1:-30}" -Dbench.cycles="${2:-5}" 2>&1 | tee /tmp/bench-lb.log | grep '^BENCH' || {
  tail -80 /tmp/bench-lb.log; exit 1; }
