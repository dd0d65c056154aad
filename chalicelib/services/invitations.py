"""Printable invitations (SPEC §6): one card per confirmed registration of the event (of one role
when asked), with the ticket's QR code. The page /admin/events/{id}/invitations draws them."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.events import role_label
from chalicelib.domain.invites import InvitationCard, InvitationSheet
from chalicelib.domain.registrations import CONFIRMED
from chalicelib.services import events, tickets
from chalicelib.storage import registrations as registration_store


def invitation_sheet(event_id: str, query: Mapping[str, str]) -> InvitationSheet:
    event = events.require_event(event_id)
    role = query.get("role") or None
    if role is not None and role not in event.roles:
        raise ValidationFailed(fields={"role": ["本活动没有这个身份"]})
    cards = []
    for registration in registration_store.all_of_event(event_id):
        if registration.status != CONFIRMED or registration.erased or (role and registration.role != role):
            continue
        issued = tickets.issue(registration.registration_id, event_id, registration.status)
        cards.append(
            InvitationCard(
                registration.registration_id,
                registration.name or "",
                registration.role or "",
                role_label(registration.role or ""),
                registration.party_size,
                registration.seat,
                issued.ticket_url,
                issued.qr_svg_url,
            )
        )
    return InvitationSheet(event.event_id, event.title, event.venue, event.starts_at, event.ends_at, cards)
