"""Award ceremony (SPEC §9): the organiser assigns seats, awards and companions; the stage
manager reads the programme (who of each award is in the hall, and where they sit).

For other use cases that write registrations (import, invite codes):
- `award_for(event, role, value)` checks and resolves an award given by id or name;
- `storage.programme.claim_seat_action(...)` is the seat lock to put in the same transaction
  as a registration item carrying `seat` (its failure: `storage.programme.seat_taken_by`);
- `companion_problem(registration, nominee_id)` checks a companion link.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import audit, awards
from chalicelib.domain.access import Caller
from chalicelib.domain.awards import Programme, RegistrationNotLive
from chalicelib.domain.errors import RegistrationChanged, RegistrationNotFound, ServiceUnavailable, ValidationFailed
from chalicelib.domain.events import Event
from chalicelib.domain.registrations import CANCELLED, Registration
from chalicelib.schemas import awards as award_schemas
from chalicelib.schemas.fields import load
from chalicelib.services import audit as audit_log
from chalicelib.services import events, staff
from chalicelib.services.retry import MAX_ATTEMPTS, backoff
from chalicelib.storage import programme as programme_store
from chalicelib.storage import registrations as registration_store


def award_for(event: Event, role: str | None, value: str | None) -> str | None:
    """The award_id of `value` (an award's id or name) for a registration of `role`; raises
    ValidationFailed (fields.award_id) when the event has no such award, a nominee has none
    although the event has awards, or someone other than a nominee names one."""
    award_id = awards.resolve_award(event, value) if value else None
    if value and award_id is None:
        award_id = value  # unknown: let the rule say why
    errors = awards.award_assignment_errors(event, role, award_id)
    if errors:
        raise ValidationFailed(fields=errors)
    return award_id


def companion_problem(registration: Registration, nominee_id: str) -> dict[str, list[str]]:
    """Field errors (empty when fine) of making `registration` a companion of `nominee_id`."""
    return awards.companion_errors(registration, registration_store.find(registration.event_id, nominee_id))


def _require_registration(event_id: str, registration_id: str) -> Registration:
    found = registration_store.find(event_id, registration_id)
    if found is None:
        raise RegistrationNotFound()
    return found


def _changes(registration: Registration, requested: dict[str, Any]) -> dict[str, str | None]:
    """The requested values that differ from the stored ones ("" clears a seat)."""
    changes: dict[str, str | None] = {}
    for field in awards.EDITABLE_FIELDS:
        if field in requested:
            value = requested[field] or None
            if value != getattr(registration, field):
                changes[field] = value
    return changes


def _check(event: Event, registration: Registration, changes: dict[str, str | None]) -> None:
    if registration.erased or registration.status == CANCELLED:
        raise RegistrationNotLive()
    errors: dict[str, list[str]] = {}
    if "award_id" in changes:
        errors.update(awards.award_assignment_errors(event, registration.role, changes["award_id"]))
    if changes.get("companion_of"):
        errors.update(companion_problem(registration, str(changes["companion_of"])))
    if errors:
        raise ValidationFailed(fields=errors)


def update_registration(event_id: str, registration_id: str, body: Any, caller: Caller) -> Registration:
    """PATCH a registration's seat, award and companion. Seats are unique among the event's
    live registrations whatever the concurrency (the seat lock is written in the same
    transaction): SeatTaken (409 seat_taken) otherwise. Audited without personal data."""
    requested = load(award_schemas.REGISTRATION_PATCH, body)
    event = events.require_event(event_id)
    registration = _require_registration(event_id, registration_id)
    for attempt in range(MAX_ATTEMPTS):
        changes = _changes(registration, requested)
        _check(event, registration, changes)
        if not changes:
            return registration
        try:
            updated = programme_store.update_registration(registration, changes)
        except RegistrationChanged as changed:
            if changed.registration is None:
                backoff(attempt)
                registration = _require_registration(event_id, registration_id)
            else:
                registration = changed.registration  # edited, cancelled or erased meanwhile: decide again
            continue
        audit_log.record(event, caller.actor, audit.REGISTRATION_UPDATE, registration_id, ", ".join(sorted(changes)))
        return updated
    raise ServiceUnavailable()


def programme(event_id: str, caller: Caller | None = None, consumed: list[float] | None = None) -> Programme:
    """Per award, its nominees (not yet arrived first) with seat and companions in / total.
    Two reads whatever the event's size: the event item and the programme index entries."""
    event = events.require_event(event_id)
    entries = programme_store.programme_entries(event_id, consumed)
    if caller is not None:
        staff.note_use(caller)
    return awards.build_programme(event, entries)
