"""Gate links (staff tokens): minted by the organiser for one event with a label, listed,
revoked; valid until a day after the event ends."""

from __future__ import annotations

import secrets as random_source
from datetime import timedelta
from typing import Any

from chalicelib.config import settings
from chalicelib.domain import audit, clock
from chalicelib.domain.access import DEFAULT_STAFF_LABEL, Caller, IssuedStaffToken, StaffTokenInfo
from chalicelib.domain.errors import EventEnded
from chalicelib.domain.tokens import STAFF_PREFIX, staff_token_hash
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import audit as audit_log
from chalicelib.services import events
from chalicelib.storage import staff_tokens

# A token's last use is recorded at most this often (the scanner polls stats every few seconds).
LAST_USED_RESOLUTION = timedelta(minutes=1)
_TOKEN_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


_NO_BODY: dict[str, Any] = {}


def create_staff_token(event_id: str, body: Any = _NO_BODY, caller: Caller | None = None) -> IssuedStaffToken:
    """`body` is the request's JSON ({} when it sent none; a JSON null is refused)."""
    data = load(requests.STAFF_TOKEN_CREATE, body)
    event = events.require_event(event_id)
    expires = event.staff_tokens_expire()
    if expires <= clock.now():
        raise EventEnded()
    label = data.get("label") or DEFAULT_STAFF_LABEL
    token = STAFF_PREFIX + random_source.token_urlsafe(32)
    token_id = "gt-" + "".join(random_source.choice(_TOKEN_ID_ALPHABET) for _ in range(10))
    info = StaffTokenInfo(token_id, label, clock.now_iso(), clock.to_shanghai_iso(expires))
    staff_tokens.put(staff_token_hash(token), event.event_id, info, int(expires.timestamp()))
    audit_log.record(event, (caller or Caller(audit.ADMIN)).actor, audit.STAFF_TOKEN_CREATE, token_id, label)
    # The token travels in the fragment: browsers never send it to servers or write it to logs.
    scanner_url = f"{settings().public_base_url}/scan/{event.event_id}#token={token}"
    return IssuedStaffToken(token_id, label, token, scanner_url, info.expires_at)


def list_staff_tokens(event_id: str) -> list[StaffTokenInfo]:
    events.require_event(event_id)
    return staff_tokens.list_for_event(event_id)


def revoke_staff_token(event_id: str, token_id: str, caller: Caller) -> None:
    event = events.require_event(event_id)
    info = staff_tokens.revoke(event_id, token_id, clock.now_iso())
    audit_log.record(event, caller.actor, audit.STAFF_TOKEN_REVOKE, token_id, info.label)


def note_use(caller: Caller) -> None:
    """Remember when a gate last used its token (throttled to one write a minute)."""
    if caller.is_admin or not caller.event_id or not caller.token_id:
        return
    now = clock.now()
    staff_tokens.touch(
        caller.event_id, caller.token_id, clock.to_shanghai_iso(now), clock.to_shanghai_iso(now - LAST_USED_RESOLUTION)
    )
