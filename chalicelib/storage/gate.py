"""The gate's items (SPEC §5): a registration's state per check-in list, kept on the registration
item itself, written with the event's counters in one transaction, and the reads gate data needs.

Per-list attributes of a registration item:
  main list   checked_in_heads, checked_in_at, gate, checked_in_by (as before lists existed),
              first_heads, checkin_nonces (string set of Idempotency-Keys of its check-ins)
  other list  cl#<list_id>#heads, …#at, …#gate, …#by, …#first, …#nonces
`changed_ms` (epoch milliseconds) is stamped by every write that changes what gate data shows;
the sparse index `gsi2` (pk, changed_ms) finds an event's registrations changed since a moment.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from chalicelib.domain.checkins import GateRecord
from chalicelib.domain.clock import parse_iso
from chalicelib.domain.errors import EventChanged, RegistrationChanged, ServiceUnavailable
from chalicelib.domain.events import NO_GATE, timeline_bucket
from chalicelib.domain.gate import MAIN_LIST, ListState
from chalicelib.domain.registrations import CONFIRMED, Registration
from chalicelib.storage import dynamo
from chalicelib.storage import events as event_items
from chalicelib.storage import registrations as registration_items
from chalicelib.storage.dynamo import TransactionCancelled, from_dynamo, to_dynamo
from chalicelib.storage.events import GATE_PREFIX, TIMELINE_PREFIX, CounterChanges

logger = logging.getLogger(__name__)

CHANGES_INDEX = "gsi2"
CHANGED = "changed_ms"
MAIN_ATTRIBUTES = {
    "heads": "checked_in_heads",
    "at": "checked_in_at",
    "gate": "gate",
    "by": "checked_in_by",
    "first": "first_heads",
    "nonces": "checkin_nonces",
}
LIST_PREFIX = "cl#"


def attributes(list_id: str) -> dict[str, str]:
    if list_id == MAIN_LIST:
        return MAIN_ATTRIBUTES
    return {part: f"{LIST_PREFIX}{list_id}#{part}" for part in MAIN_ATTRIBUTES}


def _state(item: Mapping[str, Any], names: Mapping[str, str], party_size: int) -> ListState:
    heads = int(item.get(names["heads"]) or 0)
    at = item.get(names["at"])
    if at and not heads:
        heads = party_size  # checked in before heads were counted
    return ListState(
        heads=heads,
        at=at,
        gate=item.get(names["gate"]),
        by=item.get(names["by"]),
        first_heads=int(item.get(names["first"]) or heads),
        nonces=frozenset(item.get(names["nonces"]) or ()),
    )


def to_record(item: Mapping[str, Any] | None) -> GateRecord | None:
    if not item:
        return None
    registration = Registration.from_mapping(item)
    lists = {MAIN_LIST: _state(item, MAIN_ATTRIBUTES, registration.party_size)}
    for name in item:
        if name.startswith(LIST_PREFIX) and name.endswith("#heads"):
            list_id = name[len(LIST_PREFIX) : -len("#heads")]
            lists[list_id] = _state(item, attributes(list_id), registration.party_size)
    return GateRecord(registration, lists, int(item.get(CHANGED) or 0))


def get(event_id: str, registration_id: str) -> GateRecord | None:
    return to_record(dynamo.get(registration_items.key(event_id, registration_id), consistent=True))


# Items per Query call: DynamoDB would return up to 1 MB (~3,000 projected registrations) in one;
# the embedded server (moto) serialises a large answer slowly enough to meet the client's read
# timeout on a busy machine, so pages are kept to a size it answers quickly.
QUERY_PAGE = 300


def _query_all(kwargs: dict[str, Any]) -> Iterator[GateRecord]:
    kwargs["Limit"] = QUERY_PAGE
    while True:
        response = dynamo.client().query(**kwargs)
        for raw in response.get("Items", []):
            record = to_record(from_dynamo(raw))
            if record is not None:
                yield record
        last = response.get("LastEvaluatedKey")
        if last is None:
            return
        kwargs["ExclusiveStartKey"] = last


# What the gate reads of a registration: never the phone, its guard, the other personal fields
# or the search terms (less to read and to move: 1,000 registrations in one query page).
GATE_FIELDS = (
    "pk",
    "sk",
    "registration_id",
    "event_id",
    "status",
    "role",
    "party_size",
    "name",
    "seat",
    "erased",
    "checkin_nonce",
    CHANGED,
)


def _projection(list_ids: Iterable[str]) -> dict[str, Any]:
    wanted = list(GATE_FIELDS)
    for list_id in dict.fromkeys([MAIN_LIST, *list_ids]):
        wanted.extend(attributes(list_id).values())
    names = {f"#g{index}": name for index, name in enumerate(wanted)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


def every_registration(event_id: str, list_ids: Iterable[str] = ()) -> Iterator[GateRecord]:
    """All registrations of an event in registration order (the full gate data): the gate's
    fields only, with their state on `list_ids` (and main)."""
    return _query_all(
        {
            "TableName": dynamo.table(),
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :reg)",
            "ExpressionAttributeValues": to_dynamo({":pk": event_items.partition(event_id), ":reg": "REG#"}),
            **_projection(list_ids),
        }
    )


def changed_since(event_id: str, since_ms: int, list_ids: Iterable[str] = ()) -> Iterator[GateRecord]:
    """Registrations whose gate-visible state changed after `since_ms` (the sparse index; only
    the changed items are read)."""
    return _query_all(
        {
            "TableName": dynamo.table(),
            "IndexName": CHANGES_INDEX,
            "KeyConditionExpression": "pk = :pk AND changed_ms > :since",
            "ExpressionAttributeValues": to_dynamo({":pk": event_items.partition(event_id), ":since": since_ms}),
            **_projection(list_ids),
        }
    )


class _Expression:
    """Names and values of one update, added as they are used (DynamoDB refuses unused ones)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        alias = f"#a{len(self.names)}"
        for existing, value in self.names.items():
            if value == attribute:
                return existing
        self.names[alias] = attribute
        return alias

    def value(self, value: Any) -> str:
        alias = f":v{len(self.values)}"
        self.values[alias] = value
        return alias

    def equals_or_absent(self, attribute: str, value: Any) -> str:
        if value is None:
            return f"attribute_not_exists({self.name(attribute)})"
        return f"{self.name(attribute)} = {self.value(value)}"


def _heads_are(expr: _Expression, attribute: str, heads: int) -> str:
    if heads:
        return f"{expr.name(attribute)} = {expr.value(heads)}"
    alias = expr.name(attribute)
    return f"(attribute_not_exists({alias}) OR {alias} = {expr.value(0)})"


def _identity(expr: _Expression, record: GateRecord, state: ListState, names: Mapping[str, str]) -> list[str]:
    """Conditions: the registration is still exactly as the caller knows it, so the verdict's
    name, role and party size are the stored ones without reading them back. `changed_ms` is
    stamped by every write that changes what the gate shows (a cancellation, an erasure, an
    edit, a check-in), so one comparison covers them; status, role, party size and this list's
    heads and first time are compared as well, because the counters depend on them."""
    registration = record.registration
    return [
        "attribute_exists(pk)",
        expr.equals_or_absent(CHANGED, record.changed_ms or None),
        f"{expr.name('status')} = {expr.value(CONFIRMED)}",
        f"{expr.name('party_size')} = {expr.value(registration.party_size)}",
        expr.equals_or_absent("role", registration.role),
        _heads_are(expr, names["heads"], state.heads),
        expr.equals_or_absent(names["at"], state.at),
    ]


def _event_action(event_id: str, version: int, counters: CounterChanges | None) -> dict[str, Any]:
    """The event's part: its counters (main list), or only a check that its settings (lists and
    their roles) are the version the caller decided with."""
    names: dict[str, str] = {"#version": "version"}
    values: dict[str, Any] = {":version": version}
    action: dict[str, Any] = {
        "Key": to_dynamo(event_items.key(event_id)),
        "ConditionExpression": "#version = :version",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    if counters is None or not counters.amounts:
        action.update(ExpressionAttributeNames=names, ExpressionAttributeValues=to_dynamo(values))
        return {"ConditionCheck": action}
    action["UpdateExpression"] = counters.expression(names, values)
    action.update(ExpressionAttributeNames=names, ExpressionAttributeValues=to_dynamo(values))
    return {"Update": action}


def _write(
    record: GateRecord,
    expr: _Expression,
    sets: list[str],
    removes: list[str],
    adds: list[str],
    conditions: list[str],
    event_version: int,
    counters: CounterChanges | None,
) -> None:
    registration = record.registration
    expression = "SET " + ", ".join(sets)
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    if adds:
        expression += " ADD " + ", ".join(adds)
    update = {
        "Key": to_dynamo(registration_items.key(registration.event_id, registration.registration_id)),
        "UpdateExpression": expression,
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": expr.names,
        "ExpressionAttributeValues": to_dynamo(expr.values),
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    try:
        dynamo.transact([{"Update": update}, _event_action(registration.event_id, event_version, counters)])
    except TransactionCancelled as cancelled:
        reasons = cancelled.cancellation
        if reasons.failed(0):
            raise RegistrationChanged(to_record(reasons.items[0])) from cancelled
        if reasons.failed(1):
            raise EventChanged(event_items.to_event(reasons.items[1])) from cancelled
        logger.error("check-in transaction cancelled unexpectedly: %s", reasons.codes)
        raise ServiceUnavailable() from cancelled


def _stamp(
    expr: _Expression,
    sets: list[str],
    adds: list[str],
    names: Mapping[str, str],
    nonce: str | None,
    changed_ms: int,
    conditions: list[str],
) -> None:
    sets.append(f"{expr.name(CHANGED)} = {expr.value(changed_ms)}")
    if nonce:
        conditions.append(f"NOT contains({expr.name(names['nonces'])}, {expr.value(nonce)})")
        adds.append(f"{expr.name(names['nonces'])} {expr.value({nonce})}")


def _first_head(
    expr: _Expression,
    sets: list[str],
    removes: list[str],
    names: Mapping[str, str],
    at: str,
    gate: str | None,
    by: str,
    heads: int,
) -> None:
    sets.extend(
        [
            f"{expr.name(names['at'])} = {expr.value(at)}",
            f"{expr.name(names['by'])} = {expr.value(by)}",
            f"{expr.name(names['first'])} = {expr.value(heads)}",
        ]
    )
    if gate:
        sets.append(f"{expr.name(names['gate'])} = {expr.value(gate)}")
    else:
        removes.append(expr.name(names["gate"]))


def admit(
    record: GateRecord,
    list_id: str,
    heads: int,
    at: str,
    gate: str | None,
    by: str,
    nonce: str | None,
    event_version: int,
    changed_ms: int,
) -> None:
    """`heads` more of the party in on `list_id`, with the event's counters (main list) in the
    same transaction. Applies only if the registration is still as `record` says (status,
    name, role, party size, seat, heads and first time on this list) and the event's settings
    are still `event_version`; raises RegistrationChanged(stored record) or EventChanged(stored
    event) otherwise. A scan earlier than the recorded first one (offline) becomes the first."""
    registration, state, names = record.registration, record.on(list_id), attributes(list_id)
    expr = _Expression()
    conditions = _identity(expr, record, state, names)
    sets = [f"{expr.name(names['heads'])} = {expr.value(state.heads + heads)}"]
    removes: list[str] = []
    adds: list[str] = []
    first = state.heads == 0 or (state.at is not None and parse_iso(at) < parse_iso(state.at))
    if first:
        _first_head(expr, sets, removes, names, at, gate, by, heads)
    _stamp(expr, sets, adds, names, nonce, changed_ms, conditions)
    counters = None
    if list_id == MAIN_LIST:
        counters = (
            CounterChanges()
            .add("checked_in_heads", heads)
            .role(registration.role, "checked_in_heads", heads)
            .add(f"{GATE_PREFIX}{gate or NO_GATE}", heads)
            .add(f"{TIMELINE_PREFIX}{timeline_bucket(parse_iso(at))}", heads)
        )
        if state.heads == 0:
            counters.add("checked_in_count", 1).role(registration.role, "checked_in", 1)
    _write(record, expr, sets, removes, adds, conditions, event_version, counters)


def move_back(
    record: GateRecord,
    list_id: str,
    at: str,
    gate: str | None,
    by: str,
    nonce: str | None,
    event_version: int,
    changed_ms: int,
) -> None:
    """A scan made before the recorded first one (two offline gates, the later one synced first):
    the first check-in becomes this one: its time, gate and staff. The heads that check-in
    counted move to this scan's 10-minute bucket and gate, so the counters stay exact."""
    state, names = record.on(list_id), attributes(list_id)
    expr = _Expression()
    conditions = _identity(expr, record, state, names)
    conditions.append(expr.equals_or_absent(names["gate"], state.gate))
    sets: list[str] = []
    removes: list[str] = []
    adds: list[str] = []
    _first_head(expr, sets, removes, names, at, gate, by, state.first_heads)
    _stamp(expr, sets, adds, names, nonce, changed_ms, conditions)
    counters = None
    if list_id == MAIN_LIST and state.at:
        moved = state.first_heads
        counters = (
            CounterChanges()
            .add(f"{TIMELINE_PREFIX}{timeline_bucket(parse_iso(state.at))}", -moved)
            .add(f"{TIMELINE_PREFIX}{timeline_bucket(parse_iso(at))}", moved)
            .add(f"{GATE_PREFIX}{state.gate or NO_GATE}", -moved)
            .add(f"{GATE_PREFIX}{gate or NO_GATE}", moved)
        )
    _write(record, expr, sets, removes, adds, conditions, event_version, counters)
