"""Registration items with their phone guards, waitlist entries and search index entries,
always written in one transaction with the event's counters, so seats and counts hold under
any concurrency."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

from chalicelib.domain.errors import (
    EventNotFound,
    InviteCodeUnusable,
    PhoneTaken,
    RegistrationChanged,
    SeatsChanged,
    ServiceUnavailable,
    WriteConflict,
)
from chalicelib.domain.events import Event
from chalicelib.domain.ids import REGISTRATION_ID
from chalicelib.domain.invites import InviteCode
from chalicelib.domain.messages import Message
from chalicelib.domain.registrations import (
    CANCELLED,
    CONFIRMED,
    FORM,
    PERSONAL_FIELDS,
    WAITLISTED,
    Registration,
    WaitlistEntry,
)
from chalicelib.storage import dynamo, invite_codes, programme
from chalicelib.storage import events as event_items
from chalicelib.storage import idempotency as idempotency_records
from chalicelib.storage import messages as message_items
from chalicelib.storage.dynamo import Cancellation, TransactionCancelled, from_dynamo, put_new, to_dynamo
from chalicelib.storage.events import CounterChanges
from chalicelib.storage.keys import (
    EVENT_SK,
    changed_now,
)

logger = logging.getLogger(__name__)

# Search index entries: pk=EVENT#<id>, sk=FIND#<term>#<registration id>, one per term of
# domain.search (each distinct character of the name, and a keyed hash of the phone's last
# four digits). They carry the name's search key (to filter on) and the role; erasure deletes them.
SEARCH_PREFIX = "FIND#"


def key(event_id: str, registration_id: str) -> dict[str, str]:
    return {"pk": event_items.partition(event_id), "sk": f"REG#{registration_id}"}


def guard_key(event_id: str, guard: str) -> dict[str, str]:
    return {"pk": event_items.partition(event_id), "sk": f"PHONE#{guard}"}


def waitlist_key(event_id: str, position: int) -> dict[str, str]:
    return {"pk": event_items.partition(event_id), "sk": f"WAIT#{position:010d}"}


def search_key(event_id: str, term: str, registration_id: str) -> dict[str, str]:
    return {"pk": event_items.partition(event_id), "sk": f"{SEARCH_PREFIX}{term}#{registration_id}"}


def to_registration(item: dict[str, Any] | None) -> Registration | None:
    return Registration.from_mapping(item) if item else None


def _unexpected(cancellation: Cancellation, what: str) -> ServiceUnavailable:
    logger.error("%s transaction cancelled unexpectedly: %s", what, cancellation.codes)
    return ServiceUnavailable()


def _registration_item(registration: Registration) -> dict[str, Any]:
    fields = asdict(registration)
    if not fields["erased"]:
        del fields["erased"]  # anonymise() conditions on the attribute's absence
    item = {
        **key(registration.event_id, registration.registration_id),
        "type": "registration",
        **fields,
        "changed_ms": changed_now(),
    }
    return {**item, **programme.programme_attributes(registration)}  # nominees, companions: the programme index


def _guard_item(registration: Registration) -> dict[str, Any]:
    assert registration.phone_guard is not None
    return {
        **guard_key(registration.event_id, registration.phone_guard),
        "type": "phone_guard",
        "registration_id": registration.registration_id,
        "expires_at": registration.expires_at,
    }


def _guard_put(registration: Registration) -> dict[str, Any]:
    """The phone guard's Put; when the phone is taken, the stored guard names its registration."""
    action = put_new(_guard_item(registration))
    action["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return action


def _search_puts(registration: Registration, name_key: str) -> list[dict[str, Any]]:
    return [
        put_new(
            {
                **search_key(registration.event_id, term, registration.registration_id),
                "type": "search",
                "registration_id": registration.registration_id,
                "role": registration.role,
                "name_key": name_key if term.startswith("C#") else None,
                "expires_at": registration.expires_at,
            }
        )
        for term in registration.search_terms or ()
    ]


def _copies_deletes(registration: Registration) -> list[dict[str, Any]]:
    """Deletes of what else holds the person's data: search entries, the idempotency record."""
    deletes = [
        {"Delete": {"Key": to_dynamo(search_key(registration.event_id, term, registration.registration_id))}}
        for term in registration.search_terms or ()
    ]
    if registration.idempotency_record:
        deletes.append({"Delete": {"Key": to_dynamo(idempotency_records.key_of(registration.idempotency_record))}})
    return deletes


def _event_update(
    event_id: str,
    sets: str,
    counters: CounterChanges,
    values: dict[str, Any],
    names: dict[str, str] | None = None,
    condition: str | None = None,
) -> dict[str, Any]:
    """The event action of a transaction: its SET clause plus the counter additions."""
    names = dict(names or {})
    values = dict(values)
    expression = " ".join(part for part in (sets, counters.expression(names, values)) if part)
    update: dict[str, Any] = {"Key": to_dynamo(event_items.key(event_id)), "UpdateExpression": expression}
    if names:
        update["ExpressionAttributeNames"] = names
    if values:
        update["ExpressionAttributeValues"] = to_dynamo(values)
    if condition:
        update["ConditionExpression"] = condition
        update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return {"Update": update}


PUBLIC_SEATS = "public_seats_confirmed"  # seats held by form registrations (SPEC §6)


def _public_share(condition: str, values: dict[str, Any], capacity: int, reserved_seats: int, seats: int) -> str:
    """The condition that a public party of `seats` still fits capacity − reserved_seats, with the
    reserved seats as the caller read them (an edit in between cancels the write)."""
    values[":pub_max"] = capacity - reserved_seats - seats
    values[":reserved"] = reserved_seats
    condition += f" AND (attribute_not_exists({PUBLIC_SEATS}) OR {PUBLIC_SEATS} <= :pub_max)"
    if reserved_seats == 0:
        return condition + " AND (attribute_not_exists(reserved_seats) OR reserved_seats = :reserved)"
    return condition + " AND reserved_seats = :reserved"


def _invite_uses(invite: InviteCode | None) -> list[dict[str, Any]]:
    return [invite_codes.use_action(invite.event_id, invite.code_id, invite.role)] if invite else []


def _raise_if_invite_failed(reasons: Cancellation, invite: InviteCode | None) -> None:
    if invite is not None and reasons.failed(len(reasons.codes) - 1):
        raise InviteCodeUnusable()


def insert_confirmed(
    registration: Registration,
    capacity: int,
    require_empty_waitlist: bool,
    name_key: str = "",
    extra_actions: Sequence[dict[str, Any]] = (),
    reserved_seats: int | None = None,
    invite: InviteCode | None = None,
    messages: Sequence[Message] = (),
) -> None:
    """Registration + phone guard + search entries + seat counter in one transaction.

    The counter only moves if the capacity is still the one the caller read and the party
    still fits. Raises PhoneTaken, SeatsChanged(stored event), EventNotFound or WriteConflict.
    `reserved_seats` (a public registration): it must also fit the public share of the seats.
    `invite` (the last action): counts one use of the invite code; InviteCodeUnusable if it can't.
    """
    seats = registration.party_size
    condition = "attribute_exists(pk) AND #cap = :cap AND seats_confirmed <= :max_before"
    values: dict[str, Any] = {":n": seats, ":one": 1, ":cap": capacity, ":max_before": capacity - seats}
    if require_empty_waitlist:
        condition += " AND waitlisted_count = :zero"
        values[":zero"] = 0
    counters = (
        CounterChanges().role(registration.role, "confirmed", 1).role(registration.role, "seats_confirmed", seats)
    ).answers(registration.answers)
    if reserved_seats is not None:
        condition = _public_share(condition, values, capacity, reserved_seats, seats)
        counters.add(PUBLIC_SEATS, seats)
    try:
        dynamo.transact(
            [
                put_new(_registration_item(registration)),
                _guard_put(registration),
                _event_update(
                    registration.event_id,
                    "SET seats_confirmed = seats_confirmed + :n, confirmed_count = confirmed_count + :one",
                    counters,
                    values,
                    {"#cap": "capacity"},
                    condition,
                ),
                *_search_puts(registration, name_key),
                *extra_actions,  # e.g. the records of its collector items (storage/items.py)
                *(message_items.put_action(message) for message in messages),
                *_invite_uses(invite),
            ]
        )
    except TransactionCancelled as cancelled:
        reasons = cancelled.cancellation
        if reasons.failed(1):
            raise PhoneTaken((reasons.items[1] or {}).get("registration_id")) from cancelled
        _raise_if_invite_failed(reasons, invite)
        if reasons.failed(2):
            stored = event_items.to_event(reasons.items[2])
            if stored is None:
                raise EventNotFound() from cancelled
            raise SeatsChanged(stored) from cancelled
        if reasons.failed(0) or any(reasons.failed(i) for i in range(3, len(reasons.codes))):
            raise WriteConflict() from cancelled  # a registration id collision: try again with a new id
        raise _unexpected(reasons, "registration") from cancelled


def insert_waitlisted(
    registration: Registration,
    name_key: str = "",
    extra_actions: Sequence[dict[str, Any]] = (),
    messages: Sequence[Message] = (),
    invite: InviteCode | None = None,
) -> None:
    """Registration + phone guard + waitlist entry + search entries + waiting count in one
    transaction. Raises PhoneTaken, EventNotFound or WriteConflict."""
    event_id = registration.event_id
    assert registration.waitlist_position is not None
    try:
        dynamo.transact(
            [
                put_new(_registration_item(registration)),
                _guard_put(registration),
                put_new(
                    {
                        **waitlist_key(event_id, registration.waitlist_position),
                        "type": "waitlist_entry",
                        "registration_id": registration.registration_id,
                        "party_size": registration.party_size,
                        "role": registration.role,
                        "source": registration.source,
                        "expires_at": registration.expires_at,
                    }
                ),
                _event_update(
                    event_id,
                    "SET waitlisted_count = waitlisted_count + :one",
                    CounterChanges().role(registration.role, "waitlisted", 1).answers(registration.answers),
                    {":one": 1},
                    condition="attribute_exists(pk)",
                ),
                *_search_puts(registration, name_key),
                *extra_actions,
                *(message_items.put_action(message) for message in messages),
                *_invite_uses(invite),
            ]
        )
    except TransactionCancelled as cancelled:
        reasons = cancelled.cancellation
        if reasons.failed(1):
            raise PhoneTaken((reasons.items[1] or {}).get("registration_id")) from cancelled
        _raise_if_invite_failed(reasons, invite)
        if reasons.failed(3):
            raise EventNotFound() from cancelled
        if reasons.failed(0) or reasons.failed(2) or any(reasons.failed(i) for i in range(4, len(reasons.codes))):
            raise WriteConflict() from cancelled
        raise _unexpected(reasons, "waitlist") from cancelled


def get(event_id: str, registration_id: str, consistent: bool = False) -> Registration | None:
    return to_registration(dynamo.get(key(event_id, registration_id), consistent))


def find(event_id: str, registration_id: str) -> Registration | None:
    """The registration an id from a URL or a body names (a consistent read), or None: also for a
    malformed id, which no stored key can have (so it costs no read)."""
    if not REGISTRATION_ID.fullmatch(registration_id):
        return None
    return get(event_id, registration_id, consistent=True)


def get_many(event_id: str, registration_ids: list[str]) -> list[Registration]:
    """The registrations with these ids (at most 100), in the order given; missing ones left out."""
    if not registration_ids:
        return []
    table = dynamo.table()
    pending: dict[str, Any] = {
        table: {"Keys": [to_dynamo(key(event_id, rid)) for rid in dict.fromkeys(registration_ids)]}
    }
    found: dict[str, Registration] = {}
    while pending:
        response = dynamo.client().batch_get_item(RequestItems=pending)
        for raw in response.get("Responses", {}).get(table, []):
            registration = Registration.from_mapping(from_dynamo(raw))
            found[registration.registration_id] = registration
        pending = response.get("UnprocessedKeys") or {}
    return [found[rid] for rid in registration_ids if rid in found]


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
    event = next((item for item in found if item["sk"] == EVENT_SK), None)
    return to_registration(registration), event_items.to_event(event)


def waitlist_entries(event_id: str, after: int | None = None, limit: int = 100) -> list[WaitlistEntry]:
    """Waiting parties in waitlist order (strongly consistent), one page, after a position."""
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :wait)",
        "ExpressionAttributeValues": to_dynamo({":pk": event_items.partition(event_id), ":wait": "WAIT#"}),
        "ConsistentRead": True,
        "Limit": limit,
    }
    if after is not None:
        kwargs["ExclusiveStartKey"] = to_dynamo(waitlist_key(event_id, after))
    response = dynamo.client().query(**kwargs)
    entries = []
    for raw in response.get("Items", []):
        item = from_dynamo(raw)
        entries.append(
            WaitlistEntry(
                int(item["sk"][len("WAIT#") :]),
                item["registration_id"],
                int(item["party_size"]),
                item.get("role"),
                item.get("source", FORM) == FORM,
            )
        )
    return entries


def promote(
    event_id: str,
    entry: WaitlistEntry,
    capacity: int,
    promoted_at: str,
    reserved_seats: int | None = None,
    messages: Sequence[Message] = (),
) -> None:
    """Waitlisted → confirmed, atomically with the counters (and the message telling the person);
    WriteConflict when anything moved meanwhile. A public entry (with the event's `reserved_seats`)
    must also fit the public share of the seats."""
    seats = entry.party_size
    counters = (
        CounterChanges()
        .role(entry.role, "waitlisted", -1)
        .role(entry.role, "confirmed", 1)
        .role(entry.role, "seats_confirmed", seats)
    )
    values: dict[str, Any] = {":n": seats, ":one": 1, ":cap": capacity, ":max_before": capacity - seats}
    condition = "#cap = :cap AND seats_confirmed <= :max_before"
    if entry.public and reserved_seats is not None:
        condition = _public_share(condition, values, capacity, reserved_seats, seats)
    if entry.public:
        counters.add(PUBLIC_SEATS, seats)
    try:
        dynamo.transact(
            [
                {
                    "Update": {
                        "Key": to_dynamo(key(event_id, entry.registration_id)),
                        "UpdateExpression": (
                            "SET #status = :confirmed, promoted_at = :at, changed_ms = :chg REMOVE waitlist_position"
                        ),
                        "ConditionExpression": "#status = :waitlisted",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": to_dynamo(
                            {
                                ":confirmed": CONFIRMED,
                                ":waitlisted": WAITLISTED,
                                ":at": promoted_at,
                                ":chg": changed_now(),
                            }
                        ),
                    }
                },
                {
                    "Delete": {
                        "Key": to_dynamo(waitlist_key(event_id, entry.position)),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                _event_update(
                    event_id,
                    "SET seats_confirmed = seats_confirmed + :n, confirmed_count = confirmed_count + :one,"
                    " waitlisted_count = waitlisted_count - :one",
                    counters,
                    values,
                    {"#cap": "capacity"},
                    condition,
                ),
                *(message_items.put_action(message) for message in messages),
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


def _registration_update(
    registration: Registration, sets: str, removes: str, condition: str, names: dict[str, str], values: dict[str, Any]
) -> dict[str, Any]:
    """Action 0 of a cancellation or erasure: applies only while the status is still `:previous`
    and `condition` holds; on failure its ALL_OLD item tells the caller what changed."""
    return {
        "Update": {
            "Key": to_dynamo(key(registration.event_id, registration.registration_id)),
            "UpdateExpression": f"SET {sets}, changed_ms = :chg REMOVE {removes}",
            "ConditionExpression": f"#status = :previous AND {condition}",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_dynamo({**values, ":chg": changed_now()}),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _changed(cancelled: TransactionCancelled, what: str) -> Exception:
    reasons = cancelled.cancellation
    if reasons.failed(0):
        return RegistrationChanged(to_registration(reasons.items[0]))
    return _unexpected(reasons, what)


def cancel(registration: Registration, cancelled_at: str, erase: bool = False) -> None:
    """Cancel a confirmed or waitlisted registration, free its seats or its waitlist place,
    and release the phone for a new registration; with `erase`, also drop the personal data
    and its search entries. RegistrationChanged(stored) if its status changed or it was
    checked in meanwhile."""
    event_id, status, role = registration.event_id, registration.status, registration.role
    names = {"#status": "status"}
    values: dict[str, Any] = {":cancelled": CANCELLED, ":previous": status, ":at": cancelled_at}
    sets, removes = "#status = :cancelled, cancelled_at = :at", "waitlist_position"
    if erase:
        erased_sets, erased_removes = _erasure(names, values)
        sets, removes = f"{sets}, {erased_sets}", f"{removes}, {erased_removes}"
    seat_removes, seat_condition, seat_actions = programme.leaving(registration, values, erase)
    removes = f"{removes}, {seat_removes}"
    condition = f"attribute_not_exists(checked_in_at) AND {seat_condition}"
    actions = [_registration_update(registration, sets, removes, condition, names, values), *seat_actions]
    if registration.phone_guard:
        actions.append({"Delete": {"Key": to_dynamo(guard_key(event_id, registration.phone_guard))}})
    counters = CounterChanges()
    if status == CONFIRMED:
        sets = (
            "SET seats_confirmed = seats_confirmed - :n, confirmed_count = confirmed_count - :one,"
            " cancelled_count = cancelled_count + :one"
        )
        counter_values: dict[str, Any] = {":n": registration.party_size, ":one": 1}
        counters.role(role, "confirmed", -1).role(role, "seats_confirmed", -registration.party_size)
        if registration.source == FORM:
            counters.add(PUBLIC_SEATS, -registration.party_size)
    else:
        sets = "SET waitlisted_count = waitlisted_count - :one, cancelled_count = cancelled_count + :one"
        counter_values = {":one": 1}
        counters.role(role, "waitlisted", -1)
        assert registration.waitlist_position is not None
        actions.append({"Delete": {"Key": to_dynamo(waitlist_key(event_id, registration.waitlist_position))}})
    if erase:
        counters.answers(registration.answers, -1)
    actions.append(_event_update(event_id, sets, counters, counter_values))
    if erase:
        actions.extend(_copies_deletes(registration))
    try:
        dynamo.transact(actions)
    except TransactionCancelled as cancelled:
        raise _changed(cancelled, "cancellation") from cancelled


def anonymise(registration: Registration, erased_at: str) -> None:
    """Erase the personal data (and search entries) of a registration whose seat stays as it is
    (cancelled, or already used at the gate). RegistrationChanged(stored) if it changed meanwhile."""
    event_id = registration.event_id
    names = {"#status": "status"}
    values: dict[str, Any] = {":previous": registration.status, ":at": erased_at}
    sets, removes = _erasure(names, values)
    seat_removes, seat_condition, seat_actions = programme.leaving(registration, values, erase=True)
    condition = f"attribute_not_exists(erased) AND {seat_condition}"
    actions = [
        _registration_update(registration, sets, f"{removes}, {seat_removes}", condition, names, values),
        *seat_actions,
    ]
    if registration.phone_guard and registration.status != CANCELLED:
        actions.append({"Delete": {"Key": to_dynamo(guard_key(event_id, registration.phone_guard))}})
    if registration.answers:  # its answers are gone: they no longer hold their questions in use
        actions.append(_event_update(event_id, "", CounterChanges().answers(registration.answers, -1), {}))
    actions.extend(_copies_deletes(registration))
    try:
        dynamo.transact(actions)
    except TransactionCancelled as cancelled:
        raise _changed(cancelled, "erasure") from cancelled


def _query(event_id: str, status: str | None, role: str | None) -> dict[str, Any]:
    return dynamo.prefix_query(event_items.partition(event_id), "REG#", equal={"status": status, "role": role})


def _filled_pages(
    kwargs: dict[str, Any], limit: int, start_key: dict[str, str] | None
) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """Up to `limit` items of a filtered query, reading on while filters leave a page short."""
    items: list[dict[str, Any]] = []
    if start_key:
        kwargs["ExclusiveStartKey"] = to_dynamo(start_key)
    while True:
        kwargs["Limit"] = limit - len(items)
        response = dynamo.client().query(**kwargs)
        items.extend(from_dynamo(raw) for raw in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        if last is None or len(items) >= limit:
            return items, (from_dynamo(last) if last else None)
        kwargs["ExclusiveStartKey"] = last


def page(
    event_id: str, status: str | None, limit: int, start_key: dict[str, str] | None, role: str | None = None
) -> tuple[list[Registration], dict[str, str] | None]:
    """Up to `limit` registrations in registration order, optionally of one status and role."""
    items, last = _filled_pages(_query(event_id, status, role), limit, start_key)
    return [Registration.from_mapping(item) for item in items], last


def search(
    event_id: str, term: str, name_key: str | None, role: str | None, limit: int, start_key: dict[str, str] | None
) -> tuple[list[str], dict[str, str] | None]:
    """Registration ids under one search term (in registration order), those whose name
    contains `name_key` when given, of one role when given. Reads that term's entries only."""
    kwargs = dynamo.prefix_query(
        event_items.partition(event_id),
        f"{SEARCH_PREFIX}{term}#",
        equal={"role": role},
        contains={"name_key": name_key},
        projection="registration_id, sk, pk",
    )
    items, last = _filled_pages(kwargs, limit, start_key)
    return [item["registration_id"] for item in items], last


def all_of_event(event_id: str) -> Iterator[Registration]:
    """Every registration of an event, page by page, in registration order.

    Only one page is alive at a time: each is dropped before the next is fetched, which
    keeps an export's memory at one page whatever the event's size."""
    kwargs = _query(event_id, None, None)
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
