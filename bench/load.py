"""A registration rush against the local stack over real HTTP: 2,000 registrations from 40
clients for an event of 1,500 seats (the rest go to the waitlist).

Prints throughput, p50/p99 latency, the count of 5xx answers (must be 0) and whether the
event's counts are exact afterwards (confirmed seats = capacity, confirmed + waitlisted = 2,000,
no phone twice). The baseline, measured in the same run with the same 40 clients on the same
servers, is a handler that does one TransactWriteItems of a registration's shape and nothing
else: the ratio is what the app's validation, rules and replies cost on top of the store.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

REGISTRATIONS = 2_000
CLIENTS = 40
CAPACITY = 1_500


def _rush(base_url: str, path: str, bodies: list[dict[str, Any]]) -> tuple[float, list[float], Counter[int]]:
    """POST every body from CLIENTS threads, each with its own kept-alive session."""
    local = threading.local()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def post(body: dict[str, Any]) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        started = time.perf_counter()
        response = local.session.post(base_url + path, json=body, timeout=60)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            statuses[response.status_code] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(post, bodies))
    return time.perf_counter() - started, latencies, statuses


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def _report(label: str, seconds: float, latencies: list[float], statuses: Counter[int]) -> float:
    throughput = len(latencies) / seconds
    fivexx = sum(count for status, count in statuses.items() if status >= 500)
    print(f"{label:34} {throughput:7.1f} req/s  p50 {statistics.median(latencies) * 1000:6.1f} ms"
          f"  p99 {_percentile(latencies, 0.99):7.1f} ms  5xx {fivexx}  statuses {dict(sorted(statuses.items()))}")
    return throughput


def main() -> None:
    from app import app
    from bench.latency import floor_app
    from devtools.dynamodb_server import spawn
    from devtools.local_env import local_environment
    from devtools.local_server import ServerThread, make_server
    from devtools.samples import event_body, registration_body
    from devtools.stage import chalice_config

    process, endpoint = spawn()
    try:
        with local_environment(endpoint, prefix="bench") as env:
            config = chalice_config("local")
            api = ServerThread(make_server(app, config)).start()
            floor = ServerThread(make_server(floor_app(), config)).start()
            admin = {"Authorization": f"Bearer {env['ADMIN_TOKEN']}"}
            event = requests.post(api.base_url + "/events", json=event_body(capacity=CAPACITY), headers=admin,
                                  timeout=30).json()
            eid = event["event_id"]
            bodies = [registration_body() for _ in range(REGISTRATIONS)]
            floor_seconds, floor_latencies, floor_statuses = _rush(floor.base_url, "/transact", bodies)
            seconds, latencies, statuses = _rush(api.base_url, f"/events/{eid}/registrations", bodies)
            stats = requests.get(f"{api.base_url}/events/{eid}/stats", headers=admin, timeout=30).json()
            api.stop()
            floor.stop()
    finally:
        process.terminate()
        process.wait(timeout=10)

    print(f"registration rush: {REGISTRATIONS} registrations, {CLIENTS} clients, capacity {CAPACITY}")
    baseline = _report("one-transaction handler (baseline)", floor_seconds, floor_latencies, floor_statuses)
    measured = _report("registration", seconds, latencies, statuses)
    print(f"registration throughput {measured / baseline:.2f}x the baseline's")
    exact = (stats["seats_confirmed"] == CAPACITY and stats["confirmed"] + stats["waitlisted"] == REGISTRATIONS
             and statuses == Counter({201: REGISTRATIONS}))
    print(f"counts exact: {exact} (confirmed {stats['confirmed']}, seats {stats['seats_confirmed']},"
          f" waitlisted {stats['waitlisted']})")


if __name__ == "__main__":
    main()
