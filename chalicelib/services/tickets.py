"""Tickets: issue one for a registration, show it, draw its QR code, cancel it."""

from __future__ import annotations

from chalicelib.config import settings
from chalicelib.domain import audit, clock, normalize, tokens
from chalicelib.domain.access import Caller
from chalicelib.domain.errors import (
    RegistrationChanged,
    RegistrationNotFound,
    ServiceUnavailable,
    TicketAlreadyUsed,
    TicketNotFound,
    WriteConflict,
)
from chalicelib.domain.events import Event
from chalicelib.domain.questions import answered
from chalicelib.domain.registrations import (
    CANCELLED,
    CONFIRMED,
    Cancelled,
    IssuedTicket,
    Registration,
    TicketEvent,
    TicketView,
)
from chalicelib.services import audit as audit_log
from chalicelib.services import events, items, waitlist
from chalicelib.services.retry import MAX_ATTEMPTS, backoff
from chalicelib.storage import registrations as registration_store


def ticket_url(token: str) -> str:
    return f"{settings().public_base_url}/t/{token}"


def issue(registration_id: str, event_id: str, status: str) -> IssuedTicket:
    """The reply to a registration: a freshly minted (deterministic) token and its links."""
    token = tokens.mint_ticket(event_id, registration_id)
    base = settings().public_base_url
    return IssuedTicket(
        registration_id,
        event_id,
        status,
        token,
        ticket_url(token),
        f"{base}/tickets/{token}/qr.png",
        f"{base}/tickets/{token}/qr.svg",
    )


def _ticket_registration(token: str) -> tuple[Registration, Event]:
    opened = tokens.open_ticket(token)
    if opened is None:
        raise TicketNotFound()
    registration, event = registration_store.get_with_event(*opened)
    if registration is None or event is None or registration.erased:
        raise TicketNotFound()
    return registration, event


def ticket_qr(token: str, image_format: str) -> bytes | str:
    """The ticket's QR code (PNG bytes or SVG text), encoding its URL. No database read:
    the signature alone says whether the token is genuine, and a QR code never changes."""
    if tokens.open_ticket(token) is None:
        raise TicketNotFound()
    from chalicelib.formats import qr  # qrcode is heavy to import; only these routes need it

    url = ticket_url(token.upper())
    return qr.render_png(url) if image_format == "png" else qr.render_svg(url)


def get_ticket(token: str) -> TicketView:
    registration, event = _ticket_registration(token)
    return TicketView(
        registration_id=registration.registration_id,
        event=TicketEvent(event.event_id, event.title, event.venue, event.starts_at, event.kind),
        name=registration.name or "",
        phone_masked=normalize.mask_phone(registration.phone or ""),
        role=registration.role or "",
        party_size=registration.party_size,
        status=registration.status,
        checked_in_at=registration.checked_in_at,
        seat=registration.seat,
        items=[items.shown(item) for item in items.items_of(registration)] if registration.items else [],
        answers=answered(event, registration.answers),
    )


def cancel_ticket(token: str) -> Cancelled:
    registration, _ = _ticket_registration(token)
    return _cancel(registration)


def cancel_registration(event_id: str, registration_id: str, caller: Caller) -> Cancelled:
    """The organiser cancels a registration from the console: as a ticket cancel, and audited."""
    event = events.require_event(event_id)
    registration = registration_store.find(event_id, registration_id)
    if registration is None or registration.erased:
        raise RegistrationNotFound()
    already = registration.status == CANCELLED
    result = _cancel(registration)
    if not already:
        audit_log.record(event, caller.actor, audit.REGISTRATION_CANCEL, registration_id)
    return result


def _cancel(registration: Registration) -> Cancelled:
    for attempt in range(MAX_ATTEMPTS):
        if registration.status == CANCELLED:
            return Cancelled()
        if registration.checked_in_at:
            raise TicketAlreadyUsed()
        try:
            registration_store.cancel(registration, clock.now_iso())
        except RegistrationChanged as changed:
            if changed.registration is None:
                raise TicketNotFound() from changed
            registration = changed.registration  # promoted, cancelled or checked in meanwhile
            continue
        except WriteConflict:
            backoff(attempt)
            registration = (
                registration_store.get(registration.event_id, registration.registration_id, consistent=True)
                or registration
            )
            continue
        if registration.status == CONFIRMED:
            waitlist.promote(registration.event_id)
        return Cancelled()
    raise ServiceUnavailable()
