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


def tiny_png(width: int = 24, height: int = 16, rgb: tuple[int, int, int] = (178, 34, 34)) -> bytes:
    """A real PNG of one colour (for photo uploads): signature, IHDR, IDAT, IEND."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))
