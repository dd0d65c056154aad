"""Venue check-in: a scanned code in, one atomic write, a verdict for the gate out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain import clock, tokens
from chalicelib.domain.checkins import INVALID, OK, WRONG_EVENT, CheckedInParty, CheckinVerdict, refused_checkin
from chalicelib.domain.errors import RegistrationChanged
from chalicelib.domain.events import EventStats
from chalicelib.domain.registrations import Registration
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import events, idempotency
from chalicelib.storage import registrations as registration_store


def ticket_token_from_code(code: str) -> str:
    """The token inside a scanned code: the full ticket URL (any host or stage prefix) or the bare token."""
    code = code.strip()
    path = urlsplit(code).path if "://" in code else code
    marker = path.rfind("/t/")
    return path[marker + 3 :] if marker >= 0 else path


def check_in(event_id: str, body: Any, nonce: str | None) -> CheckinVerdict:
    data = load(requests.CHECKIN, body)
    if nonce is not None:
        idempotency.check_key(nonce)
    opened = tokens.open_ticket(ticket_token_from_code(data["code"]))
    if opened is None:  # forged or mangled: refused before any database read
        return CheckinVerdict(INVALID)
    ticket_event, registration_id = opened
    if ticket_event != event_id:
        return CheckinVerdict(WRONG_EVENT)
    at = clock.now_iso()
    gate = data.get("gate") or None
    try:
        registration_store.check_in(event_id, registration_id, at, gate, nonce)
    except RegistrationChanged as refused:
        return refused_checkin(refused.registration, nonce)
    registration = registration_store.get(event_id, registration_id, consistent=True)
    party = CheckedInParty.of(registration or Registration(registration_id, event_id, "confirmed"))
    return CheckinVerdict(OK, party, at, gate)


def stats(event_id: str) -> EventStats:
    return events.require_event(event_id, consistent=True).stats
