#!/usr/bin/env bash
# The embedded default store (H2) under crashes, kept out of ./mvnw -B verify: the master
# SIGKILLed KILLS times (default 200) while a client submits and two workers report; after
# each kill every accepted task must be in the H2 file and every index must agree with its
# table. Takes about 20 minutes here (1,090 s for 200 kills on 2026-12-01). Exits non-zero
# on a lost task or a mismatch; the figures are printed and written to
# system-tests/target/h2-crash-soak.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-200}
./mvnw -B -q -DskipTests install -pl common,master-service,worker-service -am
./mvnw -B -Psoak verify -pl system-tests -Dwarren.soak.kills="$kills"
