"""Gate (staff) tokens: minted by the organiser for one event, valid until a day after it ends."""

from __future__ import annotations

import secrets as random_source
from dataclasses import dataclass
from datetime import timedelta

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.tokens import STAFF_PREFIX, staff_token_hash
from chalicelib.services import events
from chalicelib.storage import staff_tokens

STAFF_VALID_AFTER_EVENT = timedelta(days=1)


@dataclass(frozen=True)
class StaffToken:
    token: str
    scanner_url: str
    expires_at: str


def create_staff_token(event_id: str) -> StaffToken:
    event = events.require_event(event_id)
    token = STAFF_PREFIX + random_source.token_urlsafe(32)
    expires = clock.parse_iso(event.ends_at) + STAFF_VALID_AFTER_EVENT
    staff_tokens.put(staff_token_hash(token), event.event_id, clock.now_iso(), int(expires.timestamp()))
    # The token travels in the fragment: browsers never send it to servers or write it to logs.
    return StaffToken(
        token, f"{settings().public_base_url}/scan/{event.event_id}#token={token}", clock.to_shanghai_iso(expires)
    )
