"""Guest-list imports, all-or-nothing at any size (SPEC §6; design in services/imports.py).

  record   pk=EVENT#<event_id>  sk=IMPORT#<import_id>   status, seats and per-role counts reserved,
                                                        then the rows' registration ids; while
                                                        pending also gsi1pk=IMPORTS_PENDING (sparse)
Every item an import writes (registration, phone guard, search entries) carries `import_id`, and
every batch transaction checks that the record is still pending, so a rollback (which first
moves the record out of `pending`) can't race a late batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.errors import EventNotFound, ImportAborted, ImportRowTaken, SeatsChanged
from chalicelib.domain.imports import DONE, PENDING, ROLLED_BACK, ROLLING_BACK, ImportRecord
from chalicelib.domain.messages import Message
from chalicelib.domain.registrations import Registration
from chalicelib.storage import dynamo, programme
from chalicelib.storage import events as event_items
from chalicelib.storage import messages as message_items
from chalicelib.storage import registrations as registration_items
from chalicelib.storage.dynamo import TransactionCancelled, from_dynamo, put_new, to_dynamo
from chalicelib.storage.events import CounterChanges
from chalicelib.storage.keys import event_partition

PREFIX = "IMPORT#"
PENDING_INDEX_PARTITION = "IMPORTS_PENDING"
MAX_ACTIONS = 100  # DynamoDB's limit per transaction


def key(event_id: str, import_id: str) -> dict[str, str]:
    return {"pk": event_partition(event_id), "sk": f"{PREFIX}{import_id}"}


def _to_record(item: dict[str, Any]) -> ImportRecord:
    return ImportRecord(
        import_id=item["import_id"],
        event_id=item["event_id"],
        status=item["status"],
        started_at=item["started_at"],
        started_epoch=int(item["started_epoch"]),
        seats=int(item["seats"]),
        count=int(item["count"]),
        role_counts={role: [int(n) for n in pair] for role, pair in (item.get("role_counts") or {}).items()},
        rows=item.get("rows") or [],
        skipped=item.get("skipped") or [],
    )


def _counters(record: ImportRecord, sign: int) -> CounterChanges:
    counters = CounterChanges()
    for role, (registrations, seats) in record.role_counts.items():
        counters.role(role, "confirmed", sign * registrations).role(role, "seats_confirmed", sign * seats)
    return counters


def reserve(record: ImportRecord, capacity: int, expires_at: int) -> None:
    """The record (pending) and every seat of the file in one transaction: only if the event's
    capacity is still `capacity` and the whole file fits. SeatsChanged(stored) / EventNotFound."""
    item = {
        **key(record.event_id, record.import_id),
        "type": "import",
        "import_id": record.import_id,
        "event_id": record.event_id,
        "status": PENDING,
        "started_at": record.started_at,
        "started_epoch": record.started_epoch,
        "seats": record.seats,
        "count": record.count,
        "role_counts": record.role_counts,
        "gsi1pk": PENDING_INDEX_PARTITION,
        "gsi1sk": f"{record.started_epoch:012d}#{record.event_id}#{record.import_id}",
        "expires_at": expires_at,
    }
    values = {":n": record.seats, ":count": record.count, ":cap": capacity, ":max_before": capacity - record.seats}
    event_update = registration_items._event_update(
        record.event_id,
        "SET seats_confirmed = seats_confirmed + :n, confirmed_count = confirmed_count + :count",
        _counters(record, 1),
        values,
        {"#cap": "capacity"},
        "attribute_exists(pk) AND #cap = :cap AND seats_confirmed <= :max_before",
    )
    try:
        dynamo.transact([put_new(item), event_update])
    except TransactionCancelled as cancelled:
        reasons = cancelled.cancellation
        if reasons.failed(1):
            stored = event_items.to_event(reasons.items[1])
            if stored is None:
                raise EventNotFound() from cancelled
            raise SeatsChanged(stored) from cancelled
        raise ImportAborted() from cancelled  # an import id collision: start again


def _tagged(action: dict[str, Any], import_id: str) -> dict[str, Any]:
    action["Put"]["Item"]["import_id"] = {"S": import_id}
    return action


def _actions_of(registration: Registration, name_key: str, message: Message | None = None) -> list[dict[str, Any]]:
    """A row's items, each tagged with the import (a rollback finds and deletes them): the
    registration, its phone guard, search entries, its seat's lock (SPEC §9) and its ticket text
    (SPEC §7, queued like a form registration's)."""
    import_id = registration.import_id
    assert import_id is not None
    actions = [
        dynamo.put_new(registration_items._registration_item(registration)),
        _tagged(registration_items._guard_put(registration), import_id),
        *(_tagged(put, import_id) for put in registration_items._search_puts(registration, name_key)),
    ]
    if registration.seat:
        claim = programme.claim_seat_action(
            registration.event_id, registration.seat, registration.registration_id, registration.expires_at
        )
        actions.append(_tagged(claim, import_id))
    if message is not None:
        actions.append(_tagged(message_items.put_action(message), import_id))
    return actions


def _still_pending(event_id: str, import_id: str) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "Key": to_dynamo(key(event_id, import_id)),
            "ConditionExpression": "#status = :pending",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_dynamo({":pending": PENDING}),
        }
    }


def batches(registrations: list[tuple[Registration, str]]) -> list[list[tuple[Registration, str]]]:
    """Registrations grouped so that each group's items (and the record check) fit one transaction."""
    groups: list[list[tuple[Registration, str]]] = []
    current: list[tuple[Registration, str]] = []
    size = 1
    for registration, name_key in registrations:
        count = 4 + len(registration.search_terms or ())  # + a seat lock and a message, at most
        if current and size + count > MAX_ACTIONS:
            groups.append(current)
            current, size = [], 1
        current.append((registration, name_key))
        size += count
    if current:
        groups.append(current)
    return groups


def write_batch(
    event_id: str,
    import_id: str,
    group: list[tuple[Registration, str]],
    messages: Mapping[str, Message] | None = None,
) -> None:
    """One group of rows in one transaction, while the import is pending. ImportRowTaken names
    the registration whose phone was registered meanwhile; ImportAborted if no longer pending."""
    actions = [_still_pending(event_id, import_id)]
    owners: list[str] = [""]
    for registration, name_key in group:
        mine = _actions_of(registration, name_key, (messages or {}).get(registration.registration_id))
        actions.extend(mine)
        owners.extend([registration.registration_id] * len(mine))
    try:
        dynamo.transact(actions)
    except TransactionCancelled as cancelled:
        reasons = cancelled.cancellation
        if reasons.failed(0):
            raise ImportAborted() from cancelled
        failed = next((i for i in range(1, len(reasons.codes)) if reasons.failed(i)), 0)
        taken_key = actions[failed]["Put"]["Item"]["sk"]["S"] if failed else ""
        if taken_key.startswith("PHONE#"):
            raise ImportRowTaken(owners[failed]) from cancelled
        if taken_key.startswith(programme.SEAT_PREFIX):
            raise ImportRowTaken(owners[failed], field="seat") from cancelled
        raise ImportAborted() from cancelled  # an id collision: roll back and let the caller retry


def complete(record: ImportRecord, rows: list[list[object]], skipped: list[list[object]]) -> None:
    """pending -> done, with the rows' registration ids (no personal data); ImportAborted if it
    was rolled back meanwhile."""
    try:
        dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(key(record.event_id, record.import_id)),
            UpdateExpression="SET #status = :done, #rows = :rows, skipped = :skipped REMOVE gsi1pk, gsi1sk",
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames={"#status": "status", "#rows": "rows"},
            ExpressionAttributeValues=to_dynamo(
                {":done": DONE, ":pending": PENDING, ":rows": rows, ":skipped": skipped}
            ),
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            raise ImportAborted() from error
        raise


def get(event_id: str, import_id: str) -> ImportRecord | None:
    item = dynamo.get(key(event_id, import_id), consistent=True)
    return _to_record(item) if item else None


def begin_rollback(event_id: str, import_id: str) -> ImportRecord | None:
    """pending -> rolling_back (no batch can write after this); the record, or None when it is
    done or already rolled back."""
    try:
        response = dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(key(event_id, import_id)),
            UpdateExpression="SET #status = :rolling",
            ConditionExpression="#status IN (:pending, :rolling)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_dynamo({":pending": PENDING, ":rolling": ROLLING_BACK}),
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return None
        raise
    return _to_record(from_dynamo(response["Attributes"]))


def tagged_keys(event_id: str, import_id: str) -> list[dict[str, Any]]:
    """Keys of every item the import wrote (read through the event's partition)."""
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "KeyConditionExpression": "pk = :pk",
        "FilterExpression": "import_id = :id AND NOT begins_with(sk, :record)",
        "ProjectionExpression": "pk, sk",
        "ExpressionAttributeValues": to_dynamo({":pk": event_partition(event_id), ":id": import_id, ":record": PREFIX}),
        "ConsistentRead": True,
    }
    found: list[dict[str, Any]] = []
    while True:
        response = dynamo.client().query(**kwargs)
        found.extend(response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return found
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def delete_keys(keys: list[dict[str, Any]]) -> None:
    table = dynamo.table()
    for start in range(0, len(keys), 25):
        pending: dict[str, Any] = {table: [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]}
        while pending:
            response = dynamo.client().batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}


def finish_rollback(record: ImportRecord) -> None:
    """rolling_back -> rolled_back and the reserved seats and counts given back, in one transaction."""
    try:
        dynamo.transact(
            [
                {
                    "Update": {
                        "Key": to_dynamo(key(record.event_id, record.import_id)),
                        "UpdateExpression": "SET #status = :done REMOVE gsi1pk, gsi1sk",
                        "ConditionExpression": "#status = :rolling",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": to_dynamo({":done": ROLLED_BACK, ":rolling": ROLLING_BACK}),
                    }
                },
                registration_items._event_update(
                    record.event_id,
                    "SET seats_confirmed = seats_confirmed - :n, confirmed_count = confirmed_count - :count",
                    _counters(record, -1),
                    {":n": record.seats, ":count": record.count},
                ),
            ]
        )
    except TransactionCancelled as cancelled:
        raise ImportAborted() from cancelled  # another recovery finished it first


def unfinished_of_event(event_id: str) -> list[ImportRecord]:
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
        "FilterExpression": "#status IN (:pending, :rolling)",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": to_dynamo(
            {":pk": event_partition(event_id), ":p": PREFIX, ":pending": PENDING, ":rolling": ROLLING_BACK}
        ),
        "ConsistentRead": True,
    }
    found: list[ImportRecord] = []
    while True:
        response = dynamo.client().query(**kwargs)
        found.extend(_to_record(from_dynamo(raw)) for raw in response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return found
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def unfinished_started_before(epoch: int, limit: int = 25) -> list[tuple[str, str]]:
    """(event_id, import_id) of imports anywhere still unfinished that started before `epoch`."""
    response = dynamo.client().query(
        TableName=dynamo.table(),
        IndexName=event_items.EVENTS_INDEX,
        KeyConditionExpression="gsi1pk = :p AND gsi1sk < :before",
        ExpressionAttributeValues=to_dynamo({":p": PENDING_INDEX_PARTITION, ":before": f"{epoch:012d}#"}),
        Limit=limit,
    )
    found = [from_dynamo(raw) for raw in response.get("Items", [])]
    return [(item["event_id"], item["import_id"]) for item in found]


def taken_guards(event_id: str, guards: list[str]) -> set[str]:
    """Which of these phone guards exist (a live registration holds the phone), 100 per read."""
    table, taken = dynamo.table(), set()
    unique = list(dict.fromkeys(guards))
    for start in range(0, len(unique), 100):
        keys = [to_dynamo(registration_items.guard_key(event_id, guard)) for guard in unique[start : start + 100]]
        pending: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "sk"}}
        while pending:
            response = dynamo.client().batch_get_item(RequestItems=pending)
            for raw in response.get("Responses", {}).get(table, []):
                taken.add(raw["sk"]["S"][len("PHONE#") :])
            pending = response.get("UnprocessedKeys") or {}
    return taken
