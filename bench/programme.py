"""The stage board's refresh cost: read capacity of one GET /events/{id}/programme.

`python -m bench.programme` starts the embedded DynamoDB server, creates an award ceremony with
20 awards through the service layer, registers 10 nominees per award (long, realistic names and
seats), COMPANIONS companions per nominee (linked by PATCH) and AUDIENCE other registrations,
checks some of them in, and then measures one programme refresh:

- **read units, computed** from the items DynamoDB would read, with DynamoDB's sizing rules
  (attribute names + values in UTF-8; a Query sums the sizes of the items it returns and rounds
  up to 4 KB; eventually consistent reads cost half): the event item (GetItem) plus the entries
  of the sparse `programme` index (only nominees and companions, projected to 8 attributes).
  The embedded server (moto) does not compute read capacity for index queries, so its own
  ConsumedCapacity figure is printed but not trusted.
- **the baseline** of the same run: what a board would read without the index, i.e. every
  registration of the event (one Query of the partition's REG# items), with the same rules.
- wall time of `services.programme.programme` against that baseline Query (ratio), medians.

Refreshed every 5 s by the board, one hour backstage is 720 refreshes. Seeding writes the
registration items directly (BatchWriteItem), as `bench.export_dynamodb` does: moto answers a
Query by sorting the whole table, and thousands of registrations through the service would take
longer than the measurement deserves.
"""
from __future__ import annotations

import math
import os
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

AWARDS, NOMINEES_PER_AWARD, COMPANIONS, AUDIENCE = 20, 10, 2, 1000
REFRESHES_PER_HOUR = 3600 // 5
RUNS = 3
PROJECTED = ("status", "role", "name", "party_size", "seat", "award_id", "companion_of", "checked_in_at")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def attribute_size(value: Any) -> int:
    """DynamoDB's size of a value (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)."""
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, (int, float, Decimal)):
        digits = len(str(abs(Decimal(str(value)))).replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, dict):
        return 3 + sum(len(k.encode("utf-8")) + attribute_size(v) + 1 for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return 3 + sum(attribute_size(v) + 1 for v in value)
    raise TypeError(type(value))


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + attribute_size(value) for name, value in item.items())


def read_units(total_bytes: int, consistent: bool = False) -> float:
    blocks = max(1, math.ceil(total_bytes / 4096))
    return blocks * (1.0 if consistent else 0.5)


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def seed() -> tuple[str, dict[str, int]]:
    """The event through the service layer; its registrations written straight into the table as
    the items `storage.registrations` writes (so the programme index sees the same attributes);
    then half the nominees and a third of the companions checked in through the service (the
    event item gets its real counters, the index follows the registration items)."""
    from chalicelib.config import settings
    from chalicelib.domain import clock, tokens
    from chalicelib.domain.access import ADMIN_CALLER
    from chalicelib.domain.registrations import CONFIRMED, Registration
    from chalicelib.domain.search import name_terms
    from chalicelib.services import checkins, events
    from chalicelib.storage import dynamo
    from chalicelib.storage import registrations as registration_items
    from chalicelib.storage.dynamo import to_dynamo
    from devtools.samples import event_body, unique_phone

    awards = [{"award_id": f"award-{i:02d}", "name": f"第{i + 1}届十大孝星提名奖", "slots": NOMINEES_PER_AWARD}
              for i in range(AWARDS)]
    event = events.create_event(event_body(capacity=5000, max_party_size=2, awards=awards), ADMIN_CALLER)
    eid, stamp = event.event_id, clock.now_iso()

    def registration(role: str, name: str, **fields: Any) -> Registration:
        phone = unique_phone()
        return Registration(
            registration_id=tokens.new_registration_id(), event_id=eid, status=CONFIRMED, role=role, name=name,
            phone=phone, phone_guard=tokens.phone_guard(event.guard_kid or "A", eid, phone), registered_at=stamp,
            consent_version=settings().privacy_notice_version, consent_at=stamp, expires_at=event.retention_expiry(),
            search_terms=name_terms(name), **fields)

    numerals = "一二三四五六七八九十"
    nominees = [registration("nominee", f"{SURNAMES[i]}{numerals[n]}孝星·欧阳", award_id=a["award_id"], party_size=2,
                             seat=f"A区{i + 1}排{n + 1}座")
                for i, a in enumerate(awards) for n in range(NOMINEES_PER_AWARD)]
    companions = [registration("family", "陪同家属某某", companion_of=nominees[k // COMPANIONS].registration_id)
                  for k in range(len(nominees) * COMPANIONS)]
    audience = [registration("audience", "普通观众某某") for _ in range(AUDIENCE)]
    items = [registration_items._registration_item(r) for r in nominees + companions + audience]
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": to_dynamo(item)}} for item in items[start:start + 25]]
        dynamo.client().batch_write_item(RequestItems={dynamo.table(): batch})

    def arrive(rid: str) -> None:
        checkins.check_in(eid, {"registration_id": rid, "gate": "东门"}, None, ADMIN_CALLER)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(arrive, [r.registration_id for r in nominees[::2] + companions[::3]]))
    return eid, {"nominees": len(nominees), "companions": len(companions), "audience": AUDIENCE}


def measure(eid: str) -> dict[str, Any]:
    from chalicelib.services import programme
    from chalicelib.storage import dynamo, events, registrations
    from chalicelib.storage.dynamo import from_dynamo

    client = dynamo.client()
    event_item = dynamo.get(events.key(eid))
    assert event_item is not None
    registrations_of_event: list[dict[str, Any]] = []
    kwargs = registrations._query(eid, None, None)
    while True:
        page = client.query(**kwargs)
        registrations_of_event.extend(from_dynamo(raw) for raw in page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    indexed = [item for item in registrations_of_event if "prog_pk" in item]
    index_entries = [{k: item[k] for k in ("prog_pk", "pk", "sk", *PROJECTED) if k in item} for item in indexed]
    event_bytes = item_size(event_item)
    index_bytes = sum(item_size(entry) for entry in index_entries)
    all_bytes = sum(item_size(item) for item in registrations_of_event)

    reported: list[float] = []
    result = programme.programme(eid, consumed=reported)
    assert sum(len(a.nominees) for a in result.awards) == AWARDS * NOMINEES_PER_AWARD

    board, baseline = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        programme.programme(eid)
        board.append(time.perf_counter() - started)
        started = time.perf_counter()
        kwargs = registrations._query(eid, None, None)
        kwargs.pop("ExclusiveStartKey", None)
        while True:
            page = client.query(**kwargs)
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        baseline.append(time.perf_counter() - started)
    return {
        "event_item_bytes": event_bytes,
        "index_entries": len(index_entries),
        "index_bytes": index_bytes,
        "index_entry_bytes_avg": round(index_bytes / len(index_entries)),
        "registrations": len(registrations_of_event),
        "registration_bytes": all_bytes,
        "rcu_event": read_units(event_bytes),
        "rcu_index": read_units(index_bytes),
        "rcu_board": read_units(event_bytes) + read_units(index_bytes),
        "rcu_baseline": read_units(event_bytes) + read_units(all_bytes),
        "moto_reported_index_units": sum(reported),
        "board_ms": _median_ms(board),
        "baseline_ms": _median_ms(baseline),
    }


def main() -> None:
    from devtools.dynamodb_server import spawn
    from devtools.local_env import local_environment, reset_app_caches

    process, endpoint = spawn()
    try:
        with local_environment(endpoint, prefix="baoming-bench"):
            os.environ["AWS_READ_TIMEOUT"] = "60"  # moto answers a query by sorting the whole table
            reset_app_caches()
            started = time.perf_counter()
            eid, counts = seed()
            seeded = time.perf_counter() - started
            figures = measure(eid)
            report(counts, seeded, figures)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def report(counts: dict[str, int], seeded: float, f: dict[str, Any]) -> None:
    print(f"programme refresh: {AWARDS} awards x {NOMINEES_PER_AWARD} nominees, {COMPANIONS} companions each, "
          f"{counts['audience']} other registrations (seeded in {seeded:.0f} s)")
    print(f"  event item {f['event_item_bytes']} B -> {f['rcu_event']} RCU (GetItem, eventually consistent)")
    print(f"  programme index: {f['index_entries']} entries, {f['index_bytes']} B "
          f"(avg {f['index_entry_bytes_avg']} B) -> {f['rcu_index']} RCU (Query, eventually consistent)")
    print(f"  one board refresh: {f['rcu_board']} RCU; {f['rcu_board'] * REFRESHES_PER_HOUR:.0f} RCU per hour at 5 s")
    print(f"  (a registration item averages {f['registration_bytes'] // f['registrations']} B: the baseline grows "
          "with the event, the board's reads only with the programme)")
    print(f"  baseline, every registration of the event ({f['registrations']} items, {f['registration_bytes']} B): "
          f"{f['rcu_baseline']} RCU -> the index reads {f['rcu_baseline'] / f['rcu_board']:.1f}x less")
    print(f"  embedded server's own ConsumedCapacity for the index query: {f['moto_reported_index_units']} "
          "(moto does not size index reads; the computed figure above is the one to use)")
    print(f"  wall time (embedded server, median of {RUNS}): programme {f['board_ms']:.1f} ms, "
          f"baseline query {f['baseline_ms']:.1f} ms, ratio {f['board_ms'] / f['baseline_ms']:.2f}x")


if __name__ == "__main__":
    main()
