#!/usr/bin/env python3
"""Slow clients against a running master: do health checks, reads and submissions still
get through while many clients trickle their request bodies (or hold idle connections)?

    scripts/run.sh                                   # in another terminal
    scripts/slow-clients.py --key "$(cat .warren/api-key)"                 # 230 slow uploads
    scripts/slow-clients.py --key "$(cat .warren/api-key)" --reconnect     # ... that come back
    scripts/slow-clients.py --key "$(cat .warren/api-key)" --without-key   # ... with no key
    scripts/slow-clients.py --key "$(cat .warren/api-key)" --clients 0 --idle 1000

Each slow client sends the headers of a submission, then its body a byte every
--interval seconds, and records how the master answered and after how long. Meanwhile a
probe asks for /actuator/health, reads one task and submits one, every 0.5 s, each with
a 5 s timeout. Prints one JSON line. Bounded: --seconds of load (60 at most), traffic to
the given host only.
"""
import argparse
import asyncio
import json
import statistics
import time
import urllib.error
import urllib.request

BODY = b'{"type":"echo","payload":{"slow":"' + b"x" * 64 + b'"}}'


async def slow_upload(host, port, key, interval, stop, outcomes, reconnect, with_key):
    while time.monotonic() < stop:
        started = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            outcomes.append(("connect-failed", 0.0))
            await asyncio.sleep(interval)
            continue
        auth = "Authorization: Bearer %s\r\n" % key if with_key else ""
        head = (
            "POST /api/v1/tasks HTTP/1.1\r\nHost: %s\r\n%s"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (host, auth, len(BODY))
        ).encode("latin-1")
        status = "open at the end"
        try:
            writer.write(head)
            await writer.drain()
            for i in range(len(BODY)):
                if time.monotonic() >= stop:
                    break
                writer.write(BODY[i : i + 1])
                await writer.drain()
                try:
                    line = await asyncio.wait_for(reader.readline(), timeout=interval)
                except asyncio.TimeoutError:
                    continue
                status = line.decode("latin-1").split(" ")[1] if line else "closed"
                break
        except (ConnectionError, OSError):
            status = "reset"
        outcomes.append((status, time.monotonic() - started))
        writer.close()
        if not reconnect:
            # hold nothing more, but stay counted as one client
            await asyncio.sleep(max(0.0, stop - time.monotonic()))
            return


async def idle_connection(host, port, stop, closed):
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        closed.append("connect-failed")
        return
    try:
        data = await asyncio.wait_for(reader.read(1), timeout=max(0.1, stop - time.monotonic()))
        closed.append("closed by the master" if not data else "data")
    except asyncio.TimeoutError:
        pass
    writer.close()


def request(url, key=None, body=None):
    started = time.monotonic()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=5) as answer:
            return answer.status, time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, time.monotonic() - started
    except Exception:  # timeout, refused, reset
        return "timeout/error", time.monotonic() - started


async def probe(base, key, stop, results):
    loop = asyncio.get_running_loop()
    while time.monotonic() < stop:
        for name, url, body, auth in (
            ("health", base + "/actuator/health", None, None),
            ("read", base + "/api/v1/tasks?limit=1", None, key),
            ("submit", base + "/api/v1/tasks", b'{"type":"echo","payload":{"probe":true}}', key),
        ):
            status, took = await loop.run_in_executor(None, request, url, auth, body)
            results.setdefault(name, []).append((status, took))
        await asyncio.sleep(0.5)


def summary(samples):
    statuses = {}
    for status, _ in samples:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    times = sorted(took * 1000 for _, took in samples)
    return {
        "n": len(samples),
        "statuses": statuses,
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "max_ms": round(times[-1], 1) if times else None,
    }


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--key", required=True, help="an API key with the submit and read roles")
    parser.add_argument("--clients", type=int, default=230, help="slow uploads at once")
    parser.add_argument("--interval", type=float, default=4.0, help="seconds between two bytes of a body")
    parser.add_argument("--idle", type=int, default=0, help="idle connections held open meanwhile")
    parser.add_argument("--reconnect", action="store_true", help="a slow client cut off starts again")
    parser.add_argument("--without-key", action="store_true", help="slow clients send no API key")
    parser.add_argument("--seconds", type=int, default=40)
    args = parser.parse_args()
    seconds = min(args.seconds, 60)
    stop = time.monotonic() + seconds
    base = "http://%s:%d" % (args.host, args.port)
    outcomes, closed, results = [], [], {}
    tasks = [asyncio.create_task(idle_connection(args.host, args.port, stop, closed)) for _ in range(args.idle)]
    tasks += [
        asyncio.create_task(
            slow_upload(args.host, args.port, args.key, args.interval, stop, outcomes, args.reconnect,
                        not args.without_key))
        for _ in range(args.clients)
    ]
    await asyncio.sleep(1)  # let them connect and start trickling
    await probe(base, args.key, stop, results)
    await asyncio.gather(*tasks, return_exceptions=True)
    answered = {}
    for status, _ in outcomes:
        answered[status] = answered.get(status, 0) + 1
    held = [took for status, took in outcomes if status not in ("open at the end", "connect-failed")]
    print(json.dumps({
        "clients": args.clients,
        "interval_s": args.interval,
        "reconnect": args.reconnect,
        "slow_with_key": not args.without_key,
        "idle": args.idle,
        "idle_closed_early": len(closed),
        "seconds": seconds,
        "slow_answers": answered,
        "slow_held_s_max": round(max(held), 1) if held else None,
        "health": summary(results.get("health", [])),
        "read": summary(results.get("read", [])),
        "submit": summary(results.get("submit", [])),
    }))


if __name__ == "__main__":
    asyncio.run(main())
