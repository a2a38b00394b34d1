"""Celery on the same broker, for scripts/bench.sh --peers.

Configured as a Celery user who wants Warren's guarantees would: late acks (a task is
acked after it ran), publisher confirms, persistent messages, and results sent back as
persistent messages (the rpc backend) so that "done" means the producer holds the
result, as Warren's figure means the master recorded it. The worker side runs as
`python3 -m celery -A celery_bench worker ...`; the producer side as
`python3 celery_bench.py produce SECONDS`, which publishes no-op tasks for that long and
then waits for every result, and prints one JSON object.

Installed from Debian: `sudo apt-get install python3-celery` (Celery 5.2.6 on Debian 12).
"""
import json
import os
import resource
import sys
import time

from celery import Celery
from celery.result import ResultSet

QUEUE = os.environ.get("WARREN_BENCH_CELERY_QUEUE", "bench-celery")

app = Celery(
    "celery_bench",
    broker=os.environ.get("WARREN_BENCH_CELERY_BROKER", "amqp://guest:guest@localhost:5672//"),
    backend="rpc://",
)
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    broker_transport_options={"confirm_publish": True},
    task_default_queue=QUEUE,
    task_default_exchange=QUEUE,
    task_default_routing_key=QUEUE,
    result_persistent=True,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_enable_remote_control=False,
    worker_hijack_root_logger=False,
)


@app.task(name="echo")
def echo(payload):
    return payload


def produce(seconds):
    results = []
    started = time.time()
    deadline = started + seconds
    while time.time() < deadline:
        results.append(echo.apply_async(args=({"n": 1},)))
    published = time.time()
    ResultSet(results).get(timeout=600, propagate=True)
    finished = time.time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "tasks": len(results),
        "started": started,
        "published": published,
        "finished": finished,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "produce":
        sys.exit("usage: celery_bench.py produce SECONDS")
    produce(float(sys.argv[2]))
