"""Events: create, read, list, edit. Raising an event's capacity moves its waitlist up."""

from __future__ import annotations

import secrets as random_source
import time
from collections.abc import Mapping
from typing import Any

from chalicelib.domain import audit, clock, tokens
from chalicelib.domain import questions as question_rules
from chalicelib.domain.access import ADMIN_CALLER, Caller
from chalicelib.domain.errors import (
    CapacityBelowConfirmed,
    EventChanged,
    EventNotFound,
    QuestionInUse,
    ServiceUnavailable,
    ValidationFailed,
)
from chalicelib.domain.events import DEFAULT_RETENTION_DAYS, KIND_ROLES, Event, event_field_errors, settings_of
from chalicelib.domain.ids import EVENT_ID
from chalicelib.domain.listing import Page
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import audit as audit_log
from chalicelib.services import paging, retention, waitlist
from chalicelib.storage import events as event_store

LIST_SCOPE = "events"
# How long a container may reuse an event it read, for registration bursts on one hot item.
# Seats stay exact regardless: every seat write is conditioned on the stored counters and
# capacity, and a failed condition returns the fresh item.
EVENT_CACHE_SECONDS = 1.0
_recent_events: dict[str, tuple[float, Event]] = {}
DEFAULT_PAGE_SIZE = 50
_EDIT_RETRIES = 5


def _new_event_id() -> str:
    # 10 lowercase base32-ish characters: short enough to type, ~50 bits to avoid collisions.
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "ev-" + "".join(random_source.choice(alphabet) for _ in range(10))


def create_event(body: Any, caller: Caller | None = None) -> Event:
    data = load(requests.EVENT_CREATE, body)
    stamp = clock.now_iso()
    event = Event(
        event_id=data.get("event_id") or _new_event_id(),
        kind=data["kind"],
        title=data["title"],
        venue=data["venue"],
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        registration_opens_at=data.get("registration_opens_at"),
        registration_closes_at=data.get("registration_closes_at"),
        capacity=data["capacity"],
        waitlist=data.get("waitlist", True),
        max_party_size=data.get("max_party_size", 1),
        roles=data.get("roles") or list(KIND_ROLES[data["kind"]]),
        retention_days=data.get("retention_days", DEFAULT_RETENTION_DAYS),
        checkin_lists=data.get("checkin_lists"),
        awards=data.get("awards") or [],
        invite_only_roles=data.get("invite_only_roles") or [],
        reserved_seats=data.get("reserved_seats", 0),
        verify_phone=data.get("verify_phone", False),
        questions=data.get("questions") or [],
        created_at=stamp,
        updated_at=stamp,
        guard_kid=tokens.keyring().active_id,
        version=1,
    )
    event_store.put_new(event)
    audit_log.record(event, (caller or ADMIN_CALLER).actor, audit.EVENT_CREATE, event.event_id)
    return event


def require_event(event_id: str, consistent: bool = False) -> Event:
    event = event_store.get(event_id, consistent=consistent) if EVENT_ID.fullmatch(event_id) else None
    if event is None:
        raise EventNotFound()
    return event


get_event = require_event


def recent_event(event_id: str) -> Event:
    """The event as read at most EVENT_CACHE_SECONDS ago by this container."""
    cached = _recent_events.get(event_id)
    now = time.monotonic()
    if cached and now - cached[0] < EVENT_CACHE_SECONDS:
        return cached[1]
    event = require_event(event_id)
    _recent_events[event_id] = (now, event)
    return event


def remember_event(event: Event) -> None:
    _recent_events[event.event_id] = (time.monotonic(), event)


def list_events(query: Mapping[str, str]) -> Page:
    params = load(requests.EVENT_LIST_QUERY, dict(query))
    start = paging.start_of(LIST_SCOPE, params.get("cursor"))
    items, last = event_store.list_page(params.get("limit", DEFAULT_PAGE_SIZE), start)
    return paging.page_of(items, LIST_SCOPE, last)


def _questions_kept_or_unanswered(current: Event, changes: Mapping[str, Any]) -> tuple[str, ...]:
    """QuestionInUse when the edit removes or retypes a question that has answers (or takes
    options from it); otherwise the ids of the questions it removes or retypes, which the write
    checks still have no answers (a registration may answer meanwhile)."""
    if "questions" not in changes:
        return ()
    proposed = changes["questions"] or []
    in_use = question_rules.in_use_errors(current.questions, proposed, current.answer_counts)
    if in_use:
        raise QuestionInUse(fields={"questions": [f"已有回答的问题不能删除或改题型：{', '.join(in_use)}"]})
    return tuple(
        question_rules.in_use_errors(
            current.questions, proposed, dict.fromkeys((question["question_id"] for question in current.questions), 1)
        )
    )


def update_event(event_id: str, body: Any, caller: Caller | None = None) -> Event:
    changes = load(requests.EVENT_PATCH, body)
    current = require_event(event_id, consistent=True)
    for _ in range(_EDIT_RETRIES):
        errors = event_field_errors({**settings_of(current), **changes})
        if errors:
            raise ValidationFailed(fields=errors)
        if "capacity" in changes and changes["capacity"] < current.seats_confirmed:
            raise CapacityBelowConfirmed(seats_confirmed=current.seats_confirmed)
        if not changes:
            return current
        unanswered = _questions_kept_or_unanswered(current, changes)
        stamped = {**changes, "updated_at": clock.now_iso()}
        try:
            updated = event_store.update_fields(event_id, stamped, current.version, unanswered)
        except EventChanged as changed:
            current = changed.event  # someone else edited the event meanwhile: merge again
            continue
        # More seats: the waiting list moves up now, not at the next cancellation.
        more_seats = updated.has_waiting and (
            updated.capacity > current.capacity or updated.reserved_seats < current.reserved_seats
        )
        if more_seats and waitlist.promote(event_id):
            updated = require_event(event_id, consistent=True)
        remember_event(updated)
        if {"ends_at", "retention_days"} & set(changes):
            retention.schedule(updated)
        audit_log.record(
            updated, (caller or ADMIN_CALLER).actor, audit.EVENT_UPDATE, event_id, ", ".join(sorted(changes))
        )
        return updated
    raise ServiceUnavailable(message="活动正被同时修改，请稍后重试")
