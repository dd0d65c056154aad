"""Registration service: sign up, look at a ticket, cancel; the waitlist moves on cancellation.

Seats are guarded by DynamoDB conditions, not by reads: every path that changes seats does
so in one transaction with the event's counters, so capacity holds under any concurrency.
"""
from __future__ import annotations

import logging
import random
import time
from typing import Any, Mapping

from chalicelib import domain, events, idempotency, normalize, repository, schemas, tokens
from chalicelib.config import settings
from chalicelib.errors import Conflict, EventNotFound, NotFound, ServiceUnavailable, ValidationFailed

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
MAX_PROMOTIONS_PER_PASS = 200


class EventFull(Conflict):
    code = "event_full"
    message = "名额已满，本活动不设候补"


class AlreadyRegistered(Conflict):
    code = "already_registered"
    message = "该手机号已报名本活动；如需查看电子票，请使用报名成功后收到的链接"


class RegistrationClosed(Conflict):
    code = "registration_closed"
    message = "当前不在报名时间内"


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    message = "电子票不存在或链接有误"


class TicketAlreadyUsed(Conflict):
    code = "already_checked_in"
    message = "该票已签到，无法取消"


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.02 * (2 ** attempt)))  # full jitter


def ticket_links(token: str) -> dict[str, str]:
    base = settings().public_base_url
    return {
        "ticket_url": f"{base}/t/{token}",
        "qr_png_url": f"{base}/tickets/{token}/qr.png",
        "qr_svg_url": f"{base}/tickets/{token}/qr.svg",
    }


def register(event_id: str, body: Any, idempotency_key: str | None = None) -> tuple[int, dict[str, Any]]:
    if idempotency_key is None:
        return _register(event_id, body)
    return idempotency.run_once(f"register:{event_id}", idempotency_key, body,
                                lambda: _register(event_id, body),
                                to_record=lambda reply: _without_ticket(event_id, reply), from_record=_with_ticket)


def _without_ticket(event_id: str, reply: dict[str, Any]) -> dict[str, Any]:
    """What an idempotency record keeps of a reply: never the ticket token itself."""
    if "ticket_token" not in reply:
        return reply  # an error reply
    return {"registration_id": reply["registration_id"], "status": reply["status"], "event_id": event_id}


def _with_ticket(recorded: dict[str, Any]) -> dict[str, Any]:
    return _created(recorded) if "event_id" in recorded else recorded


def _validated(event: Mapping[str, Any], body: Any) -> dict[str, Any]:
    data = events.load_or_422(schemas.REGISTRATION_BY_KIND[event["kind"]], body)
    errors = domain.registration_field_errors(event, data)
    if errors:
        raise ValidationFailed(fields=errors)
    return data


def _new_registration(event: Mapping[str, Any], data: Mapping[str, Any], status: str) -> dict[str, Any]:
    registration_id = tokens.new_registration_id()
    stamp = domain.to_shanghai_iso(domain.now())
    return {
        "registration_id": registration_id,
        "event_id": event["event_id"],
        "status": status,
        "name": data["name"],
        "phone": data["phone"],
        "phone_guard": tokens.phone_guard(event.get("guard_kid") or tokens.keyring().active_id,
                                          event["event_id"], data["phone"]),
        "role": data["role"],
        "party_size": data.get("party_size", 1),
        "city": data.get("city") or None,
        "organization": data.get("organization") or None,
        "note": data.get("note") or None,
        "items": data.get("items") or None,
        "registered_at": stamp,
        "consent_version": settings().privacy_notice_version,
        "consent_at": stamp,
        "expires_at": domain.retention_expiry(event),
    }


def _register(event_id: str, body: Any) -> tuple[int, dict[str, Any]]:
    event = events.recent_event(event_id)
    data = _validated(event, body)
    if not domain.registration_is_open(event, domain.now()):
        raise RegistrationClosed()
    for attempt in range(MAX_ATTEMPTS):
        seats = int(data.get("party_size", 1))
        waitlist_on = bool(event.get("waitlist", True))
        fits = (int(event.get("seats_confirmed", 0)) + seats <= int(event["capacity"])
                and not (waitlist_on and int(event.get("waitlisted_count", 0)) > 0))
        if fits:
            registration = _new_registration(event, data, domain.CONFIRMED)
            try:
                repository.insert_confirmed(registration, int(event["capacity"]), require_empty_waitlist=waitlist_on)
                return 201, _created(registration)
            except repository.TransactionCancelled as cancelled:
                if cancelled.failed(1):
                    raise AlreadyRegistered() from cancelled
                if cancelled.failed(2):
                    stored = cancelled.items[2]
                    if stored is None:
                        raise EventNotFound() from cancelled
                    event = stored  # full, waiting list not empty, or capacity edited: decide again
                    events.remember_event(stored)
                    continue
                _retry_or_fail(cancelled, attempt)
                continue
        if not waitlist_on:
            raise EventFull()
        return 201, _join_waitlist(event, data)
    raise ServiceUnavailable()


def _retry_or_fail(cancelled: repository.TransactionCancelled, attempt: int) -> None:
    """Conflicts with a concurrent transaction are retried; anything unexpected is a logged 5xx."""
    if cancelled.conflicted or cancelled.failed(0):  # failed(0): a registration id collision
        _backoff(attempt)
        return
    logger.error("registration transaction cancelled unexpectedly: %s", cancelled.codes)
    raise ServiceUnavailable()


def _join_waitlist(event: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    for attempt in range(MAX_ATTEMPTS):
        registration = _new_registration(event, data, domain.WAITLISTED)
        registration["waitlist_position"] = repository.claim_waitlist_position(event["event_id"])
        try:
            repository.insert_waitlisted(registration)
        except repository.TransactionCancelled as cancelled:
            if cancelled.failed(1):
                raise AlreadyRegistered() from cancelled
            if cancelled.failed(3):
                raise EventNotFound() from cancelled
            _retry_or_fail(cancelled, attempt)
            continue
        promoted = promote_waitlist(event["event_id"])
        if registration["registration_id"] in promoted:
            registration["status"] = domain.CONFIRMED
        return _created(registration)
    raise ServiceUnavailable()


def _created(registration: Mapping[str, Any]) -> dict[str, Any]:
    token = tokens.mint_ticket(registration["event_id"], registration["registration_id"])
    return {"registration_id": registration["registration_id"], "status": registration["status"],
            "ticket_token": token, **ticket_links(token)}


def promote_waitlist(event_id: str) -> list[str]:
    """Confirm waiting registrations, oldest first, while seats are free for them.

    Each promotion is one transaction with the counters; concurrent passes can't promote the
    same registration twice or exceed capacity. Returns the promoted registration ids.
    """
    promoted: list[str] = []
    failures = 0
    while len(promoted) < MAX_PROMOTIONS_PER_PASS and failures < MAX_ATTEMPTS:
        event = repository.get_event(event_id, consistent=True)
        if event is None or int(event.get("waitlisted_count", 0)) <= 0:
            break
        free = int(event["capacity"]) - int(event.get("seats_confirmed", 0))
        if free <= 0:
            break
        entry = domain.first_promotable(free, repository.waitlist_entries(event_id))
        if entry is None:
            break
        try:
            repository.promote(event_id, entry, int(event["capacity"]), domain.to_shanghai_iso(domain.now()))
            promoted.append(entry["registration_id"])
        except repository.TransactionCancelled:
            failures += 1  # another pass moved first; look again
            _backoff(failures)
    return promoted


def _ticket_registration(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    opened = tokens.open_ticket(token)
    if opened is None:
        raise TicketNotFound()
    registration, event = repository.get_registration_and_event(*opened)
    if registration is None or event is None or registration.get("erased"):
        raise TicketNotFound()
    return registration, event


def ticket_qr(token: str, image_format: str) -> bytes | str:
    """The ticket's QR code (PNG bytes or SVG text), encoding its URL. No database read:
    the signature alone says whether the token is genuine, and a QR code never changes."""
    if tokens.open_ticket(token) is None:
        raise TicketNotFound()
    from chalicelib import qr  # qrcode is heavy to import; only these routes need it

    url = ticket_links(token.upper())["ticket_url"]
    return qr.render_png(url) if image_format == "png" else qr.render_svg(url)


def get_ticket(token: str) -> dict[str, Any]:
    registration, event = _ticket_registration(token)
    return {
        "registration_id": registration["registration_id"],
        "event": {name: event[name] for name in ("event_id", "title", "venue", "starts_at")},
        "name": registration.get("name", ""),
        "phone_masked": normalize.mask_phone(registration.get("phone", "")),
        "role": registration["role"],
        "party_size": int(registration["party_size"]),
        "status": registration["status"],
        "checked_in_at": registration.get("checked_in_at"),
    }


def cancel_ticket(token: str) -> dict[str, Any]:
    registration, _ = _ticket_registration(token)
    for attempt in range(MAX_ATTEMPTS):
        if registration["status"] == domain.CANCELLED:
            return {"status": domain.CANCELLED}
        if registration.get("checked_in_at"):
            raise TicketAlreadyUsed()
        try:
            repository.cancel(registration, domain.to_shanghai_iso(domain.now()))
        except repository.TransactionCancelled as cancelled:
            if cancelled.failed(0) and cancelled.items[0] is not None:
                registration = cancelled.items[0]  # promoted, cancelled or checked in meanwhile
                continue
            _retry_or_fail(cancelled, attempt)
            fresh = repository.get_registration(registration["event_id"], registration["registration_id"], True)
            registration = fresh or registration
            continue
        if registration["status"] == domain.CONFIRMED:
            promote_waitlist(registration["event_id"])
        return {"status": domain.CANCELLED}
    raise ServiceUnavailable()

