"""PIPL: erasing a person's data on request while the event's counts stay right."""
from __future__ import annotations

import re

from chalicelib import domain, events, registrations, repository
from chalicelib.errors import NotFound, ServiceUnavailable

REGISTRATION_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{16}")


class RegistrationNotFound(NotFound):
    code = "registration_not_found"
    message = "报名记录不存在"


def erase_registration(event_id: str, registration_id: str) -> None:
    """Remove name, phone and the rest at once; keep an anonymous record for the counts.

    A confirmed seat not yet used at the gate is freed (and the waitlist moves up); a
    waitlist place is given up; a used ticket keeps its seat, so attendance stays true.
    Idempotent: erasing twice is fine.
    """
    events.require_event(event_id)
    if not REGISTRATION_ID.fullmatch(registration_id):
        raise RegistrationNotFound()
    for _ in range(registrations.MAX_ATTEMPTS):
        registration = repository.get_registration(event_id, registration_id, consistent=True)
        if registration is None:
            raise RegistrationNotFound()
        if registration.get("erased"):
            return
        at = domain.to_shanghai_iso(domain.now())
        live = registration["status"] != domain.CANCELLED and not registration.get("checked_in_at")
        try:
            if live:
                repository.cancel(registration, at, erase=True)
            else:
                repository.anonymise(registration, at)
        except repository.TransactionCancelled as cancelled:
            if cancelled.failed(0):
                continue  # promoted, cancelled or checked in meanwhile: look again
            raise ServiceUnavailable() from cancelled
        if live and registration["status"] == domain.CONFIRMED:
            registrations.promote_waitlist(event_id)
        return
    raise ServiceUnavailable()
