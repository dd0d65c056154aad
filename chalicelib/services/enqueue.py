"""Enqueueing messages (SPEC §7): the message items other services write in their own transactions.

How a feature sends a text: build the message here and write it in the same transaction as what
it announces, e.g. `storage.registrations.insert_confirmed(…, messages=[ticket_message(event,
registration)])`, or add `storage.messages.put_action(message)` to its own `dynamo.transact`
actions. The sender (services/messages.py) picks it up off the request path.
"""

from __future__ import annotations

import time
from dataclasses import replace

from chalicelib.domain import clock, tokens
from chalicelib.domain.events import Event
from chalicelib.domain.messages import PROMOTED, TICKET, Message, outbox_key
from chalicelib.domain.normalize import mask_phone
from chalicelib.domain.registrations import Registration


def now_ms() -> int:
    return int(time.time() * 1000)


def new_message(
    event: Event,
    kind: str,
    registration_id: str | None = None,
    phone: str | None = None,
    code_nonce: str | None = None,
) -> Message:
    """A queued message, due now; it lives as long as the event's personal data."""
    return Message(
        message_id=tokens.new_registration_id(),
        event_id=event.event_id,
        kind=kind,
        registration_id=registration_id,
        created_at=clock.now_iso(),
        due_ms=now_ms(),
        phone=phone,
        phone_masked=mask_phone(phone) if phone else None,
        phone_tag=outbox_key(phone) if phone else None,
        code_nonce=code_nonce,
        expires_at=event.retention_expiry(),
    )


def ticket_message(event: Event, registration: Registration) -> Message:
    """The ticket link for a new registration (confirmed or waitlisted), to write in its transaction."""
    return replace(new_message(event, TICKET, registration.registration_id), phone_masked=registration.phone_masked)


def promoted_message(event: Event, registration_id: str) -> Message:
    return new_message(event, PROMOTED, registration_id)
