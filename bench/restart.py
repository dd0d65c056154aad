"""Durability of the embedded DynamoDB: what the journal costs writes, and what a restart costs.

`python -m bench.restart [--sizes 0,1000,10000] [--writes 300]`. Every figure is a ratio to a
baseline measured in the same run:

- writes/s: registration-shaped TransactWriteItems (registration + phone guard, both
  conditional, and the event counter) through boto3 over HTTP, from 1 and from 8 client
  threads, and real registrations through the app in-process (`POST /events/{id}/registrations`
  as bench.latency does it), against the embedded server without a data directory (baseline:
  nothing on disk) and with one (journal, an fdatasync per acknowledged write). Interleaved
  rounds, medians.
- restart by store size (registrations, ~3 items each: registration, phone guard, idempotency
  record): the old start as baseline (an empty server, the table created, then the snapshot's
  items replayed with BatchWriteItem over HTTP, 25 per request, as run_local did) vs the
  durable server on its data directory after a clean stop (snapshot only) and after kill -9
  (snapshot + journal tail). Each time is from the process's spawn until it serves (its ready
  line) plus the table check, i.e. what `make run` waits for; in brackets the CPU seconds of
  the server and the client, which a busy machine inflates far less than wall time.
- `make run` itself (devtools.run_local, spawn to the printed banner; in brackets the CPU
  seconds of it and its DynamoDB child) on an empty store and on the largest one (a second
  start, once the demo data exists): the goal is <= 2 s at 10,000 registrations.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from devtools.bootstrap import create_table_kwargs, table_properties

ROOT = Path(__file__).resolve().parent.parent
TABLE = "baoming-local"  # what run_local uses, so the stores below also serve `make run`
EVENT_ID = "bench-restart"


def _client(endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local",
                        config=Config(max_pool_connections=16, retries={"max_attempts": 10}))


def _spawn(data_dir: Path | None) -> tuple[subprocess.Popen[str], str, dict[str, Any] | None, float]:
    """The embedded server as `make run` would start it; returns it, its endpoint, restore stats and
    the seconds from spawn to serving."""
    args = [sys.executable, "-m", "devtools.dynamodb_server", "--port", "0"]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    ready = json.loads(process.stdout.readline())
    return process, ready["endpoint"], ready["restored"], time.perf_counter() - started


def _stop(process: subprocess.Popen[str], signum: int = signal.SIGTERM) -> None:
    process.send_signal(signum)
    process.wait(timeout=120)


def ensure_table(client: Any) -> None:
    """devtools.bootstrap.ensure_table without its waiter's first 0.1 s sleep (the table is ACTIVE at once)."""
    if TABLE in client.list_tables()["TableNames"]:
        return
    client.create_table(**create_table_kwargs(TABLE))
    ttl = table_properties()["TimeToLiveSpecification"]
    client.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": ttl["AttributeName"]})


# --- registration-shaped items ----------------------------------------------------------------

def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def registration_items(i: int) -> list[dict[str, Any]]:
    """Registration (the attributes chalicelib.storage.registrations writes), phone guard, idempotency record."""
    pk, rid = _s(f"EVENT#{EVENT_ID}"), f"01JD{i:012d}"
    stamp = f"2026-11-{1 + i % 28:02d}T{9 + i % 12:02d}:{i % 60:02d}:00+08:00"
    registration = {
        "pk": pk, "sk": _s(f"REG#{rid}"), "type": _s("registration"), "registration_id": _s(rid),
        "event_id": _s(EVENT_ID), "status": _s("confirmed"), "role": _s(("guest", "family", "media")[i % 3]),
        "party_size": _n(1 + i % 3), "name": _s(f"张{'伟芳娜敏静丽强磊军洋'[i % 10]}{i}"), "phone": _s(f"139{i:08d}"),
        "phone_guard": _s(f"{i * 2654435761 % 2**64:032x}"), "city": _s("杭州"), "organization": _s("市新媒体协会"),
        "registered_at": _s(stamp), "consent_version": _s("2026-11-01"), "consent_at": _s(stamp),
        "expires_at": _n(1_800_000_000), "checked_in_heads": _n(0), "source": _s("form"),
        "search_terms": {"L": [_s(f"张{i}"), _s(f"{i:08d}"[-4:])]},
    }
    if i % 7 == 0:
        registration["note"] = _s("需要轮椅通道")
    guard = {"pk": pk, "sk": _s(f"PHONE#{i * 2654435761 % 2**64:032x}"), "type": _s("phone_guard"),
             "registration_id": _s(rid), "expires_at": _n(1_800_000_000)}
    idempotency = {"pk": _s(f"IDEM#{i:064x}"), "sk": _s("IDEM"), "type": _s("idempotency"),
                   "status": _s("completed"), "body_hash": _s(f"{i:064x}"), "expires_at": _n(1_800_000_000),
                   "status_code": _n(201), "response": _s(json.dumps({"registration_id": rid, "status": "confirmed"}))}
    return [registration, guard, idempotency]


def event_item(registrations: int) -> dict[str, Any]:
    return {"pk": _s(f"EVENT#{EVENT_ID}"), "sk": _s("EVENT"), "type": _s("event"), "title": _s("压测活动"),
            "capacity": _n(10**6), "seats_confirmed": _n(registrations), "confirmed_count": _n(registrations),
            "waitlisted_count": _n(0), "gsi1pk": _s("EVENTS"), "gsi1sk": _s(f"2026-11-01#{EVENT_ID}")}


def store_items(registrations: int) -> list[dict[str, Any]]:
    return [event_item(registrations)] + [item for i in range(registrations) for item in registration_items(i)]


def batch_write(client: Any, items: list[dict[str, Any]], threads: int = 1) -> None:
    batches = [items[start:start + 25] for start in range(0, len(items), 25)]

    def write(batch: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {TABLE: [{"PutRequest": {"Item": item}} for item in batch]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    if threads == 1:
        for batch in batches:
            write(batch)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(write, batches))


# --- writes -------------------------------------------------------------------------------------

def transaction(client: Any, n: int, prefix: str) -> None:
    pk = _s(f"EVENT#{prefix}")
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": registration_items(n)[0] | {"pk": pk},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": TABLE, "Item": registration_items(n)[1] | {"pk": pk},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": TABLE, "Key": {"pk": pk, "sk": _s("EVENT")},
                    "UpdateExpression": "ADD seats_confirmed :one, confirmed_count :one",
                    "ExpressionAttributeValues": {":one": _n(1)}}},
    ])


def rate(call: Callable[[int], None], count: int, threads: int) -> float:
    started = time.perf_counter()
    if threads == 1:
        for n in range(count):
            call(n)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(call, range(count)))
    return count / (time.perf_counter() - started)


def app_registrations(endpoint: str, count: int) -> float:
    """Registrations/s through the app in-process (routing, validation, services), against `endpoint`."""
    from devtools.local_env import local_environment
    from devtools.local_server import GatewayLike
    from devtools.samples import event_body, registration_body
    from devtools.stage import chalice_config

    with local_environment(endpoint, prefix="bench-restart") as env:
        from app import app

        gateway = GatewayLike(app, chalice_config("local"))
        admin = {"authorization": f"Bearer {env['ADMIN_TOKEN']}", "content-type": "application/json"}

        def call(method: str, path: str, headers: dict[str, str], body: Any) -> dict[str, Any]:
            response = gateway.handle_request(method=method, path=path, headers=dict(headers),
                                              body=json.dumps(body).encode())
            assert response["statusCode"] < 300, response
            return dict(json.loads(response["body"]))

        event = call("POST", "/events", admin, event_body(capacity=100_000))
        path = f"/events/{event['event_id']}/registrations"
        for _ in range(10):  # warm up clients and code paths
            call("POST", path, {"content-type": "application/json"}, registration_body())
        bodies = [registration_body() for _ in range(count)]
        return rate(lambda n: call("POST", path, {"content-type": "application/json"}, bodies[n]) and None,
                    count, 1)


def bench_writes(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-restart-") as tmp:
        plain, plain_endpoint, _, _ = _spawn(None)
        durable, durable_endpoint, _, _ = _spawn(Path(tmp))
        try:
            clients = {"plain": _client(plain_endpoint), "journal": _client(durable_endpoint)}
            for client in clients.values():
                ensure_table(client)
            results: dict[tuple[str, str, int], list[float]] = {}
            for round_ in range(3):  # interleaved rounds: load drift hits both alike
                for name, client in clients.items():
                    for threads in (1, 8):
                        prefix = f"{name}-{round_}-{threads}"
                        client.put_item(TableName=TABLE, Item={"pk": _s(f"EVENT#{prefix}"), "sk": _s("EVENT")})
                        per_second = rate(lambda n, c=client, p=prefix: transaction(c, n, p), count // 3, threads)
                        results.setdefault(("tx", name, threads), []).append(per_second)
            for _ in range(2):
                for name, endpoint in (("plain", plain_endpoint), ("journal", durable_endpoint)):
                    results.setdefault(("app", name, 1), []).append(app_registrations(endpoint, count // 2))
        finally:
            _stop(plain)
            _stop(durable)
    print("writes (median of rounds)                        no journal    journal (fsync)   journal / none")
    for kind, label, threads_measured in (("tx", "registration-shaped TransactWriteItems", (1, 8)),
                                          ("app", "registrations through the app", (1,))):
        for threads in threads_measured:
            base = statistics.median(results[(kind, "plain", threads)])
            ours = statistics.median(results[(kind, "journal", threads)])
            print(f"  {label:38} x{threads}  {base:8.0f}/s    {ours:8.0f}/s        {ours / base:5.2f}x")


# --- restart ------------------------------------------------------------------------------------

class Cost:
    """Wall seconds, and CPU seconds of this process plus its children waited for meanwhile
    (the server), which a busy machine inflates far less than wall time."""

    def __enter__(self) -> Cost:
        self._wall, self._cpu, self._children = time.perf_counter(), time.process_time(), _children_cpu()
        return self

    def stop_wall(self) -> None:
        self.wall = time.perf_counter() - self._wall

    def __exit__(self, *exc: Any) -> None:
        self.cpu = time.process_time() - self._cpu + _children_cpu() - self._children


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def old_start(items: list[dict[str, Any]], snapshot: Path) -> Cost:
    """The old `make run` start: an empty server, the table, then the JSON snapshot replayed with
    BatchWriteItem over HTTP (run_local.load_snapshot as it was)."""
    snapshot.write_text(json.dumps({"table": TABLE, "items": items}, ensure_ascii=False))
    with Cost() as cost:
        process, endpoint, _, _ = _spawn(None)
        client = _client(endpoint)
        ensure_table(client)
        batch_write(client, json.loads(snapshot.read_text())["items"])
        cost.stop_wall()
        _stop(process, signal.SIGKILL)
    return cost


def new_start(data_dir: Path) -> tuple[Cost, dict[str, Any]]:
    """The durable server on its data directory; killed afterwards (it changed nothing)."""
    with Cost() as cost:
        process, endpoint, restored, _ = _spawn(data_dir)
        ensure_table(_client(endpoint))  # already there: one ListTables
        cost.stop_wall()
        _stop(process, signal.SIGKILL)
    assert restored is not None
    return cost, restored


def fill(data_dir: Path, items: list[dict[str, Any]]) -> None:
    """Write the store through the durable server (default compaction), then kill -9 it."""
    process, endpoint, _, _ = _spawn(data_dir)
    client = _client(endpoint)
    ensure_table(client)
    batch_write(client, items, threads=4)
    _stop(process, signal.SIGKILL)


def compact(data_dir: Path) -> None:
    """Start and stop cleanly: the journal goes into the snapshot."""
    process, _, _, _ = _spawn(data_dir)
    _stop(process, signal.SIGTERM)


def _process_tree_cpu(pid: int) -> float | None:
    """CPU seconds so far of a process and its children (Linux /proc), or None elsewhere."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = 0
        for each in [pid, *map(int, children)]:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def make_run_start(state: Path) -> tuple[float, float | None]:
    """Seconds from spawning devtools.run_local to its banner, and the CPU seconds it and its
    DynamoDB child used until then."""
    import socket

    with socket.socket() as probe, socket.socket() as other:
        probe.bind(("127.0.0.1", 0))
        other.bind(("127.0.0.1", 0))
        port, dynamodb_port = probe.getsockname()[1], other.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(PORT=str(port), DYNAMODB_PORT=str(dynamodb_port),
               BAOMING_STATE_DIR=str(state), ADMIN_TOKEN="bench-restart-admin-token-0123456789abcdef")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "devtools.run_local"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("baoming is running"):
            break
    else:
        raise RuntimeError("run_local did not start:\n" + "".join(lines))
    elapsed = time.perf_counter() - started
    cpu = _process_tree_cpu(process.pid)
    os.killpg(process.pid, signal.SIGINT)
    process.communicate(timeout=120)
    return elapsed, cpu


def bench_restart(sizes: list[int]) -> None:
    print("restart by store size: spawn -> serving, best of 3, wall seconds [CPU seconds, server + client]")
    print(f"  {'registrations':>13} {'items':>6}   {'old: BatchWriteItem':>21}   {'new: snapshot':>29}   "
          f"{'new: after kill -9 (snapshot + journal)':>44}")
    largest: Path | None = None
    with tempfile.TemporaryDirectory(prefix="bench-restart-") as tmp:
        for size in sizes:
            items = store_items(size) if size else []
            data_dir = Path(tmp) / f"store-{size}"
            fill(data_dir, items)
            # best of 3 (of 1 for the old start of the largest store: it takes a minute)
            crashed, crashed_stats = min((new_start(data_dir) for _ in range(3)), key=lambda run: run[0].wall)
            compact(data_dir)
            clean, clean_stats = min((new_start(data_dir) for _ in range(3)), key=lambda run: run[0].wall)
            assert clean_stats["snapshot_items"] == len(items), clean_stats
            old = min((old_start(items, Path(tmp) / f"old-{size}.json") for _ in range(1 if size > 1000 else 3)),
                      key=lambda cost: cost.wall)
            replayed = f"{crashed_stats['snapshot_items']} items + {crashed_stats['journal_records']} records"

            def cell(new: Cost, old: Cost = old) -> str:
                return (f"{new.wall:6.2f} s [{new.cpu:5.2f}] {old.wall / new.wall:5.1f}x "
                        f"[{old.cpu / new.cpu:5.1f}x]")

            print(f"  {size:13} {len(items):6}   {old.wall:8.2f} s [{old.cpu:6.2f}]   {cell(clean)}   "
                  f"{cell(crashed)} ({replayed})")
            largest = data_dir
        empty = Path(tmp) / "make-run-empty"
        make_run_start(empty)  # first start: table and demo data
        empty_wall, empty_cpu = min(make_run_start(empty) for _ in range(2))
        line = f"make run (spawn -> banner, best of 2): empty store {empty_wall:.2f} s [{empty_cpu or 0:.2f}]"
        if largest is not None and sizes[-1]:
            make_run_start(largest)
            big_wall, big_cpu = min(make_run_start(largest) for _ in range(2))
            line += (f"; {sizes[-1]} registrations {big_wall:.2f} s [{big_cpu or 0:.2f}] "
                     f"({big_wall / empty_wall:.2f}x empty; goal <= 2 s)")
        print(line)
        print(f"  (load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,1000,10000", help="store sizes, in registrations")
    parser.add_argument("--writes", type=int, default=300, help="writes per measurement")
    args = parser.parse_args(argv)
    bench_writes(args.writes)
    bench_restart([int(size) for size in args.sizes.split(",")])


if __name__ == "__main__":
    main()
