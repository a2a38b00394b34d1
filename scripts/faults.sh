#!/usr/bin/env bash
# Fault runs that take minutes and are kept out of ./mvnw -B verify: today, the broker
# itself stopped and started under a running master and workers (a private RabbitMQ node
# on loopback ports of its own, started from the local RabbitMQ installation; the shared
# broker is not touched). Exits non-zero if a fault test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -DskipTests install -pl common,master-service,worker-service -am
./mvnw -B -Pfaults verify -pl system-tests
