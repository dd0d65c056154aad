"""PIPL: erasing a person's data on request while the event's counts stay right."""

from __future__ import annotations

from chalicelib.domain import audit, clock
from chalicelib.domain.access import Caller
from chalicelib.domain.errors import RegistrationChanged, RegistrationNotFound, ServiceUnavailable, WriteConflict
from chalicelib.domain.ids import REGISTRATION_ID
from chalicelib.domain.registrations import CONFIRMED
from chalicelib.services import audit as audit_log
from chalicelib.services import events, items, waitlist
from chalicelib.services import messages as message_service
from chalicelib.services.retry import MAX_ATTEMPTS, backoff
from chalicelib.storage import registrations as registration_store


def erase_registration(event_id: str, registration_id: str, caller: Caller | None = None) -> None:
    """Remove name, phone and the rest at once; keep an anonymous record for the counts.

    A confirmed seat not yet used at the gate is freed (and the waitlist moves up); a
    waitlist place is given up; a used ticket keeps its seat, so attendance stays true.
    Idempotent: erasing twice is fine.
    """
    event = events.require_event(event_id)
    if not REGISTRATION_ID.fullmatch(registration_id):
        raise RegistrationNotFound()
    for attempt in range(MAX_ATTEMPTS):
        registration = registration_store.get(event_id, registration_id, consistent=True)
        if registration is None:
            raise RegistrationNotFound()
        if registration.erased:
            items.erase_items_of(event_id, registration_id)  # an earlier erasure may have stopped before its items
            message_service.erase_for(registration)  # an erasure interrupted before its messages went
            return
        at = clock.now_iso()
        try:
            if registration.holds_seat_unused:
                registration_store.cancel(registration, at, erase=True)
            else:
                registration_store.anonymise(registration, at)
        except RegistrationChanged:
            continue  # promoted, cancelled or checked in meanwhile: look again
        except WriteConflict:
            backoff(attempt)
            continue
        items.erase_items_of(event_id, registration_id)  # collector items: notes and photos go (SPEC §8)
        message_service.erase_for(registration)  # the phone is still known here: its outbox entries too
        if registration.holds_seat_unused and registration.status == CONFIRMED:
            waitlist.promote(event_id)
        audit_log.record(event, (caller or Caller(audit.ADMIN)).actor, audit.REGISTRATION_ERASE, registration_id)
        return
    raise ServiceUnavailable()
