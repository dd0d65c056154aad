"""Venue check-in: a scanned code (or a registration picked from a search) in, one atomic
write, a verdict for the gate out; and the live counts the gate and the console show."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain import audit, clock, tokens
from chalicelib.domain.access import Caller
from chalicelib.domain.checkins import INVALID, OK, WRONG_EVENT, CheckedInParty, CheckinVerdict, refused_checkin
from chalicelib.domain.errors import RegistrationChanged, ServiceUnavailable, ValidationFailed
from chalicelib.domain.events import EventStats
from chalicelib.domain.ids import REGISTRATION_ID
from chalicelib.domain.registrations import CONFIRMED
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import audit as audit_log
from chalicelib.services import events, idempotency, staff
from chalicelib.services.retry import MAX_ATTEMPTS
from chalicelib.storage import registrations as registration_store

MAIN_LIST = "main"


def ticket_token_from_code(code: str) -> str:
    """The token inside a scanned code: the full ticket URL (any host or stage prefix) or the bare token."""
    code = code.strip()
    path = urlsplit(code).path if "://" in code else code
    marker = path.rfind("/t/")
    return path[marker + 3 :] if marker >= 0 else path


def check_in(event_id: str, body: Any, nonce: str | None, caller: Caller | None = None) -> CheckinVerdict:
    data = load(requests.CHECKIN, body)
    if nonce is not None:
        idempotency.check_key(nonce)
    manual = "registration_id" in data
    if manual:
        registration_id = data["registration_id"]
        if not REGISTRATION_ID.fullmatch(registration_id):
            return CheckinVerdict(INVALID)
    else:
        opened = tokens.open_ticket(ticket_token_from_code(data["code"]))
        if opened is None:  # forged or mangled: refused before any database read
            return CheckinVerdict(INVALID)
        ticket_event, registration_id = opened
        if ticket_event != event_id:
            return CheckinVerdict(WRONG_EVENT)
    gate = data.get("gate") or None
    actor = (caller or Caller(audit.ADMIN)).actor
    # The registration is read first: its name, role and party size go into the verdict and
    # into the counters of the same transaction (heads by role, by gate, per 10 minutes).
    registration = registration_store.get(event_id, registration_id, consistent=True)
    for _ in range(MAX_ATTEMPTS):
        if registration is None or registration.status != CONFIRMED or registration.checked_in_at:
            return refused_checkin(registration, nonce)
        at = clock.now_iso()
        try:
            registration_store.check_in(registration, at, gate, nonce, actor)
        except RegistrationChanged as changed:
            registration = changed.registration  # checked in, cancelled or edited meanwhile: decide again
            continue
        if manual:
            audit_log.record(events.recent_event(event_id), actor, audit.CHECKIN_MANUAL, registration_id)
        checked_in = replace(registration, checked_in_at=at, gate=gate)
        return CheckinVerdict(OK, CheckedInParty.of(checked_in), at, gate)
    raise ServiceUnavailable()


def stats(event_id: str, query: Mapping[str, str] | None = None, caller: Caller | None = None) -> EventStats:
    params = load(requests.STATS_QUERY, dict(query or {}))
    if params.get("list_id", MAIN_LIST) != MAIN_LIST:
        raise ValidationFailed(fields={"list_id": ["本活动没有这个签到名单"]})
    event_stats = events.require_event(event_id, consistent=True).stats
    if caller is not None:
        staff.note_use(caller)
    return event_stats
