"""Venue check-in: a scanned code in, one atomic write, a verdict for the gate out."""
from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlsplit

from chalicelib import domain, events, idempotency, repository, schemas, tokens
from chalicelib.errors import ServiceUnavailable

CHECKIN = schemas.CheckinSchema()


def ticket_token_from_code(code: str) -> str:
    """The token inside a scanned code: the full ticket URL (any host or stage prefix) or the bare token."""
    code = code.strip()
    path = urlsplit(code).path if "://" in code else code
    marker = path.rfind("/t/")
    return path[marker + 3:] if marker >= 0 else path


def _registration_summary(registration: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "registration_id": registration["registration_id"],
        "name": registration.get("name", ""),
        "role": registration.get("role", ""),
        "party_size": int(registration.get("party_size", 1)),
    }


def _verdict(result: str, **details: Any) -> dict[str, Any]:
    return {"result": result, "message": domain.CHECKIN_MESSAGES_ZH[result], **details}


def check_in(event_id: str, body: Any, nonce: str | None) -> tuple[int, dict[str, Any]]:
    data = events.load_or_422(CHECKIN, body)
    if nonce is not None:
        idempotency.check_key(nonce)
    opened = tokens.open_ticket(ticket_token_from_code(data["code"]))
    if opened is None:  # forged or mangled: refused before any database read
        return 404, _verdict(domain.CHECKIN_INVALID)
    ticket_event, registration_id = opened
    if ticket_event != event_id:
        return 409, _verdict(domain.CHECKIN_WRONG_EVENT)
    at = domain.to_shanghai_iso(domain.now())
    gate = data.get("gate") or None
    try:
        repository.check_in(event_id, registration_id, at, gate, nonce)
    except repository.TransactionCancelled as cancelled:
        if not cancelled.failed(0):
            raise ServiceUnavailable() from cancelled
        stored = cancelled.items[0]
        result = domain.refused_checkin(stored, nonce)
        if result in (domain.CHECKIN_OK, domain.CHECKIN_ALREADY):  # a used ticket: say when and where
            return (200 if result == domain.CHECKIN_OK else 409), _verdict(
                result, registration=_registration_summary(stored),
                checked_in_at=stored["checked_in_at"], gate=stored.get("gate"))
        return (404 if result == domain.CHECKIN_INVALID else 409), _verdict(result)
    registration = repository.get_registration(event_id, registration_id, consistent=True) or {}
    return 200, _verdict(domain.CHECKIN_OK, registration=_registration_summary(
        {"registration_id": registration_id, **registration}), checked_in_at=at, gate=gate)


def stats(event_id: str) -> dict[str, int]:
    return domain.event_stats(events.require_event(event_id, consistent=True))
