"""Donation certificates (SPEC §8): one A4 page per donor listing what they gave."""

from __future__ import annotations

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.errors import NoDonations, RegistrationNotFound
from chalicelib.domain.items import DONATED
from chalicelib.services import events
from chalicelib.services.downloads import Export
from chalicelib.storage import items as item_store
from chalicelib.storage import registrations as registration_store

PDF_TYPE = "application/pdf"


def donation_certificate(event_id: str, registration_id: str) -> Export:
    event = events.require_event(event_id)
    registration = registration_store.find(event_id, registration_id)
    if registration is None or registration.erased:
        raise RegistrationNotFound()
    donated = [item for item in item_store.of_registration(event_id, registration_id) if item.state == DONATED]
    if not donated:
        raise NoDonations()
    from chalicelib.formats import certificate  # reportlab: imported by this route only

    today = clock.now_iso()[:10]
    document = certificate.Certificate(
        donor=registration.name or "",
        items=[
            certificate.DonatedItem(item.item_id, item.name, item.recipient or "", (item.donated_at or today)[:10])
            for item in donated
        ],
        organization=settings().organization_name,
        event_title=event.title,
        issued_on=today,
    )
    return Export(f"{event_id}-{registration_id}-donation-certificate.pdf", PDF_TYPE, body=certificate.render(document))
