"""Award ceremony items (SPEC §9): seat locks, the organiser's edit of a registration's seat,
award and companion, and the programme index.

  seat lock   pk=EVENT#<event_id>  sk=SEAT#<seat_key>   registration_id, seat (as typed), expires_at
              one per seat held by a live registration of the event, written in the same
              transaction as the registration's `seat`, deleted in the same transaction as a
              cancellation, an erasure or a move to another seat.
  programme   the sparse index `programme` (prog_pk=PROG#<event_id>, sk): only nominees and
              companions carry `prog_pk`, projected to the eight attributes the stage board needs
              (ids come from the keys), so a board refresh reads those small entries and nothing
              else of the event.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain.awards import EDITABLE_FIELDS, NOMINEE, SeatTaken, seat_key
from chalicelib.domain.errors import RegistrationChanged
from chalicelib.domain.registrations import CANCELLED, Registration
from chalicelib.storage import dynamo
from chalicelib.storage import events as event_items
from chalicelib.storage.dynamo import TransactionCancelled, from_dynamo, to_dynamo
from chalicelib.storage.keys import changed_now

SEAT_PREFIX = "SEAT#"
PROGRAMME_INDEX = "programme"
PROGRAMME_KEY = "prog_pk"


def programme_partition(event_id: str) -> str:
    return f"PROG#{event_id}"


def in_programme(role: str | None, companion_of: str | None) -> bool:
    """Nominees and companions are on the programme index; nobody else is."""
    return role == NOMINEE or bool(companion_of)


def programme_attributes(registration: Registration) -> dict[str, str]:
    """The index key a new registration item carries (none for most registrations)."""
    if in_programme(registration.role, registration.companion_of):
        return {PROGRAMME_KEY: programme_partition(registration.event_id)}
    return {}


def seat_lock_key(event_id: str, seat: str) -> dict[str, str]:
    return {"pk": event_items.partition(event_id), "sk": f"{SEAT_PREFIX}{seat_key(seat)}"}


def claim_seat_action(event_id: str, seat: str, registration_id: str, expires_at: int | None) -> dict[str, Any]:
    """A transaction action taking `seat` for a registration: it fails (ALL_OLD names the holder)
    when another registration holds the same seat. Put it in the transaction that writes the
    registration's `seat` (an edit, an import) and map its failure with `seat_taken_by`."""
    item = {
        **seat_lock_key(event_id, seat),
        "type": "seat",
        "registration_id": registration_id,
        "seat": seat,
        "expires_at": expires_at,
    }
    return {
        "Put": {
            "Item": to_dynamo(item),
            "ConditionExpression": "attribute_not_exists(pk) OR registration_id = :rid",
            "ExpressionAttributeValues": to_dynamo({":rid": registration_id}),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def release_seat_action(event_id: str, seat: str) -> dict[str, Any]:
    return {"Delete": {"Key": to_dynamo(seat_lock_key(event_id, seat))}}


def seat_taken_by(cancelled: TransactionCancelled, index: int) -> SeatTaken | None:
    """SeatTaken if the claim at `index` of a cancelled transaction failed, else None."""
    reasons = cancelled.cancellation
    if not reasons.failed(index):
        return None
    return SeatTaken(held_by=(reasons.items[index] or {}).get("registration_id"))


def leaving(registration: Registration, values: dict[str, Any], erase: bool) -> tuple[str, str, list[dict[str, Any]]]:
    """What a cancellation (or an erasure) adds to its transaction: attributes to REMOVE (the
    seat, the programme key; with `erase` the companion link too), a condition that the seat is
    still the one read, and the release of the seat lock."""
    removes = f"seat, {PROGRAMME_KEY}" + (", companion_of" if erase else "")
    if registration.seat:
        values[":held_seat"] = registration.seat
        return removes, "seat = :held_seat", [release_seat_action(registration.event_id, registration.seat)]
    return removes, "attribute_not_exists(seat)", []


def update_registration(registration: Registration, changes: dict[str, str | None]) -> Registration:
    """Apply an organiser's edit of seat, award_id and companion_of (None clears) in one
    transaction with the seat locks: the new seat is claimed, the old one released.

    Applies only while the registration is live and its three fields are still as read.
    Raises SeatTaken(held_by=…) or RegistrationChanged(stored)."""
    event_id, rid = registration.event_id, registration.registration_id
    names: dict[str, str] = {"#status": "status"}
    values: dict[str, Any] = {":cancelled": CANCELLED}
    conditions = ["attribute_exists(pk)", "#status <> :cancelled", "attribute_not_exists(erased)"]
    for index, field in enumerate(EDITABLE_FIELDS):
        names[f"#e{index}"] = field
        old = getattr(registration, field)
        if old is None:
            conditions.append(f"attribute_not_exists(#e{index})")
        else:
            values[f":old{index}"] = old
            conditions.append(f"#e{index} = :old{index}")
    sets, removes = [], []
    for index, field in enumerate(EDITABLE_FIELDS):
        if field not in changes:
            continue
        if changes[field] is None:
            removes.append(f"#e{index}")
        else:
            values[f":new{index}"] = changes[field]
            sets.append(f"#e{index} = :new{index}")
    updated = replace(registration, **changes)  # type: ignore[arg-type]
    values[":chg"] = changed_now()  # the seat is in the gate data: its deltas must see the change
    sets.append("changed_ms = :chg")
    names["#prog"] = PROGRAMME_KEY
    if in_programme(updated.role, updated.companion_of):
        values[":prog"] = programme_partition(event_id)
        sets.append("#prog = :prog")
    else:
        removes.append("#prog")
    expression = " ".join(
        part
        for part in ("SET " + ", ".join(sets) if sets else "", "REMOVE " + ", ".join(removes) if removes else "")
        if part
    )
    actions: list[dict[str, Any]] = [
        {
            "Update": {
                "Key": to_dynamo({"pk": event_items.partition(event_id), "sk": f"REG#{rid}"}),
                "UpdateExpression": expression,
                "ConditionExpression": " AND ".join(conditions),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_dynamo(values),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    ]
    claim_index = None
    if "seat" in changes:
        old_seat, new_seat = registration.seat, changes["seat"]
        if new_seat:
            claim_index = len(actions)
            actions.append(claim_seat_action(event_id, new_seat, rid, registration.expires_at))
        if old_seat and (not new_seat or seat_key(old_seat) != seat_key(new_seat)):
            actions.append(release_seat_action(event_id, old_seat))
    try:
        dynamo.transact(actions)
    except TransactionCancelled as cancelled:
        reasons = cancelled.cancellation
        if reasons.failed(0):
            stored = reasons.items[0]
            raise RegistrationChanged(Registration.from_mapping(stored) if stored else None) from cancelled
        taken = seat_taken_by(cancelled, claim_index) if claim_index is not None else None
        if taken is not None:
            raise taken from cancelled
        raise RegistrationChanged(None) from cancelled
    return updated


def _entry(item: dict[str, Any]) -> Registration:
    """A registration from its index entry: the ids come from the keys (not projected, to keep
    entries small), the rest from the eight projected attributes."""
    return Registration.from_mapping(
        {**item, "registration_id": item["sk"].removeprefix("REG#"), "event_id": item["pk"].removeprefix("EVENT#")}
    )


def programme_entries(event_id: str, consumed: list[float] | None = None) -> list[Registration]:
    """The nominees and companions of an event (any status) from the programme index, in
    registration order. `consumed` collects the read capacity of each page when given."""
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "IndexName": PROGRAMME_INDEX,
        "KeyConditionExpression": "#prog = :p",
        "ExpressionAttributeNames": {"#prog": PROGRAMME_KEY},
        "ExpressionAttributeValues": to_dynamo({":p": programme_partition(event_id)}),
    }
    if consumed is not None:
        kwargs["ReturnConsumedCapacity"] = "TOTAL"
    found: list[Registration] = []
    while True:
        response = dynamo.client().query(**kwargs)
        if consumed is not None:
            consumed.append(float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0)))
        found.extend(_entry(from_dynamo(raw)) for raw in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        if not last:
            return found
        kwargs["ExclusiveStartKey"] = last
