"""Attendee export end to end: DynamoDB pages -> CSV/XLSX -> response body or S3, at 10k and 100k rows.

`python -m bench.export_dynamodb` starts the embedded DynamoDB/S3 server (devtools.dynamodb_server,
plus `install_fast_partition_queries`: stock moto needs minutes per read of a 100k-item
partition), creates two award-ceremony events through the service layer
(chalicelib.services.events) and seeds 10k and 100k registrations directly with
BatchWriteItem (items shaped like the ones `chalicelib.services.registrations.register`
stores, from bench.export's synthetic pool). Every measurement then runs in a fresh
interpreter (`--one MODE FORMAT EVENT_ID`, one JSON line). Each child imports
everything, creates its boto3 clients and makes one small query, then resets its peak-RSS mark
(see `reset_peak`); it reports wall and CPU seconds, the peak RSS growth over that baseline
and the output's size. MODE is

- `inline`   chalicelib.services.attendees.export with EXPORT_INLINE_MAX_BYTES=10**10: the
             file comes back as bytes, so the whole file is in memory at the end (inherent
             to answering from Lambda, where the limit is 4 MB).
- `s3`       the same with EXPORT_INLINE_MAX_BYTES=1: the spooled file is uploaded to S3 and a
             presigned URL returned; the file never sits in memory whole (beyond what boto3's
             multipart upload buffers). The size comes from HeadObject afterwards.
- `baseline` list(chalicelib.storage.registrations.all_of_event(...)) (the DynamoDB read into
             Registration records, timed alone), then a bare `csv.writer` writing those
             records' raw attribute values into an io.BytesIO as utf-8 (timed alone), then -
             for the breakdown only - the project's CSV and XLSX writers
             (chalicelib.formats.spreadsheets) fed from the in-memory list (no DynamoDB).

Goals: peak RSS growth of the streaming export flat from 10k to 100k rows; CSV export time
<= 2x the bare csv write of the same rows from memory.
"""
from __future__ import annotations

import argparse
import bisect
import csv
import gc
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from bench.memory import peak_kib, reset_peak

if TYPE_CHECKING:
    from chalicelib.domain.events import Event

SMALL, LARGE, FALLBACK_LARGE = 10_000, 100_000, 50_000
# If seeding + reading the large partition is projected past this, use FALLBACK_LARGE rows.
LARGE_BUDGET_SECONDS = 240
BATCH = 25
SEED_THREADS = 4
INLINE_UNLIMITED = str(10**10)
RUNS = 2  # fresh processes per measurement: the fastest run's times, the highest peak

AWARD_ROLES = ("audience",) * 5 + ("guest", "guest", "nominee", "family", "media", "volunteer")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # as chalicelib.domain.tokens
SHANGHAI_OFFSET_S = 8 * 3600
OPENS_EPOCH_MS = 1_793_494_800_000  # 2026-11-01T09:00:00+08:00
SPACING_MS = 19_000  # one registration every 19 s: 100k over ~22 days


# --- the embedded server, with a fast path for reading one partition --------------------------

_PARTITION_QUERY = re.compile(r"pk = (:\w+)(?: AND begins_with\(sk, (:\w+)\))?")
_FAST_QUERY_PARAMS = {"TableName", "KeyConditionExpression", "ExpressionAttributeValues",
                      "ExclusiveStartKey", "Limit", "ConsistentRead"}


def install_fast_partition_queries() -> None:
    """Serve `pk = :pk [AND begins_with(sk, :prefix)]` queries in O(page) instead of O(table).

    moto 5 answers each Query page by sorting the whole table, walking the partition up to
    ExclusiveStartKey, deep-copying the page and pushing it through its model-driven response
    serializer (~2 ms per item): a 100k-registration partition takes minutes per read, so the
    export's own cost would disappear under moto's. This path keeps DynamoDB's semantics for
    the queries the export makes (key order, 1 MB pages by moto's own item size, Limit,
    LastEvaluatedKey) and answers with the same JSON; anything else goes to moto unchanged.
    The sorted sort keys of a partition are cached until its item count changes (the
    benchmark only reads after seeding).
    """
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT
    from moto.dynamodb.responses import DynamoHandler

    stock_query = DynamoHandler.query
    if getattr(stock_query, "fast_partition_queries", False):
        return
    sorted_keys: dict[int, tuple[int, list[str]]] = {}

    def fast(handler: Any) -> str | None:
        body = handler.body
        match = _PARTITION_QUERY.fullmatch(body.get("KeyConditionExpression") or "")
        if not match or not set(body) <= _FAST_QUERY_PARAMS:
            return None
        table = handler.dynamodb_backend.get_table(body["TableName"])
        if (table.hash_key_attr, table.range_key_attr) != ("pk", "sk"):
            return None
        values = body.get("ExpressionAttributeValues") or {}
        pk, prefix = values.get(match.group(1)), values.get(match.group(2)) if match.group(2) else {"S": ""}
        if not pk or set(pk) != {"S"} or not prefix or set(prefix) != {"S"}:
            return None
        partition = table.items.get(DynamoType(pk), {})
        cached = sorted_keys.get(id(partition))
        if cached is None or cached[0] != len(partition):
            cached = (len(partition), sorted(key.value for key in partition))
            sorted_keys[id(partition)] = cached
        keys = cached[1]
        start = body.get("ExclusiveStartKey")
        position = bisect.bisect_left(keys, prefix["S"])
        if start:
            position = max(position, bisect.bisect_right(keys, start["sk"]["S"]))
        limit = body.get("Limit") or len(keys)
        items: list[dict[str, Any]] = []
        size, last = 0, None
        for index in range(position, len(keys)):
            if not keys[index].startswith(prefix["S"]):
                break
            item = partition[DynamoType({"S": keys[index]})]
            item_size = item.size()
            if len(items) == limit or size + item_size > RESULT_SIZE_LIMIT:
                last = {"pk": pk, "sk": {"S": keys[index - 1]}}
                break
            items.append(item.to_json()["Attributes"])
            size += item_size
        result: dict[str, Any] = {"Count": len(items), "ScannedCount": len(items), "Items": items}
        if last:
            result["LastEvaluatedKey"] = last
        return json.dumps(result, separators=(",", ":"))

    def query(handler: Any) -> Any:
        answer = fast(handler)
        return stock_query(handler) if answer is None else answer

    query.fast_partition_queries = True  # type: ignore[attr-defined]
    DynamoHandler.query = query  # type: ignore[method-assign]


def serve() -> int:
    """devtools.dynamodb_server's main, with install_fast_partition_queries."""
    from devtools import dynamodb_server

    install_fast_partition_queries()
    return dynamodb_server.main(["--port", "0"])


def spawn_server() -> tuple[subprocess.Popen[str], str]:
    """Like devtools.dynamodb_server.spawn(), for the server of `serve`."""
    process = subprocess.Popen([sys.executable, "-m", "bench.export_dynamodb", "--serve"],
                               cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())["endpoint"]


# --- seeding -------------------------------------------------------------------------------

def _sortable_id(ms: int, i: int) -> str:
    """16 Crockford characters like chalicelib.domain.tokens.new_registration_id: time (ms) then
    32 bits, so ids sort."""
    bits = (ms << 32) | (i * 2_654_435_761 & 0xFFFFFFFF)
    return "".join(CROCKFORD[(bits >> shift) & 31] for shift in range(75, -1, -5))


def _shanghai_iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(ms // 1000 + SHANGHAI_OFFSET_S))


def registrations(event: Event, count: int) -> Iterator[dict[str, Any]]:
    """Registration items' fields as `chalicelib.services.registrations._new_registration` builds
    them (then a check-in, a waitlist place or a cancellation), from bench.export's pool."""
    from bench.export import synthetic_items

    event_id = event.event_id
    expires_at = event.retention_expiry()
    waitlist_position = 0
    for i, template in enumerate(synthetic_items(count)):
        ms = OPENS_EPOCH_MS + i * SPACING_MS + i % 997
        stamp = _shanghai_iso(ms)
        registration = {k: v for k, v in template.items() if k not in ("items", "checked_in_at", "gate")}
        registration.update({
            "registration_id": _sortable_id(ms, i),
            "event_id": event_id,
            "role": AWARD_ROLES[i % len(AWARD_ROLES)],
            "registered_at": stamp,
            "consent_version": "2026-11-01",
            "consent_at": stamp,
            "expires_at": expires_at,
        })
        if "phone" in registration:  # unique phones (the pool repeats every 997)
            registration["phone"] = f"1{3 + i % 7}{(i * 7919 + 12345) % 10**9:09d}"
            registration["phone_guard"] = hashlib.blake2b(
                f"{event_id}\x00{registration['phone']}".encode(), digest_size=16).hexdigest()
        else:
            registration.update(status="cancelled", erased=True, erased_at=stamp)
        status = registration["status"]
        if status == "confirmed" and "checked_in_at" in template:
            registration["checked_in_at"] = template["checked_in_at"]
            registration["gate"] = template["gate"]
        elif status == "waitlisted":
            waitlist_position += 1
            registration["waitlist_position"] = waitlist_position
        elif status == "cancelled":
            registration["cancelled_at"] = _shanghai_iso(ms + 86_400_000)
        if i % 17 == 0:
            registration["note"] = "需要轮椅通道" if i % 2 else "同行者为家属"
        yield registration


def _write_batch(client: Any, table: str, requests: list[dict[str, Any]]) -> int:
    pending, calls = {table: requests}, 0
    while pending:
        calls += 1
        response = client.batch_write_item(RequestItems=pending)
        pending = response.get("UnprocessedItems") or {}
        if pending:
            time.sleep(min(0.05 * calls, 1.0))
    return calls


def seed(event: Event, count: int) -> float:
    """Write `count` registration items with BatchWriteItem (25 per request); returns seconds."""
    from chalicelib.storage import dynamo
    from chalicelib.storage import registrations as registration_store

    client, table = dynamo.client(), dynamo.table()
    started = time.perf_counter()
    batches: list[list[dict[str, Any]]] = [[]]
    for registration in registrations(event, count):
        item = {**registration_store.key(event.event_id, registration["registration_id"]),
                "type": "registration", **registration}
        if len(batches[-1]) == BATCH:
            batches.append([])
        batches[-1].append({"PutRequest": {"Item": dynamo.to_dynamo(item)}})
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        list(pool.map(lambda batch: _write_batch(client, table, batch), batches))
    return time.perf_counter() - started


# --- one measurement in a fresh interpreter -----------------------------------------------------

def _warm(event_id: str) -> None:
    from chalicelib.formats import spreadsheets  # noqa: F401
    from chalicelib.services import attendees, events  # noqa: F401
    from chalicelib.storage import aws, files  # noqa: F401
    from chalicelib.storage import registrations as registration_store

    aws.client("dynamodb")
    aws.client("s3")
    events.require_event(event_id)
    registration_store.page(event_id, None, 1, None)
    gc.collect()


def measure(mode: str, file_format: str, event_id: str) -> dict[str, Any]:
    _warm(event_id)
    from chalicelib.config import settings
    from chalicelib.formats import spreadsheets
    from chalicelib.services import attendees
    from chalicelib.storage import aws
    from chalicelib.storage import registrations as registration_store

    rss_before = reset_peak()
    result: dict[str, Any] = {"mode": mode, "format": file_format, "rss_before_kib": rss_before}
    if mode in ("inline", "s3"):
        started, cpu_started = time.perf_counter(), time.process_time()
        export = attendees.export(event_id, file_format, {})
        result["seconds"] = time.perf_counter() - started
        result["cpu_seconds"] = time.process_time() - cpu_started
        result["peak_growth_kib"] = peak_kib() - rss_before
        if mode == "inline":
            assert export.body is not None, "expected an inline body"
            result["bytes"] = len(export.body)
        else:
            assert export.url is not None, "expected an S3 URL"
            key = export.url.split("?")[0].split(f"/{settings().export_bucket}/", 1)[1]
            from urllib.parse import unquote
            head = aws.client("s3").head_object(Bucket=settings().export_bucket, Key=unquote(key))
            result["bytes"] = head["ContentLength"]
            result["url"] = export.url.split("?")[0]
        return result

    started, cpu_started = time.perf_counter(), time.process_time()
    rows = list(registration_store.all_of_event(event_id))
    result["read_seconds"] = time.perf_counter() - started
    result["read_cpu_seconds"] = time.process_time() - cpu_started
    result["list_growth_kib"] = peak_kib() - rss_before
    result["rows"] = len(rows)

    def bare() -> int:
        buffer = io.BytesIO()
        text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(spreadsheets.COLUMNS)
        for registration in rows:  # None is written as an empty cell
            writer.writerow([getattr(registration, column) for column in spreadsheets.COLUMNS])
        text.flush()
        return len(buffer.getvalue())

    result["bare_csv_seconds"], result["bytes"] = _best(bare)
    result["writer_csv_seconds"], result["writer_csv_bytes"] = _best(
        lambda: spreadsheets.write_csv(rows, io.BytesIO()))

    def xlsx() -> int:
        buffer = io.BytesIO()
        spreadsheets.write_xlsx(rows, buffer)
        return len(buffer.getvalue())

    result["writer_xlsx_seconds"], result["writer_xlsx_bytes"] = _best(xlsx, runs=1)
    result["peak_growth_kib"] = peak_kib() - rss_before
    return result


def _best(call: Any, runs: int = 3) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        size = call()
        times.append(time.perf_counter() - started)
    return min(times), size


def run_one(env: dict[str, str], mode: str, file_format: str, event_id: str) -> dict[str, Any]:
    child_env = {**os.environ, **env,
                 "EXPORT_INLINE_MAX_BYTES": "1" if mode == "s3" else INLINE_UNLIMITED}
    done = subprocess.run([sys.executable, "-m", "bench.export_dynamodb", "--one", mode, file_format, event_id],
                          env=child_env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{mode} {file_format} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's best over the runs: least seconds (noise only adds), most peak growth."""
    best = dict(runs[0])
    for key in best:
        if key.endswith("seconds"):
            best[key] = min(run[key] for run in runs)
        elif key.endswith("growth_kib"):
            best[key] = max(run[key] for run in runs)
    return best


# --- the benchmark ------------------------------------------------------------------------------

def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    from devtools.local_env import local_environment

    started = time.perf_counter()
    process, endpoint = spawn_server()
    results: dict[tuple[str, str, int], dict[str, Any]] = {}
    notes: list[str] = []
    try:
        with local_environment(endpoint, prefix="bench") as env:
            from chalicelib.services import events
            from chalicelib.storage import events as event_store
            from chalicelib.storage import registrations as registration_store
            from devtools.samples import event_body

            small_event = event_store.get(events.create_event(event_body(capacity=100_000)).event_id)
            large_event = event_store.get(events.create_event(event_body(capacity=100_000)).event_id)
            assert small_event and large_event and small_event.kind == "award_ceremony"

            seed_small = seed(small_event, SMALL)
            probe = time.perf_counter()
            assert sum(1 for _ in registration_store.all_of_event(small_event.event_id)) == SMALL
            read_small = time.perf_counter() - probe
            _log(f"seeded {SMALL} in {seed_small:.1f} s, read them in {read_small:.1f} s")
            # Export runs read the large partition 5 times; moto's query may grow worse than linearly.
            projected = (seed_small + 5 * read_small) * LARGE / SMALL
            large = LARGE
            if projected > LARGE_BUDGET_SECONDS:
                large = FALLBACK_LARGE
                notes.append(f"NOTE: {LARGE} rows projected at {projected:.0f} s of seeding+reading on the embedded "
                             f"server (> {LARGE_BUDGET_SECONDS} s), so the large run uses {large} rows")
            seed_large = seed(large_event, large)
            _log(f"seeded {large} in {seed_large:.1f} s")

            for n, event in ((SMALL, small_event), (large, large_event)):
                for mode, file_format in (("baseline", "csv"), ("inline", "csv"), ("s3", "csv"),
                                          ("inline", "xlsx"), ("s3", "xlsx")):
                    runs = [run_one(env, mode, file_format, event.event_id) for _ in range(RUNS)]
                    results[mode, file_format, n] = best_of(runs)
                    r = results[mode, file_format, n]
                    _log(f"{n} {mode} {file_format}: {r.get('seconds', r.get('read_seconds')):.2f} s")
    finally:
        process.terminate()
        process.wait(timeout=10)

    report(results, seed_small, seed_large, notes)
    print(f"benchmark wall time {time.perf_counter() - started:.1f} s")


EXPORT_LABELS = {
    ("inline", "csv"): "CSV export, inline body (whole file in RAM)",
    ("s3", "csv"): "CSV export, streamed to S3 (URL)",
    ("inline", "xlsx"): "XLSX export, inline body (whole file in RAM)",
    ("s3", "xlsx"): "XLSX export, streamed to S3 (URL)",
}


def report(results: dict[tuple[str, str, int], dict[str, Any]], seed_small: float, seed_large: float,
           notes: list[str]) -> None:
    sizes = sorted({n for _, _, n in results})
    small, large = sizes[0], sizes[-1]
    print(f"seeding (BatchWriteItem, {BATCH}/request, {SEED_THREADS} threads): {small} rows {seed_small:.1f} s "
          f"({small / seed_small:.0f} items/s), {large} rows {seed_large:.1f} s ({large / seed_large:.0f} items/s)")
    for note in notes:
        print(note)
    print()
    header = (f"{'run':<46} {'rows':>7} {'wall s':>7} {'CPU s':>6} {'rows/s':>8} {'RSS before':>11} "
              f"{'peak growth':>12} {'bytes':>10}")
    print(header)
    print("-" * len(header))

    def line(label: str, n: int, wall: float, cpu: float | None, before: Any, growth: Any, size: Any) -> None:
        print(f"{label:<46} {n:>7} {wall:>7.2f} {'' if cpu is None else f'{cpu:.2f}':>6} {n / wall:>8.0f} "
              f"{before:>11} {growth:>12} {size:>10}")

    for n in sizes:
        base = results["baseline", "csv", n]
        line("baseline: DynamoDB read into a list", n, base["read_seconds"], base["read_cpu_seconds"],
             base["rss_before_kib"], base["list_growth_kib"], "")
        line("baseline: bare csv.writer, list -> BytesIO", n, base["bare_csv_seconds"], None, "", "", base["bytes"])
        line("breakdown: write_csv, list -> BytesIO", n, base["writer_csv_seconds"], None, "", "",
             base["writer_csv_bytes"])
        line("breakdown: write_xlsx, list -> BytesIO", n, base["writer_xlsx_seconds"], None, "", "",
             base["writer_xlsx_bytes"])
        for key, label in EXPORT_LABELS.items():
            r = results[(*key, n)]
            line(label, n, r["seconds"], r["cpu_seconds"], r["rss_before_kib"], r["peak_growth_kib"], r["bytes"])
        print()
    print(f"Each row: best of {RUNS} fresh processes (least seconds, highest peak growth).")
    print("wall s: elapsed; CPU s: the measuring process only (the server is another process), so wall - CPU is\n"
          "mostly the embedded server answering Query pages. RSS before: VmRSS after imports, boto3 clients and one\n"
          "small query; peak growth: VmHWM during the run minus that (KiB); each row's process is fresh. For the read\n"
          "the growth is the list of Registration records; breakdown rows (the chalicelib.formats.spreadsheets\n"
          "writers, in one process with the list) are timed only. bytes: the file's size (for S3, HeadObject's\n"
          "ContentLength); the bare csv has raw values, no BOM, no labels.")
    print()
    for n in sizes:
        base = results["baseline", "csv", n]
        read_s, bare_s, writer_s = base["read_seconds"], base["bare_csv_seconds"], base["writer_csv_seconds"]
        for mode in ("inline", "s3"):
            csv_s = results[mode, "csv", n]["seconds"]
            print(f"{n:>7} rows, CSV {mode:<6}: export / (DynamoDB read + bare csv) = "
                  f"{csv_s / (read_s + bare_s):.2f}x; export / bare csv alone = {csv_s / bare_s:.1f}x (goal <= 2x)")
        print(f"{n:>7} rows, CSV writer from memory / bare csv from memory = {writer_s / bare_s:.2f}x")
        csv_s, xlsx_s = results["inline", "csv", n]["seconds"], results["inline", "xlsx", n]["seconds"]
        print(f"{n:>7} rows, where the time goes: DynamoDB read {read_s:.2f} s = {read_s / csv_s:.0%} of the "
              f"inline CSV export (client CPU {base['read_cpu_seconds']:.2f} s: botocore parsing, from_dynamo and "
              f"Registration.from_mapping; the rest is the server and HTTP); CSV formatting {writer_s:.2f} s; "
              f"XLSX formatting {base['writer_xlsx_seconds']:.2f} s "
              f"= {base['writer_xlsx_seconds'] / xlsx_s:.0%} of the inline XLSX export")
    print()
    for key, label in EXPORT_LABELS.items():
        a, b = results[(*key, small)]["peak_growth_kib"], results[(*key, large)]["peak_growth_kib"]
        goal = "goal: flat" if key[0] == "s3" else "grows with the file: it is returned whole"
        print(f"{label:<46} peak RSS growth {small // 1000}k -> {large // 1000}k rows: {a:>7} -> {b:>7} KiB ({goal})")
    a, b = results["baseline", "csv", small]["list_growth_kib"], results["baseline", "csv", large]["list_growth_kib"]
    print(f"{'baseline: all rows in a list':<46} peak RSS growth {small // 1000}k -> {large // 1000}k rows: "
          f"{a:>7} -> {b:>7} KiB (for contrast)")
    upload = results["s3", "csv", large]
    print(f"S3 path works: {upload['url']} ({upload['bytes']} bytes, {upload['seconds']:.2f} s incl. upload vs "
          f"{results['inline', 'csv', large]['seconds']:.2f} s inline)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=3, metavar=("MODE", "FORMAT", "EVENT_ID"))
    parser.add_argument("--serve", action="store_true", help="run the embedded server with the fast query path")
    arguments = parser.parse_args()
    if arguments.serve:
        sys.exit(serve())
    elif arguments.one:
        print(json.dumps(measure(*arguments.one)))
    else:
        main()
