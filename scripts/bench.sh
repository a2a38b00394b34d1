#!/usr/bin/env bash
# Measures the bare broker's task round trip and Warren end to end on this machine, in one
# run, against the local broker (and PostgreSQL for --store postgresql or --all). Prints a
# table and, as its last line, one JSON object. Exits non-zero if any task was lost.
# The default run takes 4-6 minutes; scripts/bench.sh --help lists the options.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

stale() {
  local marker=$1
  [ ! -e "$marker" ] && return 0
  [ -n "$(find common/src/main master-service/src/main worker-service/src/main benchmarks/src/main \
    pom.xml */pom.xml -newer "$marker" -type f 2>/dev/null | head -n 1)" ]
}

marker=benchmarks/target/lib/HdrHistogram-2.2.2.jar
if stale "$marker" || ! ls master-service/target/*-exec.jar worker-service/target/*-exec.jar >/dev/null 2>&1; then
  echo "building (./mvnw -B -q -DskipTests package -pl benchmarks -am)..." >&2
  ./mvnw -B -q -DskipTests package -pl benchmarks -am
  touch "$marker"
fi

for arg in "$@"; do
  if [ "$arg" = "--perftest" ] && [ ! -d benchmarks/target/perftest-lib ]; then
    echo "fetching RabbitMQ PerfTest..." >&2
    ./mvnw -B -q -f benchmarks/perftest/pom.xml dependency:copy-dependencies \
      -DoutputDirectory="$root/benchmarks/target/perftest-lib"
  fi
done

for arg in "$@"; do
  if [ "$arg" = "-h" ]; then
    set -- --help
  fi
done

exec java -cp "benchmarks/target/classes:benchmarks/target/lib/*" io.warren.bench.Bench "$@"
