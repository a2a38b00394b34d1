#!/usr/bin/env bash
# Runs Warren locally: one master and N workers against the broker on localhost (or wherever
# SPRING_RABBITMQ_* point), from the built jars. Builds them when missing or stale. Ctrl-C
# stops everything.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/run.sh [--workers N]

  --workers N   how many worker processes to start (default 2)

Environment:
  WARREN_HOME        where the master keeps its H2 database and the logs go (default ./.warren)
  WARREN_PORT        the master's HTTP port (default 8080); workers use the ports after it
  WARREN_SECURITY_API_KEYS   the API keys of master and workers (docs/configuration.md); when
                     unset, a key is generated once, kept in WARREN_HOME/api-key and printed
  WARREN_SECURITY_ENABLED    false runs without authentication (no key needed, none generated)
  WARREN_MASTER_CALLBACKS_SECRET   the key that signs result callbacks; when unset, one is
                     generated once and kept in WARREN_HOME/callback-secret
  WARREN_MQTT_ENABLED        true connects the master to the MQTT broker (WARREN_MQTT_URL,
                     default tcp://localhost:1883)
  SPRING_RABBITMQ_HOST, _PORT, _USERNAME, _PASSWORD   the broker (default localhost:5672 guest)
  SPRING_DATASOURCE_URL, _USERNAME, _PASSWORD         the master's store (default: H2 file in WARREN_HOME/data)
USAGE
}

workers=2
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers=${2:?--workers needs a number}; shift 2 ;;
    --workers=*) workers=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$workers" in ''|*[!0-9]*) echo "--workers needs a whole number" >&2; exit 2 ;; esac

root=$(cd "$(dirname "$0")/.." && pwd)
home=${WARREN_HOME:-$root/.warren}
port=${WARREN_PORT:-8080}
mkdir -p "$home/logs"

jar() { ls "$root/$1"/target/*-exec.jar 2>/dev/null | head -n 1 || true; }

stale() {
  local jar=$1 module=$2
  [ -z "$jar" ] && return 0
  [ -n "$(find "$root/$module/src/main" "$root/common/src/main" "$root/pom.xml" "$root/$module/pom.xml" \
    -newer "$jar" -type f 2>/dev/null | head -n 1)" ]
}

master_jar=$(jar master-service)
worker_jar=$(jar worker-service)
if stale "$master_jar" master-service || stale "$worker_jar" worker-service; then
  echo "building the jars (./mvnw -B -q -DskipTests package)..."
  (cd "$root" && ./mvnw -B -q -DskipTests package -pl common,master-service,worker-service)
  master_jar=$(jar master-service)
  worker_jar=$(jar worker-service)
fi

# API keys: the caller's, or one generated on the first run and kept for the next ones
key_hint=
if [ "${WARREN_SECURITY_ENABLED:-true}" = false ]; then
  key_hint=off
elif [ -z "${WARREN_SECURITY_API_KEYS:-}" ]; then
  if [ ! -s "$home/api-key" ]; then
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$home/api-key")
  fi
  WARREN_SECURITY_API_KEYS=$(cat "$home/api-key")
  key_hint=generated
fi
export WARREN_SECURITY_API_KEYS
# the secret that signs result callbacks: the caller's, or one generated and kept
if [ -z "${WARREN_MASTER_CALLBACKS_SECRET:-}" ]; then
  if [ ! -s "$home/callback-secret" ]; then
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$home/callback-secret")
  fi
  WARREN_MASTER_CALLBACKS_SECRET=$(cat "$home/callback-secret")
fi
export WARREN_MASTER_CALLBACKS_SECRET
# a single bare key can go into the examples as it is; otherwise the user picks one
case "$WARREN_SECURITY_API_KEYS" in
  *,*|*:*|'{sha256}'*) api_key='<one of your keys>' ;;
  *) api_key=$WARREN_SECURITY_API_KEYS ;;
esac
if [ "$key_hint" = off ]; then
  auth=
else
  auth=" -H 'Authorization: Bearer $api_key'"
fi

pids=()
stop_all() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    echo
    echo "stopping ${#pids[@]} processes..."
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
# a requested stop (Ctrl-C, SIGTERM) ends the run cleanly; any other exit stops what runs
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

start() {
  local name=$1 jar=$2 service_port=$3
  shift 3
  (cd "$home" && exec java -jar "$jar" --server.port="$service_port" "$@") >"$home/logs/$name.log" 2>&1 &
  pids+=($!)
}

wait_healthy() {
  local name=$1 service_port=$2 pid=$3
  for _ in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited during start-up; the end of $home/logs/$name.log:" >&2
      tail -n 30 "$home/logs/$name.log" >&2
      exit 1
    fi
    # ready: the master can store tasks, a worker consumes
    if curl -fsS "http://localhost:$service_port/actuator/health/readiness" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "$name did not become ready in 60 s; see $home/logs/$name.log" >&2
  exit 1
}

start master "$master_jar" "$port"
for i in $(seq 1 "$workers"); do
  start "worker-$i" "$worker_jar" $((port + i)) --warren.worker.id="worker-$i"
done

wait_healthy master "$port" "${pids[0]}"
for i in $(seq 1 "$workers"); do
  wait_healthy "worker-$i" $((port + i)) "${pids[$i]}"
done

cat <<INFO

Warren is up: 1 master, $workers worker(s). Logs and data in $home
  API         http://localhost:$port/api/v1/tasks
  OpenAPI     http://localhost:$port/api/v1/openapi.yaml
  health      http://localhost:$port/actuator/health (public: status only)
  metrics     http://localhost:$port/actuator/prometheus (needs an admin key)
  workers     http://localhost:$((port + 1))/actuator/health (and the ports after it, one per worker)
$(case "$key_hint" in
  off) echo "  API key     none: warren.security.enabled=false, anyone reaching the port may do anything" ;;
  generated) echo "  API key     $api_key (generated, kept in $home/api-key; set WARREN_SECURITY_API_KEYS to choose)" ;;
  *) echo "  API key     from WARREN_SECURITY_API_KEYS" ;;
esac)

Stop one worker cleanly (it drains): kill <pid>; watch the rest go on. Worker pids: ${pids[*]:1}

Submit a task, then read it (the id is in the answer):
  curl -s -X POST localhost:$port/api/v1/tasks$auth -H 'Content-Type: application/json' \\
       -d '{"type":"echo","payload":{"hello":"world"}}'
  curl -s$auth localhost:$port/api/v1/tasks/<id>
Cancel it, list the workers, pause a type (see the README for more):
  curl -s -X POST$auth localhost:$port/api/v1/tasks/<id>/cancel
  curl -s$auth localhost:$port/api/v1/workers
  curl -s -X POST$auth localhost:$port/api/v1/types/sleep/pause
Submit and wait for the result, follow every task live (Ctrl-C ends it):
  curl -s -X POST$auth 'localhost:$port/api/v1/tasks?wait=30s' -H 'Content-Type: application/json' \\
       -d '{"type":"echo","payload":{"hello":"world"}}'
  curl -sN$auth localhost:$port/api/v1/events

Press Ctrl-C to stop.
INFO

# Supervise: a worker that dies is reported and the others go on (its tasks are redelivered
# to them); the master dying ends the run. Polling keeps this portable to older shells.
alive=("${pids[@]}")
while :; do
  if ! kill -0 "${pids[0]}" 2>/dev/null; then
    echo "the master exited; stopping the workers (logs in $home/logs)" >&2
    exit 1
  fi
  for i in $(seq 1 "$workers"); do
    if [ -n "${alive[$i]}" ] && ! kill -0 "${alive[$i]}" 2>/dev/null; then
      echo "worker-$i exited; the other processes go on (its log: $home/logs/worker-$i.log)"
      alive[$i]=""
    fi
  done
  sleep 1
done
