"""Registration: sign up for an event, confirmed while seats last, then on the waitlist.

Seats are guarded by DynamoDB conditions, not by reads: every path that changes seats does
so in one transaction with the event's counters, so capacity holds under any concurrency.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chalicelib.config import settings
from chalicelib.domain import clock, tokens
from chalicelib.domain.awards import award_assignment_errors
from chalicelib.domain.errors import (
    EventFull,
    PhoneTaken,
    RegistrationClosed,
    SeatsChanged,
    ServiceUnavailable,
    ValidationFailed,
    WriteConflict,
)
from chalicelib.domain.events import Event
from chalicelib.domain.invites import InviteCode
from chalicelib.domain.registrations import (
    CONFIRMED,
    FORM,
    INVITE,
    WAITLISTED,
    IssuedTicket,
    Registration,
    registration_field_errors,
)
from chalicelib.domain.search import name_key, name_terms, phone_tail_term
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.schemas.questions import load_answers
from chalicelib.services import enqueue as message_service
from chalicelib.services import events, idempotency, invites, items, phone_codes, tickets, waitlist
from chalicelib.services.retry import MAX_ATTEMPTS, backoff
from chalicelib.storage import events as event_store
from chalicelib.storage import items as item_store
from chalicelib.storage import registrations as registration_store

logger = logging.getLogger(__name__)


def register(event_id: str, body: Any, idempotency_key: str | None = None) -> IssuedTicket:
    if idempotency_key is None:
        return _register(event_id, body)
    return idempotency.run_once(
        f"register:{event_id}",
        idempotency_key,
        body,
        lambda record: _register(event_id, body, record),
        _record_of,
        _reissued,
    )


def _record_of(ticket: IssuedTicket) -> dict[str, str]:
    """What an idempotency record keeps of a registration: never the ticket token itself."""
    return {"registration_id": ticket.registration_id, "status": ticket.status, "event_id": ticket.event_id}


def _reissued(record: Mapping[str, str]) -> IssuedTicket:
    return tickets.issue(record["registration_id"], record["event_id"], record["status"])


def _validated(event: Event, body: Any) -> dict[str, Any]:
    data: dict[str, Any] = load(requests.REGISTRATION_BY_KIND[event.kind], body)
    errors = registration_field_errors(event, data)
    errors.update(award_assignment_errors(event, data.get("role"), data.get("award_id")))
    if "role" not in errors and not data.get("invite_code") and data["role"] in event.invite_only_roles:
        errors["role"] = ["该身份仅限受邀嘉宾，请使用邀请链接报名"]
    if event.questions or data.get("answers"):
        data["answers"], answer_errors = load_answers(
            event.event_id, event.updated_at, event.version, event.questions, data.get("answers"), data.get("role")
        )
        errors.update(answer_errors)
    if errors:
        raise ValidationFailed(fields=errors)
    return data


def _new_registration(
    event: Event, data: Mapping[str, Any], status: str, idempotency_record: str | None = None
) -> Registration:
    stamp = clock.now_iso()
    terms = [
        *name_terms(data["name"]),
        phone_tail_term(tokens.phone_tail_tag(event.guard_kid, event.event_id, data["phone"][-4:])),
    ]
    return Registration(
        registration_id=tokens.new_registration_id(),
        event_id=event.event_id,
        status=status,
        name=data["name"],
        phone=data["phone"],
        phone_guard=tokens.phone_guard(event.guard_kid or tokens.keyring().active_id, event.event_id, data["phone"]),
        role=data["role"],
        party_size=data.get("party_size", 1),
        city=data.get("city") or None,
        organization=data.get("organization") or None,
        note=data.get("note") or None,
        items=data.get("items") or None,
        registered_at=stamp,
        consent_version=settings().privacy_notice_version,
        consent_at=stamp,
        expires_at=event.retention_expiry(),
        source=FORM,
        search_terms=terms,
        idempotency_record=idempotency_record,
        award_id=data.get("award_id"),
        answers=data.get("answers") or None,
    )


def _issued(registration: Registration) -> IssuedTicket:
    return tickets.issue(registration.registration_id, registration.event_id, registration.status)


def _register(event_id: str, body: Any, idempotency_record: str | None = None) -> IssuedTicket:
    try:
        return _register_once(event_id, body, idempotency_record)
    except PhoneTaken as taken:
        earlier = _made_by_this_request(event_id, taken, idempotency_record)
        if earlier is None:
            raise
        return _issued(earlier)


def _made_by_this_request(event_id: str, taken: PhoneTaken, idempotency_record: str | None) -> Registration | None:
    """The registration holding the phone, if an earlier attempt of this same idempotent request
    made it (its reply was lost: a timeout, a failure after the write). Then the retry gets that
    ticket; anyone else gets `already_registered`, which never reveals a ticket."""
    if not idempotency_record or not taken.existing_registration_id:
        return None
    existing = registration_store.get(event_id, taken.existing_registration_id, consistent=True)
    if existing is None or existing.erased or existing.idempotency_record != idempotency_record:
        return None
    return existing


def _register_once(event_id: str, body: Any, idempotency_record: str | None) -> IssuedTicket:
    event = events.recent_event(event_id)
    data = _validated(event, body)
    invite = invites.usable_code(event, data["invite_code"], data["role"]) if data.get("invite_code") else None
    is_open = event.invite_registration_is_open if invite else event.registration_is_open
    if not is_open(clock.now()):
        raise RegistrationClosed()
    if event.verify_phone:
        phone_codes.verify(event, data)
    data = items.with_item_ids(event_id, data)  # collector items get their ids (SPEC §8)
    for attempt in range(MAX_ATTEMPTS):
        fits = event.fits_privileged if invite else event.fits_publicly
        if fits(data.get("party_size", 1)):
            registration = _sourced(_new_registration(event, data, CONFIRMED, idempotency_record), invite)
            try:
                registration_store.insert_confirmed(
                    registration,
                    event.capacity,
                    require_empty_waitlist=event.waitlist and invite is None,
                    name_key=name_key(data["name"]),
                    reserved_seats=None if invite else event.reserved_seats,
                    extra_actions=item_store.puts_for(registration),
                    messages=[message_service.ticket_message(event, registration)],
                    invite=invite,
                )
                return _issued(registration)
            except SeatsChanged as changed:
                # Full, waiting list not empty, or capacity edited: decide again on the stored event.
                event = changed.event
                events.remember_event(event)
                continue
            except WriteConflict:
                backoff(attempt)
                continue
        if not event.waitlist:
            raise EventFull()
        return _join_waitlist(event, data, idempotency_record, invite)
    raise ServiceUnavailable()


def _sourced(registration: Registration, invite: InviteCode | None) -> Registration:
    """A registration made with an invite code: source `invite`, the code's companion link."""
    if invite is None:
        return registration
    return replace(registration, source=INVITE, invite_code_id=invite.code_id, companion_of=invite.companion_of)


def _join_waitlist(
    event: Event, data: Mapping[str, Any], idempotency_record: str | None, invite: InviteCode | None = None
) -> IssuedTicket:
    for attempt in range(MAX_ATTEMPTS):
        position = event_store.claim_waitlist_position(event.event_id)
        registration = replace(
            _sourced(_new_registration(event, data, WAITLISTED, idempotency_record), invite), waitlist_position=position
        )
        try:
            registration_store.insert_waitlisted(
                registration,
                name_key=name_key(data["name"]),
                extra_actions=item_store.puts_for(registration),
                messages=[message_service.ticket_message(event, registration)],
                invite=invite,
            )
        except WriteConflict:
            backoff(attempt)
            continue
        try:
            if registration.registration_id in waitlist.promote(event.event_id):
                registration = replace(registration, status=CONFIRMED)
        except ServiceUnavailable:
            # The registration is written: its reply must not be lost to a failed promotion
            # pass. A later pass (the next registration, cancellation or edit) moves the list.
            logger.warning("promotion after joining the waitlist of %s failed; left for the next pass", event.event_id)
        return _issued(registration)
    raise ServiceUnavailable()
