#!/usr/bin/env bash
# Fault runs that take minutes and are kept out of ./mvnw -B verify: the broker itself
# stopped and started under a running master and workers (a private RabbitMQ node on
# loopback ports of its own, started from the local RabbitMQ installation; the shared
# broker is not touched), and workers SIGKILLed in a loop under load, on H2 and
# PostgreSQL, with the executions the workers logged compared with the records' counts;
# a worker frozen with SIGSTOP while it runs a task, whose attempt must not stay RUNNING; a
# client retrying with idempotency keys across three SIGKILLs of the master, on H2 and
# PostgreSQL; a task whose worker dies on every delivery, on a quorum and a classic queue;
# delayed and retrying tasks across a master SIGKILL; two masters on PostgreSQL, one
# SIGKILLed; and the master stopped with SIGTERM under load.
# Exits non-zero if a fault test fails. The H2 crash soak has its own command:
# scripts/soak-h2.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -DskipTests install -pl common,master-service,worker-service -am
./mvnw -B -Pfaults verify -pl system-tests
