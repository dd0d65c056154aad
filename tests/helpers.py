"""Helpers shared by test modules (fixtures live in conftest.py)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

THREADS = 32
# The counts of SPEC §2's stats; §4 adds heads and breakdowns beside them.
BASE_STATS = ("confirmed", "waitlisted", "cancelled", "checked_in", "seats_confirmed", "seats_remaining")


def run_concurrently(stack, jobs, threads=THREADS):
    """Run each job(session) on its own thread-local HTTP session; return results in job order."""
    local = threading.local()
    start = threading.Barrier(min(threads, len(jobs)))

    def call(job):
        if not hasattr(local, "session"):
            local.session = stack.session()
            try:
                start.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
        return job(local.session)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(call, jobs))
