"""The gate (SPEC §5): check-ins with lists, heads, offline scan times and earliest-scan-wins,
decided with one DynamoDB round trip on an `ok`; and the gate data scanners keep for offline use.

One round trip: a container keeps the registrations of the events it checks in (its *roster*,
loaded by one query the first time, and then kept) and the event's settings. An `ok` is one
TransactWriteItems whose conditions say that the registration is still exactly what the roster
holds (status, name, role, party size, seat, heads and first time on the list) and the event's
settings are still the version decided with. So the name, role and party size of the verdict
come from the container, proven current by the write itself, without reading them back. If
anything moved, the failed condition returns the stored item (ReturnValuesOnConditionCheckFailure)
and the check-in is decided again from it. A refusal (already in, cancelled, not allowed …) is
always decided from a strongly consistent read, never from the roster.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib.domain import audit, clock, tokens
from chalicelib.domain.access import Caller
from chalicelib.domain.checkins import (
    ALREADY_CHECKED_IN,
    NOT_ALLOWED,
    OK,
    CheckedInParty,
    CheckinVerdict,
    GateRecord,
    refused_checkin,
)
from chalicelib.domain.errors import EventChanged, RegistrationChanged, ServiceUnavailable, ValidationFailed
from chalicelib.domain.events import NO_GATE, ROLE_METRICS, Event, EventStats, TimelineBucket, timeline_bucket
from chalicelib.domain.gate import (
    MAIN_LIST,
    SINCE_OVERLAP_MS,
    CheckinList,
    ListState,
    heads_error,
    is_earlier,
    scanned_at_error,
    ticket_hash,
)
from chalicelib.domain.registrations import CONFIRMED
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import audit as audit_log
from chalicelib.services import events, staff
from chalicelib.storage import gate as gate_store
from chalicelib.storage import keys

ATTEMPTS = 6
EVENT_SECONDS = 60.0  # the settings a container decides with; every ok write checks their version
MAX_ROSTERS = 4  # events whose registrations a container keeps (least recently used dropped)
# A roster is read again after this long, so an edit by a writer that forgot to stamp
# `changed_ms` (it would pass the write's conditions) shows within minutes, not never.
ROSTER_SECONDS = 600.0


@dataclass
class _Roster:
    records: dict[str, GateRecord]
    loaded: float = 0.0


_rosters: OrderedDict[str, _Roster] = OrderedDict()
_events: dict[str, tuple[float, Event]] = {}


def reset_caches() -> None:
    _rosters.clear()
    _events.clear()


def _event(event_id: str, fresh: bool = False) -> Event:
    cached = _events.get(event_id)
    now = time.monotonic()
    if cached and not fresh and now - cached[0] < EVENT_SECONDS:
        return cached[1]
    event = events.require_event(event_id, consistent=fresh)
    _events[event_id] = (now, event)
    return event


def _remember_event(event: Event | None) -> None:
    if event is not None:
        _events[event.event_id] = (time.monotonic(), event)


def _roster(event: Event) -> _Roster:
    event_id = event.event_id
    roster = _rosters.get(event_id)
    if roster is None or time.monotonic() - roster.loaded > ROSTER_SECONDS:
        records = gate_store.every_registration(event_id, _list_ids(event))
        roster = _Roster({record.registration.registration_id: record for record in records}, time.monotonic())
        _rosters[event_id] = roster
        while len(_rosters) > MAX_ROSTERS:
            _rosters.popitem(last=False)
    _rosters.move_to_end(event_id)
    return roster


def _remember(event_id: str, registration_id: str, record: GateRecord | None) -> None:
    roster = _rosters.get(event_id)
    if roster is None or time.monotonic() - roster.loaded > ROSTER_SECONDS:
        return
    if record is None:
        roster.records.pop(registration_id, None)
    else:
        roster.records[registration_id] = record


def _fresh_record(event_id: str, registration_id: str) -> GateRecord | None:
    record = gate_store.get(event_id, registration_id)
    _remember(event_id, registration_id, record)
    return record


def _list_ids(event: Event) -> list[str]:
    return [item.list_id for item in event.gate_lists]


def _list_of(event: Event, list_id: str) -> CheckinList | None:
    return next((item for item in event.gate_lists if item.list_id == list_id), None)


def _party(record: GateRecord) -> CheckedInParty:
    return CheckedInParty.of(record.registration)


def _already(record: GateRecord, list_id: str) -> CheckinVerdict:
    state = record.on(list_id)
    return CheckinVerdict(
        ALREADY_CHECKED_IN,
        _party(record),
        state.at,
        state.gate,
        checked_in_heads=state.heads,
        party_size=record.registration.party_size,
        list_id=list_id,
    )


def _replayed(record: GateRecord, list_id: str, nonce: str | None) -> CheckinVerdict | None:
    """A retried request (same Idempotency-Key) of a check-in that happened: that check-in, ok."""
    state = record.on(list_id)
    legacy = list_id == MAIN_LIST and record.registration.checkin_nonce
    if not nonce or not (nonce in state.nonces or legacy == nonce):
        return None
    return CheckinVerdict(
        OK,
        _party(record),
        state.at,
        state.gate,
        heads=state.first_heads,
        checked_in_heads=state.heads,
        party_size=record.registration.party_size,
        list_id=list_id,
    )


@dataclass(frozen=True)
class _Scan:
    event_id: str
    registration_id: str
    list_id: str
    gate: str | None
    heads: int | None
    scanned_at: str | None
    nonce: str | None
    actor: str


def _after(record: GateRecord, list_id: str, state: ListState) -> GateRecord:
    return replace(record, lists={**record.lists, list_id: state})


def _decide(scan: _Scan, event: Event, record: GateRecord, fresh: bool) -> CheckinVerdict | None:
    """The verdict, or None when it should be decided again from a fresh read (a refusal that
    came from the roster) — or, after an `ok` write, the verdict of that write."""
    registration, list_id = record.registration, scan.list_id
    replayed = _replayed(record, list_id, scan.nonce)
    if replayed:
        return replayed
    if registration.erased or registration.status != CONFIRMED:
        return refused_checkin(registration, None) if fresh else None
    checkin_list = _list_of(event, list_id)
    assert checkin_list is not None
    if not checkin_list.admits(registration.role):
        return CheckinVerdict(NOT_ALLOWED) if fresh else None
    state = record.on(list_id)
    party_size = registration.party_size
    at = scan.scanned_at or clock.now_iso()
    changed = max(keys.changed_now(), record.changed_ms + 1)  # always a new stamp
    if state.heads >= party_size:
        if not is_earlier(scan.scanned_at, state.at):
            return _already(record, list_id) if fresh else None
        gate_store.move_back(record, list_id, at, scan.gate, scan.actor, scan.nonce, event.version, changed)
        moved = replace(state, at=at, gate=scan.gate, by=scan.actor, nonces=state.nonces | _nonce(scan))
        _remember(scan.event_id, scan.registration_id, replace(_after(record, list_id, moved), changed_ms=changed))
        return CheckinVerdict(OK, _party(record), at, scan.gate, state.first_heads, state.heads, party_size, list_id)
    problem = heads_error(scan.heads, state, party_size)
    if problem:
        if fresh:
            raise ValidationFailed(fields={"heads": [problem]})
        return None
    heads = scan.heads or party_size - state.heads
    gate_store.admit(record, list_id, heads, at, scan.gate, scan.actor, scan.nonce, event.version, changed)
    first = state.heads == 0 or is_earlier(at, state.at)
    admitted = replace(state, heads=state.heads + heads, nonces=state.nonces | _nonce(scan))
    if first:
        admitted = replace(admitted, at=at, gate=scan.gate, by=scan.actor, first_heads=heads)
    _remember(scan.event_id, scan.registration_id, replace(_after(record, list_id, admitted), changed_ms=changed))
    return CheckinVerdict(OK, _party(record), at, scan.gate, heads, admitted.heads, party_size, list_id)


def _nonce(scan: _Scan) -> frozenset[str]:
    return frozenset({scan.nonce}) if scan.nonce else frozenset()


def _settings_problem(event: Event, scan: _Scan, scanned: datetime | None) -> dict[str, list[str]]:
    if _list_of(event, scan.list_id) is None:
        return {"list_id": ["本活动没有这个签到名单"]}
    if scanned is not None:
        problem = scanned_at_error(scanned, event.starts_at, clock.now())
        if problem:
            return {"scanned_at": [problem]}
    return {}


def admit(scan: _Scan, manual: bool) -> CheckinVerdict:
    """Decide and write one check-in (see the module's note on its one round trip)."""
    event = _event(scan.event_id)
    scanned = clock.parse_iso(scan.scanned_at) if scan.scanned_at else None
    if _settings_problem(event, scan, scanned):
        event = _event(scan.event_id, fresh=True)
        problem = _settings_problem(event, scan, scanned)
        if problem:
            raise ValidationFailed(fields=problem)
    record = _roster(event).records.get(scan.registration_id)
    fresh = False
    if record is None:
        record, fresh = _fresh_record(scan.event_id, scan.registration_id), True
    event_fresh = False
    for _ in range(ATTEMPTS):
        if record is None:
            return refused_checkin(None, None)
        try:
            verdict = _decide(scan, event, record, fresh and event_fresh)
        except RegistrationChanged as changed:
            record, fresh = changed.registration, True
            _remember(scan.event_id, scan.registration_id, record)
            continue
        except EventChanged as changed:
            if changed.event is None:
                return refused_checkin(None, None)
            event, event_fresh = changed.event, True
            _remember_event(event)
            problem = _settings_problem(event, scan, scanned)
            if problem:
                raise ValidationFailed(fields=problem) from changed
            continue
        if verdict is None:  # a refusal from cached data: decide again from the stored items
            record, fresh = _fresh_record(scan.event_id, scan.registration_id), True
            if not event_fresh:
                event, event_fresh = _event(scan.event_id, fresh=True), True
            continue
        if manual and verdict.result == OK:
            audit_log.record(event, scan.actor, audit.CHECKIN_MANUAL, scan.registration_id)
        return verdict
    raise ServiceUnavailable()


def scan_of(
    event_id: str, registration_id: str, data: Mapping[str, Any], nonce: str | None, caller: Caller | None
) -> _Scan:
    return _Scan(
        event_id=event_id,
        registration_id=registration_id,
        list_id=data.get("list_id") or MAIN_LIST,
        gate=data.get("gate") or None,
        heads=data.get("heads"),
        scanned_at=data.get("scanned_at"),
        nonce=nonce,
        actor=(caller or Caller(audit.ADMIN)).actor,
    )


def list_stats(event: Event, list_id: str) -> EventStats:
    """Stats of a list other than `main` (no counters are kept for those): counted from the
    registrations, heads by the gate and 10-minute bucket of each party's first check-in."""
    checked_in = heads = 0
    by_role: dict[str, dict[str, int]] = {role: dict(counts) for role, counts in event.stats.by_role.items()}
    for counts in by_role.values():
        counts.update(checked_in=0, checked_in_heads=0)
    by_gate: dict[str, int] = {}
    timeline: dict[str, int] = {}
    for record in gate_store.every_registration(event.event_id, [list_id]):
        state = record.on(list_id)
        if not state.heads:
            continue
        checked_in, heads = checked_in + 1, heads + state.heads
        role = by_role.setdefault(record.registration.role or "", dict.fromkeys(ROLE_METRICS, 0))
        role["checked_in"] += 1
        role["checked_in_heads"] += state.heads
        by_gate[state.gate or NO_GATE] = by_gate.get(state.gate or NO_GATE, 0) + state.heads
        if state.at:
            bucket = timeline_bucket(clock.parse_iso(state.at))
            timeline[bucket] = timeline.get(bucket, 0) + state.heads
    return replace(
        event.stats,
        checked_in=checked_in,
        checked_in_heads=heads,
        by_role=by_role,
        by_gate=by_gate,
        timeline=[TimelineBucket(at, count) for at, count in sorted(timeline.items())],
    )


# --- gate data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateListView:
    checked_in_heads: int
    checked_in_at: str | None


@dataclass(frozen=True)
class GateEntry:
    ticket_hash: str
    registration_id: str
    name: str | None
    role: str | None
    party_size: int
    status: str
    seat: str | None
    lists: dict[str, GateListView]


@dataclass(frozen=True)
class GateData:
    event: Event
    entries: list[GateEntry]
    next_since: str
    ticket_key_id: str  # the signing key the hashes were made with (a rotated-out ticket is `unknown`)


def _entry(record: GateRecord, event: Event) -> GateEntry:
    registration = record.registration
    token = tokens.mint_ticket(event.event_id, registration.registration_id)
    lists = {list_id: GateListView(state.heads, state.at) for list_id, state in record.lists.items() if state.heads}
    return GateEntry(
        ticket_hash(token),
        registration.registration_id,
        None if registration.erased else registration.name,
        registration.role,
        registration.party_size,
        registration.status,
        registration.seat,
        lists,
    )


def _since_ms(since: str | None) -> int | None:
    if not since:
        return None
    if not since.isdigit() or len(since) > 15:
        raise ValidationFailed(fields={"since": ["须为上次返回的 next_since"]})
    return int(since)


def gate_data(event_id: str, query: Mapping[str, str] | None, caller: Caller | None = None) -> GateData:
    """Everything a scanner needs to decide offline, without phone numbers: all registrations,
    or (with `since`) those changed since the `next_since` of a previous answer."""
    params = load(requests.GATE_DATA_QUERY, dict(query or {}))
    since = _since_ms(params.get("since"))
    event = events.require_event(event_id)
    started = keys.changed_now()
    lists = _list_ids(event)
    if since is None:
        records = gate_store.every_registration(event_id, lists)
    else:
        records = gate_store.changed_since(event_id, since, lists)
    entries = [_entry(record, event) for record in records]
    if caller is not None:
        staff.note_use(caller)
    return GateData(event, entries, str(max(started - SINCE_OVERLAP_MS, 0)), tokens.keyring().active_id)
