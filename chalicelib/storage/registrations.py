"""Registration items with their phone guards and waitlist entries, always written in one
transaction with the event's counters, so seats and counts hold under any concurrency."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from chalicelib.domain.errors import (
    EventNotFound,
    PhoneTaken,
    RegistrationChanged,
    SeatsChanged,
    ServiceUnavailable,
    WriteConflict,
)
from chalicelib.domain.events import Event
from chalicelib.domain.registrations import (
    CANCELLED,
    CONFIRMED,
    PERSONAL_FIELDS,
    WAITLISTED,
    Registration,
    WaitlistEntry,
)
from chalicelib.storage import dynamo
from chalicelib.storage import events as event_items
from chalicelib.storage.dynamo import Cancellation, TransactionCancelled, from_dynamo, put_new, to_dynamo

logger = logging.getLogger(__name__)


def key(event_id: str, registration_id: str) -> dict[str, str]:
    return {"pk": event_items.partition(event_id), "sk": f"REG#{registration_id}"}


def guard_key(event_id: str, guard: str) -> dict[str, str]:
    return {"pk": event_items.partition(event_id), "sk": f"PHONE#{guard}"}


def waitlist_key(event_id: str, position: int) -> dict[str, str]:
    return {"pk": event_items.partition(event_id), "sk": f"WAIT#{position:010d}"}


def to_registration(item: dict[str, Any] | None) -> Registration | None:
    return Registration.from_mapping(item) if item else None


def _unexpected(cancellation: Cancellation, what: str) -> ServiceUnavailable:
    logger.error("%s transaction cancelled unexpectedly: %s", what, cancellation.codes)
    return ServiceUnavailable()


def _registration_item(registration: Registration) -> dict[str, Any]:
    fields = asdict(registration)
    if not fields["erased"]:
        del fields["erased"]  # anonymise() conditions on the attribute's absence
    return {**key(registration.event_id, registration.registration_id), "type": "registration", **fields}


def _guard_item(registration: Registration) -> dict[str, Any]:
    assert registration.phone_guard is not None
    return {
        **guard_key(registration.event_id, registration.phone_guard),
        "type": "phone_guard",
        "registration_id": registration.registration_id,
        "expires_at": registration.expires_at,
    }


def insert_confirmed(registration: Registration, capacity: int, require_empty_waitlist: bool) -> None:
    """Registration + phone guard + seat counter in one transaction.

    The counter only moves if the capacity is still the one the caller read and the party
    still fits. Raises PhoneTaken, SeatsChanged(stored event), EventNotFound or WriteConflict.
    """
    seats = registration.party_size
    condition = "attribute_exists(pk) AND #cap = :cap AND seats_confirmed <= :max_before"
    values: dict[str, Any] = {":n": seats, ":one": 1, ":cap": capacity, ":max_before": capacity - seats}
    if require_empty_waitlist:
        condition += " AND waitlisted_count = :zero"
        values[":zero"] = 0
    try:
        dynamo.transact(
            [
                put_new(_registration_item(registration)),
                put_new(_guard_item(registration)),
                {
                    "Update": {
                        "Key": to_dynamo(event_items.key(registration.event_id)),
                        "UpdateExpression": (
                            "SET seats_confirmed = seats_confirmed + :n, confirmed_count = confirmed_count + :one"
                        ),
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": {"#cap": "capacity"},
                        "ExpressionAttributeValues": to_dynamo(values),
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    except TransactionCancelled as cancelled:
        reasons = cancelled.cancellation
        if reasons.failed(1):
            raise PhoneTaken() from cancelled
        if reasons.failed(2):
            stored = event_items.to_event(reasons.items[2])
            if stored is None:
                raise EventNotFound() from cancelled
            raise SeatsChanged(stored) from cancelled
        if reasons.failed(0):  # a registration id collision: try again with a new id
            raise WriteConflict() from cancelled
        raise _unexpected(reasons, "registration") from cancelled


def insert_waitlisted(registration: Registration) -> None:
    """Registration + phone guard + waitlist entry + waiting count in one transaction.
    Raises PhoneTaken, EventNotFound or WriteConflict."""
    event_id = registration.event_id
    assert registration.waitlist_position is not None
    try:
        dynamo.transact(
            [
                put_new(_registration_item(registration)),
                put_new(_guard_item(registration)),
                put_new(
                    {
                        **waitlist_key(event_id, registration.waitlist_position),
                        "type": "waitlist_entry",
                        "registration_id": registration.registration_id,
                        "party_size": registration.party_size,
                        "expires_at": registration.expires_at,
                    }
                ),
                {
                    "Update": {
                        "Key": to_dynamo(event_items.key(event_id)),
                        "UpdateExpression": "SET waitlisted_count = waitlisted_count + :one",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": to_dynamo({":one": 1}),
                    }
                },
            ]
        )
    except TransactionCancelled as cancelled:
        reasons = cancelled.cancellation
        if reasons.failed(1):
            raise PhoneTaken() from cancelled
        if reasons.failed(3):
            raise EventNotFound() from cancelled
        if reasons.failed(0) or reasons.failed(2):
            raise WriteConflict() from cancelled
        raise _unexpected(reasons, "waitlist") from cancelled


def get(event_id: str, registration_id: str, consistent: bool = False) -> Registration | None:
    return to_registration(dynamo.get(key(event_id, registration_id), consistent))


def get_with_event(event_id: str, registration_id: str) -> tuple[Registration | None, Event | None]:
    """Both items in one round trip (BatchGetItem, strongly consistent)."""
    table = dynamo.table()
    keys = [to_dynamo(key(event_id, registration_id)), to_dynamo(event_items.key(event_id))]
    response = dynamo.client().batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
    found = [from_dynamo(raw) for raw in response.get("Responses", {}).get(table, [])]
    pending = response.get("UnprocessedKeys") or {}
    if pending:
        found.extend(
            from_dynamo(raw)
            for raw in dynamo.client().batch_get_item(RequestItems=pending).get("Responses", {}).get(table, [])
        )
    registration = next((item for item in found if item["sk"].startswith("REG#")), None)
    event = next((item for item in found if item["sk"] == event_items.EVENT_SK), None)
    return to_registration(registration), event_items.to_event(event)


def waitlist_entries(event_id: str, limit: int = 100) -> list[WaitlistEntry]:
    """The first waiting parties in waitlist order (strongly consistent)."""
    response = dynamo.client().query(
        TableName=dynamo.table(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :wait)",
        ExpressionAttributeValues=to_dynamo({":pk": event_items.partition(event_id), ":wait": "WAIT#"}),
        ConsistentRead=True,
        Limit=limit,
    )
    entries = []
    for raw in response.get("Items", []):
        item = from_dynamo(raw)
        entries.append(WaitlistEntry(int(item["sk"][len("WAIT#") :]), item["registration_id"], int(item["party_size"])))
    return entries


def promote(event_id: str, entry: WaitlistEntry, capacity: int, promoted_at: str) -> None:
    """Waitlisted → confirmed, atomically with the counters; WriteConflict when anything moved meanwhile."""
    seats = entry.party_size
    try:
        dynamo.transact(
            [
                {
                    "Update": {
                        "Key": to_dynamo(key(event_id, entry.registration_id)),
                        "UpdateExpression": "SET #status = :confirmed, promoted_at = :at REMOVE waitlist_position",
                        "ConditionExpression": "#status = :waitlisted",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": to_dynamo(
                            {":confirmed": CONFIRMED, ":waitlisted": WAITLISTED, ":at": promoted_at}
                        ),
                    }
                },
                {
                    "Delete": {
                        "Key": to_dynamo(waitlist_key(event_id, entry.position)),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "Key": to_dynamo(event_items.key(event_id)),
                        "UpdateExpression": (
                            "SET seats_confirmed = seats_confirmed + :n,"
                            " confirmed_count = confirmed_count + :one,"
                            " waitlisted_count = waitlisted_count - :one"
                        ),
                        "ConditionExpression": "#cap = :cap AND seats_confirmed <= :max_before",
                        "ExpressionAttributeNames": {"#cap": "capacity"},
                        "ExpressionAttributeValues": to_dynamo(
                            {":n": seats, ":one": 1, ":cap": capacity, ":max_before": capacity - seats}
                        ),
                    }
                },
            ]
        )
    except TransactionCancelled as cancelled:
        raise WriteConflict() from cancelled  # another pass, a cancellation or an edit came first


def _erasure(names: dict[str, str], values: dict[str, Any]) -> tuple[str, str]:
    """SET and REMOVE clauses that turn a registration into an anonymous record."""
    values[":true"] = True
    removes = []
    for index, field in enumerate(PERSONAL_FIELDS):
        names[f"#p{index}"] = field  # `name` and `items` are DynamoDB reserved words
        removes.append(f"#p{index}")
    return "erased = :true, erased_at = :at", ", ".join(removes)


def _changed(cancelled: TransactionCancelled, what: str) -> Exception:
    reasons = cancelled.cancellation
    if reasons.failed(0):
        return RegistrationChanged(to_registration(reasons.items[0]))
    return _unexpected(reasons, what)


def cancel(registration: Registration, cancelled_at: str, erase: bool = False) -> None:
    """Cancel a confirmed or waitlisted registration, free its seats or its waitlist place,
    and release the phone for a new registration; with `erase`, also drop the personal data.
    RegistrationChanged(stored) if its status changed or it was checked in meanwhile."""
    event_id, status = registration.event_id, registration.status
    names = {"#status": "status"}
    values: dict[str, Any] = {":cancelled": CANCELLED, ":previous": status, ":at": cancelled_at}
    sets, removes = "#status = :cancelled, cancelled_at = :at", "waitlist_position"
    if erase:
        erased_sets, erased_removes = _erasure(names, values)
        sets, removes = f"{sets}, {erased_sets}", f"{removes}, {erased_removes}"
    actions: list[dict[str, Any]] = [
        {
            "Update": {
                "Key": to_dynamo(key(event_id, registration.registration_id)),
                "UpdateExpression": f"SET {sets} REMOVE {removes}",
                "ConditionExpression": "#status = :previous AND attribute_not_exists(checked_in_at)",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_dynamo(values),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    ]
    if registration.phone_guard:
        actions.append({"Delete": {"Key": to_dynamo(guard_key(event_id, registration.phone_guard))}})
    if status == CONFIRMED:
        counters = (
            "SET seats_confirmed = seats_confirmed - :n, confirmed_count = confirmed_count - :one,"
            " cancelled_count = cancelled_count + :one"
        )
        counter_values: dict[str, Any] = {":n": registration.party_size, ":one": 1}
    else:
        counters = "SET waitlisted_count = waitlisted_count - :one, cancelled_count = cancelled_count + :one"
        counter_values = {":one": 1}
        assert registration.waitlist_position is not None
        actions.append({"Delete": {"Key": to_dynamo(waitlist_key(event_id, registration.waitlist_position))}})
    actions.append(
        {
            "Update": {
                "Key": to_dynamo(event_items.key(event_id)),
                "UpdateExpression": counters,
                "ExpressionAttributeValues": to_dynamo(counter_values),
            }
        }
    )
    try:
        dynamo.transact(actions)
    except TransactionCancelled as cancelled:
        raise _changed(cancelled, "cancellation") from cancelled


def anonymise(registration: Registration, erased_at: str) -> None:
    """Erase the personal data of a registration whose seat stays as it is (cancelled, or
    already used at the gate). RegistrationChanged(stored) if it changed meanwhile."""
    event_id = registration.event_id
    names = {"#status": "status"}
    values: dict[str, Any] = {":previous": registration.status, ":at": erased_at}
    sets, removes = _erasure(names, values)
    actions: list[dict[str, Any]] = [
        {
            "Update": {
                "Key": to_dynamo(key(event_id, registration.registration_id)),
                "UpdateExpression": f"SET {sets} REMOVE {removes}",
                "ConditionExpression": "#status = :previous AND attribute_not_exists(erased)",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_dynamo(values),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
    ]
    if registration.phone_guard and registration.status != CANCELLED:
        actions.append({"Delete": {"Key": to_dynamo(guard_key(event_id, registration.phone_guard))}})
    try:
        dynamo.transact(actions)
    except TransactionCancelled as cancelled:
        raise _changed(cancelled, "erasure") from cancelled


def check_in(event_id: str, registration_id: str, checked_in_at: str, gate: str | None, nonce: str | None) -> None:
    """Mark a confirmed ticket as used and count it, atomically.

    On failure, RegistrationChanged carries the registration as it was (None if there is
    none), which tells already-checked-in, cancelled, waitlisted or unknown apart without
    another read.
    """
    values: dict[str, Any] = {":at": checked_in_at, ":confirmed": CONFIRMED}
    sets = ["checked_in_at = :at"]
    for name, value in (("gate", gate), ("checkin_nonce", nonce)):
        if value:
            values[f":{name}"] = value
            sets.append(f"{name} = :{name}")
    try:
        dynamo.transact(
            [
                {
                    "Update": {
                        "Key": to_dynamo(key(event_id, registration_id)),
                        "UpdateExpression": "SET " + ", ".join(sets),
                        "ConditionExpression": (
                            "attribute_exists(pk) AND attribute_not_exists(checked_in_at) AND #status = :confirmed"
                        ),
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": to_dynamo(values),
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {
                    "Update": {
                        "Key": to_dynamo(event_items.key(event_id)),
                        "UpdateExpression": "ADD checked_in_count :one",
                        "ExpressionAttributeValues": to_dynamo({":one": 1}),
                    }
                },
            ]
        )
    except TransactionCancelled as cancelled:
        raise _changed(cancelled, "check-in") from cancelled


def _query(event_id: str, status: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {":pk": event_items.partition(event_id), ":reg": "REG#"}
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :reg)",
    }
    if status:
        kwargs["FilterExpression"] = "#status = :status"
        kwargs["ExpressionAttributeNames"] = {"#status": "status"}
        values[":status"] = status
    kwargs["ExpressionAttributeValues"] = to_dynamo(values)
    return kwargs


def page(
    event_id: str, status: str | None, limit: int, start_key: dict[str, str] | None
) -> tuple[list[Registration], dict[str, str] | None]:
    """Up to `limit` registrations in registration order, optionally of one status."""
    kwargs = _query(event_id, status)
    items: list[Registration] = []
    if start_key:
        kwargs["ExclusiveStartKey"] = to_dynamo(start_key)
    while True:  # a status filter can leave a page short; read on until it is full
        kwargs["Limit"] = limit - len(items)
        response = dynamo.client().query(**kwargs)
        items.extend(Registration.from_mapping(from_dynamo(raw)) for raw in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        if last is None or len(items) >= limit:
            return items, (from_dynamo(last) if last else None)
        kwargs["ExclusiveStartKey"] = last


def all_of_event(event_id: str) -> Iterator[Registration]:
    """Every registration of an event, page by page, in registration order.

    Only one page is alive at a time: each is dropped before the next is fetched, which
    keeps an export's memory at one page whatever the event's size."""
    kwargs = _query(event_id, None)
    while True:
        response = dynamo.client().query(**kwargs)
        last, raw_items = response.get("LastEvaluatedKey"), response.get("Items", [])
        del response
        for raw in raw_items:
            yield Registration.from_mapping(from_dynamo(raw))
        del raw_items
        if last is None:
            return
        kwargs["ExclusiveStartKey"] = last
