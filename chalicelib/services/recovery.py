"""Ticket recovery (SPEC §7): a lost ticket page is not the end. Always 202, and the same work
whether or not the phone is registered: the request is queued as it is, and the sender finds
the live registration (if any) off the request path and texts its ticket link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.messages import RECOVERY
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import enqueue as message_service
from chalicelib.services import events, limits
from chalicelib.storage import messages as message_store


@dataclass(frozen=True)
class Accepted:
    status: str = "accepted"


def request_recovery(event_id: str, body: Any, client_ip: str | None) -> Accepted:
    event = events.recent_event(event_id)
    phone = load(requests.PHONE_REQUEST, body)["phone"]
    limits.take(phone, client_ip)
    message_store.put(message_service.new_message(event, RECOVERY, phone=phone))
    return Accepted()
