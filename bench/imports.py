"""Guest-list import of 5,000 rows (SPEC §6): time and peak memory, end to end through the service
layer against the embedded DynamoDB (devtools.dynamodb_server, over HTTP).

`python -m bench.imports` starts the embedded server and runs each measurement in a fresh
interpreter (`--one KIND`, one JSON line), whose peak RSS window is reset just before the work
(bench/memory.py). KIND is

- `csv`       chalicelib.services.imports.import_registrations of a 5,000-row GB18030 CSV (as Excel
              on Chinese Windows saves it): read, check every row, reserve, write, complete
- `xlsx`      the same list as an XLSX workbook with the phones and party sizes as numbers
- `check`     baseline 1: only reading and checking the CSV (no DynamoDB writes): what the
              all-or-nothing write adds on top of it
- `single`    baseline 2: 500 registrations of the same people one by one through
              chalicelib.services.registrations.register (one transaction each), the way they
              would arrive from the form; scaled per row to compare with the import

Goal: 5,000 rows well within the Lambda's 30 s and API Gateway's 29 s; peak memory a small part
of the function's 512 MB.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from typing import Any

from bench.memory import peak_kib, reset_peak

ROWS = 5000
SINGLE = 500
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
ROLES = ("候选人", "家属", "嘉宾", "媒体", "guest")


def people(n: int) -> list[list[Any]]:
    return [
        [SURNAMES[i % 20] + GIVEN[(i // 20) % 24] + GIVEN[(i // 480) % 24], 13800000000 + i * 7,
         ROLES[i % len(ROLES)], 1 + i % 3, "遵义", "市新媒体联合会" if i % 4 == 0 else "", "", "", ""]
        for i in range(n)
    ]


HEADER = ["姓名", "手机号", "身份", "人数", "城市", "单位", "备注", "座位", "奖项"]


def csv_file(n: int) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in people(n):
        phone = f"+86 {row[1]}" if row[1] % 3 == 0 else str(row[1])  # some typed with the country code
        writer.writerow([row[0], phone, *row[2:]])
    return out.getvalue().encode("gb18030")


def xlsx_file(n: int) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet("嘉宾名单")
    sheet.write_row(0, 0, HEADER)
    for r, row in enumerate(people(n), start=1):
        for c, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, c, value)
            elif value:
                sheet.write_string(r, c, value)
    workbook.close()
    return out.getvalue()


def _event() -> str:
    from chalicelib.services import events

    event = events.create_event({
        "kind": "award_ceremony", "title": "基准颁奖典礼", "venue": "演播厅",
        "starts_at": "2027-03-01T19:00:00+08:00", "ends_at": "2027-03-01T21:00:00+08:00",
        "capacity": 20_000, "max_party_size": 3,
    })
    return event.event_id


def measure(kind: str) -> dict[str, Any]:
    import chalicelib.services  # noqa: F401  (installs the signing-key source)
    from chalicelib.services import imports, registrations

    event_id = _event()
    content = xlsx_file(ROWS) if kind == "xlsx" else csv_file(ROWS)
    before = reset_peak()
    cpu, started = time.process_time(), time.perf_counter()
    rows = ROWS
    if kind in ("csv", "xlsx"):
        result = imports.import_registrations(event_id, content, {}, None)
        assert result.created == ROWS, result.created
    elif kind == "check":
        from chalicelib.services import events

        event = events.require_event(event_id)
        good, _, bad = imports._checked_rows(event, imports._sheet(content), False)
        assert len(good) == ROWS and not bad
    elif kind == "single":
        rows = SINGLE
        for name, phone, role, party, city, org, *_ in people(SINGLE):
            body = {"name": name, "phone": str(phone), "role": "guest", "party_size": party, "consent": True, "city": city}
            registrations.register(event_id, body)
    else:
        raise ValueError(kind)
    seconds = time.perf_counter() - started
    return {"kind": kind, "rows": rows, "seconds": seconds, "cpu_seconds": time.process_time() - cpu,
            "peak_rss_kib": peak_kib(), "peak_rss_growth_kib": peak_kib() - before, "file_bytes": len(content)}


def main() -> None:
    from devtools.dynamodb_server import spawn
    from devtools.local_env import local_environment

    process, endpoint = spawn()
    try:
        with local_environment(endpoint, prefix="bench") as env:
            results = {}
            for kind in ("check", "csv", "xlsx", "single"):
                done = subprocess.run([sys.executable, "-m", "bench.imports", "--one", kind],
                                      capture_output=True, text=True, env={**os.environ, **env})
                if done.returncode:
                    raise SystemExit(f"bench.imports --one {kind} failed:\n{done.stderr[-3000:]}")
                results[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    print(f"{'import':<7} {'rows':>6} {'seconds':>8} {'cpu s':>7} {'rows/s':>8} {'peak RSS KiB':>13} "
          f"{'growth KiB':>11} {'file bytes':>11}")
    for kind, r in results.items():
        print(f"{kind:<7} {r['rows']:>6} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.2f} {r['rows'] / r['seconds']:>8.0f} "
              f"{r['peak_rss_kib']:>13} {r['peak_rss_growth_kib']:>11} {r['file_bytes']:>11}")
    per_single = results["single"]["seconds"] / results["single"]["rows"]
    for kind in ("csv", "xlsx"):
        r = results[kind]
        print(f"{kind}: {ROWS} rows in {r['seconds']:.2f} s = {r['seconds'] / (per_single * ROWS):.2f}x the time of "
              f"{ROWS} single registrations ({per_single * 1000:.1f} ms each); checking alone "
              f"{results['check']['seconds'] / r['seconds']:.0%} of it; peak RSS growth {r['peak_rss_growth_kib'] / 1024:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", metavar="KIND", help="measure one KIND (csv, xlsx, check, single) and print JSON")
    arguments = parser.parse_args()
    if arguments.one:
        print(json.dumps(measure(arguments.one)))
    else:
        main()
