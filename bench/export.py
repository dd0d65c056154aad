"""Attendee-list exports: time, peak memory and size of the CSV and XLSX writers.

`python -m bench.export` runs every measurement in a fresh interpreter
(`python -m bench.export --one KIND N`, which prints one JSON line) so that peak-RSS figures
(VmHWM, reset just before the work: see bench/memory.py) are comparable. KIND is

- `csv`    chalicelib.formats.spreadsheets.write_csv from a lazy generator into a file
- `xlsx`   chalicelib.formats.spreadsheets.write_xlsx from a lazy generator into a file
- `bare`   baseline 1: the same rows already formatted (attendee_row), held in a list, written
           with a bare `csv.writer` into a utf-8-sig file: the csv module's own cost, the floor.
           Only the writing is timed; peak RSS counts the list too (what streaming avoids)
- `naive`  baseline 2: the registrations as the writers get them (Registration records), held
           in a list, written with a bare `csv.writer` as raw attribute values (no labels, times
           as stored, items as Python repr): the naive export. Only the writing is timed; peak
           RSS counts the list too
- `source` draining the synthetic generator alone, to show what it adds to `csv`/`xlsx`

The writers take `chalicelib.domain.registrations.Registration` records. The synthetic ones
are converted from dicts (`Registration.from_mapping`) once, for a pool, at import: before
anything is timed. Each generated record is a copy of a pool record with a fresh id, made
without re-running the dataclass's __init__, so `source` stays a small share of `csv`.

Goals: CSV time / bare-csv time <= 2x; peak memory growth flat from 10k to 100k rows.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from bench.memory import peak_kib, reset_peak
from chalicelib.domain.registrations import Registration
from chalicelib.formats import spreadsheets

SIZES = (10_000, 100_000)
KINDS = ("source", "bare", "naive", "csv", "xlsx")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗欧阳司马"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
CITIES = ("杭州", "上海", "北京", "苏州", "南京", "绍兴", "宁波", "广州", None)
ORGS = ("西泠印社", "浙江省博物馆", "中国美术学院", "个人收藏", None, None)
ROLES = ("collector", "visitor", "media", "volunteer", "guest", "nominee")
STATUSES = ("confirmed",) * 6 + ("waitlisted", "cancelled")
ITEMS = (
    [{"name": "铜像", "category": "雕塑", "era": "民国", "intent": "donate"},
     {"name": "纪念章", "intent": "exchange"}],
    [{"name": "青花瓷盘", "category": "瓷器", "era": "清", "intent": "exhibit"}],
    None, None,
)
POOL_SIZE = 997  # prime, so pool entries don't line up with any other period
EVENT_ID = "bench-award-2026"


def _template(i: int) -> dict[str, Any]:
    registration: dict[str, Any] = {
        "status": STATUSES[i % len(STATUSES)],
        "name": SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13) % len(GIVEN)],
        "phone": f"1{3 + i % 7}{(i * 7919) % 10**9:09d}",
        "role": ROLES[i % len(ROLES)],
        "party_size": 1 + i % 4,
        "registered_at": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}+08:00",
    }
    for key, value in (("city", CITIES[i % len(CITIES)]), ("organization", ORGS[i % len(ORGS)]),
                       ("items", ITEMS[i % len(ITEMS)])):
        if value:
            registration[key] = value
    if i % 2:
        registration["checked_in_at"] = f"2026-12-20T{10 + i % 8:02d}:{i % 60:02d}:00+08:00"
        registration["gate"] = ("东门", "西门", "南门")[i % 3]
    if i % 101 == 0:  # an erased registration
        del registration["name"], registration["phone"]
    return registration


_POOL = [_template(i) for i in range(POOL_SIZE)]
_RECORDS = [Registration.from_mapping({**template, "registration_id": "", "event_id": EVENT_ID})
            for template in _POOL]


def synthetic_items(n: int) -> Iterator[dict[str, Any]]:
    """n registrations as plain dicts (fields as stored, absent ones left out), made one at a
    time (cheap: a pool entry and a fresh id). No event_id: bench.export_dynamodb seeds them."""
    for i in range(n):
        yield {**_POOL[i % POOL_SIZE], "registration_id": f"AGRC{i:012d}"}


def synthetic(n: int) -> Iterator[Registration]:
    """n Registration records, made one at a time: a pool record's copy with a fresh id.

    The copy sets the instance's attributes directly: `dataclasses.replace` (or from_mapping)
    re-runs __init__ over all 24 fields, ~10 us a row, more than the CSV writer itself spends.
    """
    new, setattr_ = object.__new__, object.__setattr__
    for i in range(n):
        record = new(Registration)
        setattr_(record, "__dict__", {**_RECORDS[i % POOL_SIZE].__dict__, "registration_id": f"AGRC{i:012d}"})
        yield record


def _run(kind: str, n: int, rows: list[Any], path: str) -> None:
    if kind == "source":
        for _ in synthetic(n):
            pass
    elif kind == "bare":
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(spreadsheets.headers("zh"))
            writer.writerows(rows)
    elif kind == "naive":
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(spreadsheets.COLUMNS)
            for registration in rows:  # None is written as an empty cell
                writer.writerow([getattr(registration, column) for column in spreadsheets.COLUMNS])
    elif kind == "csv":
        with open(path, "wb") as out:
            spreadsheets.write_csv(synthetic(n), out)
    elif kind == "xlsx":
        spreadsheets.write_xlsx(synthetic(n), path)
    else:
        raise ValueError(kind)


def measure(kind: str, n: int) -> dict[str, Any]:
    """Best time of a few runs (one for long ones), peak RSS growth over all of them."""
    repeats = 1 if kind == "xlsx" and n > 10_000 else 5 if n <= 10_000 else 3
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"attendees.{'xlsx' if kind == 'xlsx' else 'csv'}")
        before = reset_peak()
        rows: list[Any] = []
        if kind == "bare":
            rows = [spreadsheets.attendee_row(r, "zh") for r in synthetic(n)]
        elif kind == "naive":
            rows = list(synthetic(n))
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            _run(kind, n, rows, path)
            times.append(time.perf_counter() - started)
        size = os.path.getsize(path) if os.path.exists(path) else 0
        peak = peak_kib()
    return {"kind": kind, "n": n, "seconds": min(times), "runs": repeats,
            "peak_rss_growth_kib": peak - before, "peak_rss_kib": peak, "bytes": size}


def run_one(kind: str, n: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.export", "--one", kind, str(n)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    started = time.perf_counter()
    results = {(kind, n): run_one(kind, n) for n in SIZES for kind in KINDS}
    print(f"{'export':<8} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'peak RSS KiB':>13} "
          f"{'growth KiB':>11} {'bytes':>12}")
    for (kind, n), r in results.items():
        print(f"{kind:<8} {n:>8} {r['seconds']:>8.3f} {n / r['seconds']:>9.0f} {r['peak_rss_kib']:>13} "
              f"{r['peak_rss_growth_kib']:>11} {r['bytes']:>12}")
    for n in SIZES:
        csv_s, source_s = results["csv", n]["seconds"], results["source", n]["seconds"]
        bare_s, naive_s = results["bare", n]["seconds"], results["naive", n]["seconds"]
        print(f"{n:>7} rows: CSV / bare csv (formatted rows) = {csv_s / bare_s:.2f}x, "
              f"minus the synthetic source {(csv_s - source_s) / bare_s:.2f}x; "
              f"CSV / naive csv (raw rows) = {csv_s / naive_s:.2f}x (goal <= 2x)")
    small, large = SIZES
    for kind in ("csv", "xlsx", "bare", "naive"):
        a, b = results[kind, small]["peak_rss_growth_kib"], results[kind, large]["peak_rss_growth_kib"]
        goal = "goal: flat" if kind in ("csv", "xlsx") else "in-memory list, for contrast"
        print(f"{kind:<5} peak RSS growth {small // 1000}k -> {large // 1000}k rows: {a} -> {b} KiB ({goal})")
    print(f"benchmark wall time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=2, metavar=("KIND", "N"),
                        help=f"measure one KIND ({', '.join(KINDS)}) over N rows and print JSON")
    arguments = parser.parse_args()
    if arguments.one:
        print(json.dumps(measure(arguments.one[0], int(arguments.one[1]))))
    else:
        main()
