"""Event service: what the event routes do, in terms of validation, rules and storage."""
from __future__ import annotations

import secrets as random_source
import time
from typing import Any, Mapping

from marshmallow import ValidationError

from chalicelib import domain, repository, schemas, tokens
from chalicelib.errors import (
    CapacityBelowConfirmed, EventAlreadyExists, EventNotFound, ServiceUnavailable, ValidationFailed,
)

LIST_SCOPE = "events"
# How long a container may reuse an event it read, for registration bursts on one hot item.
# Seats stay exact regardless: every seat write is conditioned on the stored counters and
# capacity, and a failed condition returns the fresh item.
EVENT_CACHE_SECONDS = 1.0
_recent_events: dict[str, tuple[float, dict[str, Any]]] = {}
DEFAULT_PAGE_SIZE = 50
_EDIT_RETRIES = 5


def load_or_422(schema: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        return schema.load(data, **kwargs)
    except ValidationError as error:
        raise ValidationFailed(fields=schemas.flatten_errors(error.messages)) from error


def _new_event_id() -> str:
    # 10 lowercase base32-ish characters: short enough to type, ~50 bits to avoid collisions.
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "ev-" + "".join(random_source.choice(alphabet) for _ in range(10))


def create_event(body: Any) -> dict[str, Any]:
    data = load_or_422(schemas.EVENT_CREATE, body)
    stamp = domain.to_shanghai_iso(domain.now())
    event = {
        "event_id": data.get("event_id") or _new_event_id(),
        "kind": data["kind"],
        "title": data["title"],
        "venue": data["venue"],
        "starts_at": data["starts_at"],
        "ends_at": data["ends_at"],
        "registration_opens_at": data.get("registration_opens_at"),
        "registration_closes_at": data.get("registration_closes_at"),
        "capacity": data["capacity"],
        "waitlist": data.get("waitlist", True),
        "max_party_size": data.get("max_party_size", 1),
        "roles": data.get("roles") or list(domain.KIND_ROLES[data["kind"]]),
        "retention_days": data.get("retention_days", domain.DEFAULT_RETENTION_DAYS),
        "created_at": stamp,
        "updated_at": stamp,
        # Phone guards of this event are keyed with this signing key, kept while the event lives.
        "guard_kid": tokens.keyring().active_id,
        "version": 1,
    }
    try:
        repository.put_new_event(event)
    except repository.ConditionFailed as error:
        raise EventAlreadyExists(fields={"event_id": ["活动编号已被使用"]}) from error
    return domain.public_event({**event, "seats_confirmed": 0})


def get_event(event_id: str) -> dict[str, Any]:
    return domain.public_event(require_event(event_id))


def require_event(event_id: str, consistent: bool = False) -> dict[str, Any]:
    event = repository.get_event(event_id, consistent=consistent) if domain.EVENT_ID.fullmatch(event_id) else None
    if event is None:
        raise EventNotFound()
    return event


def recent_event(event_id: str) -> dict[str, Any]:
    """The event as read at most EVENT_CACHE_SECONDS ago by this container."""
    cached = _recent_events.get(event_id)
    now = time.monotonic()
    if cached and now - cached[0] < EVENT_CACHE_SECONDS:
        return cached[1]
    event = require_event(event_id)
    _recent_events[event_id] = (now, event)
    return event


def remember_event(event: dict[str, Any]) -> None:
    _recent_events[event["event_id"]] = (time.monotonic(), event)


def list_events(query: Mapping[str, str]) -> dict[str, Any]:
    params = load_or_422(schemas.EVENT_LIST_QUERY, dict(query))
    start = None
    if params.get("cursor"):
        start = tokens.open_cursor(LIST_SCOPE, params["cursor"])
        if start is None:
            raise ValidationFailed(fields={"cursor": ["游标无效或已过期"]})
    items, last = repository.list_events(params.get("limit", DEFAULT_PAGE_SIZE), start)
    return {
        "items": [domain.public_event(item) for item in items],
        "next_cursor": tokens.sign_cursor(LIST_SCOPE, last) if last else None,
    }


def update_event(event_id: str, body: Any) -> dict[str, Any]:
    changes = load_or_422(schemas.EVENT_PATCH, body)
    for _ in range(_EDIT_RETRIES):
        current = require_event(event_id, consistent=True)
        merged = {**current, **changes}
        errors = domain.event_field_errors(merged)
        if errors:
            raise ValidationFailed(fields=errors)
        if "capacity" in changes and changes["capacity"] < int(current.get("seats_confirmed", 0)):
            raise CapacityBelowConfirmed(seats_confirmed=int(current["seats_confirmed"]))
        if not changes:
            return domain.public_event(current)
        stamped = {**changes, "updated_at": domain.to_shanghai_iso(domain.now())}
        try:
            updated = repository.update_event_fields(event_id, stamped, int(current["version"]))
        except repository.ConditionFailed as failure:
            stored = failure.item
            if stored is None:
                raise EventNotFound() from failure
            if "capacity" in changes and changes["capacity"] < int(stored.get("seats_confirmed", 0)):
                raise CapacityBelowConfirmed(seats_confirmed=int(stored["seats_confirmed"])) from failure
            continue  # someone else edited the event meanwhile: merge again
        if int(updated["capacity"]) > int(current["capacity"]) and int(updated.get("waitlisted_count", 0)) > 0:
            # More seats: the waiting list moves up now, not at the next cancellation.
            from chalicelib.registrations import promote_waitlist  # registrations builds on events

            if promote_waitlist(event_id):
                updated = require_event(event_id, consistent=True)
        remember_event(updated)
        return domain.public_event(updated)
    raise ServiceUnavailable(message="活动正被同时修改，请稍后重试")
