"""Venue check-in: a scanned code (or a registration picked from a search) in, one atomic
write, a verdict for the gate out; and the live counts the gate and the console show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain import tokens
from chalicelib.domain.access import Caller
from chalicelib.domain.checkins import INVALID, WRONG_EVENT, CheckinVerdict
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.events import EventStats
from chalicelib.domain.ids import REGISTRATION_ID
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import events, gate, idempotency, staff

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
    return gate.admit(gate.scan_of(event_id, registration_id, data, nonce, caller), manual)


def stats(event_id: str, query: Mapping[str, str] | None = None, caller: Caller | None = None) -> EventStats:
    params = load(requests.STATS_QUERY, dict(query or {}))
    event = events.require_event(event_id, consistent=True)
    list_id = params.get("list_id", MAIN_LIST)
    if not any(item.list_id == list_id for item in event.gate_lists):
        raise ValidationFailed(fields={"list_id": ["本活动没有这个签到名单"]})
    event_stats = event.stats if list_id == MAIN_LIST else gate.list_stats(event, list_id)
    if caller is not None:
        staff.note_use(caller)
    return event_stats
