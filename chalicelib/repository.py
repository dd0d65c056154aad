"""DynamoDB access for baoming's single table. All reads and writes go through here.

Keys (single-table design):
  event           pk=EVENT#<event_id>  sk=EVENT            gsi1pk=EVENTS  gsi1sk=<created_at>#<event_id>
  registration    pk=EVENT#<event_id>  sk=REG#<registration_id>   (ids sort by registration time)
  phone guard     pk=EVENT#<event_id>  sk=PHONE#<HMAC(event, phone)>   one per live registration
  waitlist entry  pk=EVENT#<event_id>  sk=WAIT#<position, 10 digits>   in waitlist order
  idempotency     pk=IDEM#<sha256(scope, key)>  sk=IDEM   expires by TTL after 24 h
  staff token     pk=STAFF#<sha256(token)>  sk=STAFF    only the hash is stored
"""
from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, Iterable, Mapping

from botocore.exceptions import ClientError
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib import aws
from chalicelib.config import settings

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

EVENT_SK = "EVENT"
EVENTS_INDEX = "gsi1"
EVENTS_PARTITION = "EVENTS"

# Counters live on the event item and change only inside conditional writes.
EVENT_COUNTERS = ("seats_confirmed", "confirmed_count", "waitlisted_count",
                  "cancelled_count", "checked_in_count", "waitlist_seq")


class ConditionFailed(Exception):
    """A conditional write did not apply; `item` is the stored item when DynamoDB returned it."""

    def __init__(self, item: dict[str, Any] | None = None):
        super().__init__("condition failed")
        self.item = item


def event_key(event_id: str) -> dict[str, str]:
    return {"pk": f"EVENT#{event_id}", "sk": EVENT_SK}


def to_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items() if v is not None}


def from_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    return value


def _keys_only(item: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {name: item[name] for name in names if name in item}


def _table() -> str:
    return settings().table_name


def _ddb() -> Any:
    return aws.client("dynamodb")


def _is_condition_failure(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _failed_item(error: ClientError) -> dict[str, Any] | None:
    raw = error.response.get("Item")
    return from_dynamo(raw) if raw else None


# --- events -----------------------------------------------------------------------------

def put_new_event(event: Mapping[str, Any]) -> None:
    """Store a new event; ConditionFailed when its id is taken."""
    item = {
        **event_key(event["event_id"]),
        "type": "event",
        "gsi1pk": EVENTS_PARTITION,
        "gsi1sk": f"{event['created_at']}#{event['event_id']}",
        **{counter: 0 for counter in EVENT_COUNTERS},
        **event,
    }
    try:
        _ddb().put_item(
            TableName=_table(),
            Item=to_dynamo(item),
            ConditionExpression="attribute_not_exists(pk)",
        )
    except ClientError as error:
        if _is_condition_failure(error):
            raise ConditionFailed() from error
        raise


def get_event(event_id: str, consistent: bool = False) -> dict[str, Any] | None:
    response = _ddb().get_item(
        TableName=_table(), Key=to_dynamo(event_key(event_id)), ConsistentRead=consistent
    )
    raw = response.get("Item")
    return from_dynamo(raw) if raw else None


def list_events(limit: int, start_key: dict[str, str] | None) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """Newest events first, one page; the second value is where the next page starts."""
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": EVENTS_INDEX,
        "KeyConditionExpression": "gsi1pk = :p",
        "ExpressionAttributeValues": {":p": {"S": EVENTS_PARTITION}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if start_key:
        kwargs["ExclusiveStartKey"] = to_dynamo(start_key)
    response = _ddb().query(**kwargs)
    items = [from_dynamo(raw) for raw in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    return items, (from_dynamo(last) if last else None)


def update_event_fields(event_id: str, changes: Mapping[str, Any], expected_version: int) -> dict[str, Any]:
    """Apply an organiser's edit if nobody edited in between and capacity still covers
    the confirmed seats. Returns the stored event; ConditionFailed with the current item otherwise."""
    names = {"#version": "version"}
    values: dict[str, Any] = {":expected": expected_version, ":one": 1}
    sets, removes = ["#version = #version + :one"], []
    for index, (field, value) in enumerate(changes.items()):
        names[f"#f{index}"] = field
        if value is None:
            removes.append(f"#f{index}")
        else:
            values[f":v{index}"] = value
            sets.append(f"#f{index} = :v{index}")
    condition = "attribute_exists(pk) AND #version = :expected"
    if changes.get("capacity") is not None:
        # `capacity` is a DynamoDB reserved word, hence the name placeholder.
        names["#seats"] = "seats_confirmed"
        values[":newcap"] = changes["capacity"]
        condition += " AND #seats <= :newcap"
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    try:
        response = _ddb().update_item(
            TableName=_table(),
            Key=to_dynamo(event_key(event_id)),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_dynamo(values),
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if _is_condition_failure(error):
            raise ConditionFailed(_failed_item(error)) from error
        raise
    return from_dynamo(response["Attributes"])


# --- registrations -------------------------------------------------------------------------

class TransactionCancelled(Exception):
    """A TransactWriteItems was cancelled: one reason code (and old item, if any) per action."""

    def __init__(self, codes: list[str], items: list[dict[str, Any] | None]):
        super().__init__(", ".join(codes))
        self.codes = codes
        self.items = items

    def failed(self, index: int) -> bool:
        return index < len(self.codes) and self.codes[index] == "ConditionalCheckFailed"

    @property
    def conflicted(self) -> bool:
        return "TransactionConflict" in self.codes


def registration_key(event_id: str, registration_id: str) -> dict[str, str]:
    return {"pk": f"EVENT#{event_id}", "sk": f"REG#{registration_id}"}


def guard_key(event_id: str, guard: str) -> dict[str, str]:
    return {"pk": f"EVENT#{event_id}", "sk": f"PHONE#{guard}"}


def waitlist_key(event_id: str, position: int) -> dict[str, str]:
    return {"pk": f"EVENT#{event_id}", "sk": f"WAIT#{position:010d}"}


def _transact(actions: list[dict[str, Any]]) -> None:
    for action in actions:
        next(iter(action.values()))["TableName"] = _table()
    try:
        _ddb().transact_write_items(TransactItems=actions)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons") or []
        raise TransactionCancelled(
            [reason.get("Code", "None") for reason in reasons],
            [from_dynamo(reason["Item"]) if reason.get("Item") else None for reason in reasons],
        ) from error


def _put_new(item: Mapping[str, Any]) -> dict[str, Any]:
    return {"Put": {"Item": to_dynamo(item), "ConditionExpression": "attribute_not_exists(pk)"}}


def _registration_item(registration: Mapping[str, Any]) -> dict[str, Any]:
    return {**registration_key(registration["event_id"], registration["registration_id"]),
            "type": "registration", **registration}


def _guard_item(registration: Mapping[str, Any]) -> dict[str, Any]:
    return {**guard_key(registration["event_id"], registration["phone_guard"]), "type": "phone_guard",
            "registration_id": registration["registration_id"], "expires_at": registration["expires_at"]}


def insert_confirmed(registration: Mapping[str, Any], capacity: int, require_empty_waitlist: bool) -> None:
    """Registration + phone guard + seat counter in one transaction.

    Actions: 0 registration, 1 phone guard, 2 event counter. The counter only moves if the
    capacity is still the one the caller read and the party still fits.
    """
    seats = int(registration["party_size"])
    condition = "attribute_exists(pk) AND #cap = :cap AND seats_confirmed <= :max_before"
    values: dict[str, Any] = {":n": seats, ":one": 1, ":cap": capacity, ":max_before": capacity - seats}
    if require_empty_waitlist:
        condition += " AND waitlisted_count = :zero"
        values[":zero"] = 0
    _transact([
        _put_new(_registration_item(registration)),
        _put_new(_guard_item(registration)),
        {"Update": {
            "Key": to_dynamo(event_key(registration["event_id"])),
            "UpdateExpression": "SET seats_confirmed = seats_confirmed + :n, confirmed_count = confirmed_count + :one",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#cap": "capacity"},
            "ExpressionAttributeValues": to_dynamo(values),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }},
    ])


def claim_waitlist_position(event_id: str) -> int:
    response = _ddb().update_item(
        TableName=_table(),
        Key=to_dynamo(event_key(event_id)),
        UpdateExpression="ADD waitlist_seq :one",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"]["waitlist_seq"]["N"])


def insert_waitlisted(registration: Mapping[str, Any]) -> None:
    """Actions: 0 registration, 1 phone guard, 2 waitlist entry, 3 event counter."""
    event_id, position = registration["event_id"], int(registration["waitlist_position"])
    _transact([
        _put_new(_registration_item(registration)),
        _put_new(_guard_item(registration)),
        _put_new({**waitlist_key(event_id, position), "type": "waitlist_entry",
                  "registration_id": registration["registration_id"],
                  "party_size": registration["party_size"], "expires_at": registration["expires_at"]}),
        {"Update": {
            "Key": to_dynamo(event_key(event_id)),
            "UpdateExpression": "SET waitlisted_count = waitlisted_count + :one",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": to_dynamo({":one": 1}),
        }},
    ])


def get_registration(event_id: str, registration_id: str, consistent: bool = False) -> dict[str, Any] | None:
    response = _ddb().get_item(
        TableName=_table(), Key=to_dynamo(registration_key(event_id, registration_id)), ConsistentRead=consistent
    )
    raw = response.get("Item")
    return from_dynamo(raw) if raw else None


def get_registration_and_event(event_id: str, registration_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Both items in one round trip (BatchGetItem)."""
    keys = [to_dynamo(registration_key(event_id, registration_id)), to_dynamo(event_key(event_id))]
    response = _ddb().batch_get_item(RequestItems={_table(): {"Keys": keys, "ConsistentRead": True}})
    found = [from_dynamo(raw) for raw in response.get("Responses", {}).get(_table(), [])]
    pending = response.get("UnprocessedKeys") or {}
    if pending:
        found.extend(from_dynamo(raw) for raw in _ddb().batch_get_item(RequestItems=pending)
                     .get("Responses", {}).get(_table(), []))
    registration = next((item for item in found if item["sk"].startswith("REG#")), None)
    event = next((item for item in found if item["sk"] == EVENT_SK), None)
    return registration, event


def waitlist_entries(event_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The first waiting registrations in waitlist order (strongly consistent)."""
    response = _ddb().query(
        TableName=_table(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :wait)",
        ExpressionAttributeValues=to_dynamo({":pk": f"EVENT#{event_id}", ":wait": "WAIT#"}),
        ConsistentRead=True,
        Limit=limit,
    )
    return [from_dynamo(raw) for raw in response.get("Items", [])]


def promote(event_id: str, entry: Mapping[str, Any], capacity: int, promoted_at: str) -> None:
    """Waitlisted → confirmed, atomically with the counters. Actions: 0 registration, 1 entry, 2 event."""
    seats = int(entry["party_size"])
    _transact([
        {"Update": {
            "Key": to_dynamo(registration_key(event_id, entry["registration_id"])),
            "UpdateExpression": "SET #status = :confirmed, promoted_at = :at REMOVE waitlist_position",
            "ConditionExpression": "#status = :waitlisted",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_dynamo({":confirmed": "confirmed", ":waitlisted": "waitlisted",
                                                    ":at": promoted_at}),
        }},
        {"Delete": {"Key": to_dynamo(_keys_only(entry, ("pk", "sk"))),
                    "ConditionExpression": "attribute_exists(pk)"}},
        {"Update": {
            "Key": to_dynamo(event_key(event_id)),
            "UpdateExpression": ("SET seats_confirmed = seats_confirmed + :n, confirmed_count = confirmed_count + :one,"
                                 " waitlisted_count = waitlisted_count - :one"),
            "ConditionExpression": "#cap = :cap AND seats_confirmed <= :max_before",
            "ExpressionAttributeNames": {"#cap": "capacity"},
            "ExpressionAttributeValues": to_dynamo({":n": seats, ":one": 1, ":cap": capacity,
                                                    ":max_before": capacity - seats}),
        }},
    ])


# What identifies a person; erasure removes exactly these and keeps the anonymous rest.
PERSONAL_FIELDS = ("name", "phone", "phone_guard", "city", "organization", "note", "items")


def _erasure(names: dict[str, str], values: dict[str, Any], at: str) -> tuple[str, str]:
    """SET and REMOVE clauses that turn a registration into an anonymous record."""
    values[":true"] = True
    removes = []
    for index, field in enumerate(PERSONAL_FIELDS):
        names[f"#p{index}"] = field  # `name` and `items` are DynamoDB reserved words
        removes.append(f"#p{index}")
    return "erased = :true, erased_at = :at", ", ".join(removes)


def cancel(registration: Mapping[str, Any], cancelled_at: str, erase: bool = False) -> None:
    """Cancel a confirmed or waitlisted registration, free its seats or its waitlist place,
    and release the phone for a new registration; with `erase`, also drop the personal data.
    Action 0 fails if the status changed or the ticket was checked in meanwhile."""
    event_id, status = registration["event_id"], registration["status"]
    seats = int(registration["party_size"])
    names = {"#status": "status"}
    values: dict[str, Any] = {":cancelled": "cancelled", ":previous": status, ":at": cancelled_at}
    sets, removes = "#status = :cancelled, cancelled_at = :at", "waitlist_position"
    if erase:
        erased_sets, erased_removes = _erasure(names, values, cancelled_at)
        sets, removes = f"{sets}, {erased_sets}", f"{removes}, {erased_removes}"
    actions: list[dict[str, Any]] = [
        {"Update": {
            "Key": to_dynamo(registration_key(event_id, registration["registration_id"])),
            "UpdateExpression": f"SET {sets} REMOVE {removes}",
            "ConditionExpression": "#status = :previous AND attribute_not_exists(checked_in_at)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_dynamo(values),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }},
        {"Delete": {"Key": to_dynamo(guard_key(event_id, registration["phone_guard"]))}},
    ]
    if status == "confirmed":
        counters = ("SET seats_confirmed = seats_confirmed - :n, confirmed_count = confirmed_count - :one,"
                    " cancelled_count = cancelled_count + :one")
        values = {":n": seats, ":one": 1}
    else:
        counters = "SET waitlisted_count = waitlisted_count - :one, cancelled_count = cancelled_count + :one"
        values = {":one": 1}
        actions.append({"Delete": {"Key": to_dynamo(waitlist_key(event_id, int(registration["waitlist_position"])))}})
    actions.append({"Update": {
        "Key": to_dynamo(event_key(event_id)),
        "UpdateExpression": counters,
        "ExpressionAttributeValues": to_dynamo(values),
    }})
    _transact(actions)


def anonymise(registration: Mapping[str, Any], erased_at: str) -> None:
    """Erase the personal data of a registration whose seat stays as it is (cancelled, or
    already used at the gate). Action 0 fails if the registration changed meanwhile."""
    event_id = registration["event_id"]
    names = {"#status": "status"}
    values: dict[str, Any] = {":previous": registration["status"], ":at": erased_at}
    sets, removes = _erasure(names, values, erased_at)
    actions: list[dict[str, Any]] = [{"Update": {
        "Key": to_dynamo(registration_key(event_id, registration["registration_id"])),
        "UpdateExpression": f"SET {sets} REMOVE {removes}",
        "ConditionExpression": "#status = :previous AND attribute_not_exists(erased)",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_dynamo(values),
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }}]
    if registration.get("phone_guard") and registration["status"] != "cancelled":
        actions.append({"Delete": {"Key": to_dynamo(guard_key(event_id, registration["phone_guard"]))}})
    _transact(actions)


def _registrations_query(event_id: str, status: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {":pk": f"EVENT#{event_id}", ":reg": "REG#"}
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :reg)",
    }
    if status:
        kwargs["FilterExpression"] = "#status = :status"
        kwargs["ExpressionAttributeNames"] = {"#status": "status"}
        values[":status"] = status
    kwargs["ExpressionAttributeValues"] = to_dynamo(values)
    return kwargs


def registrations_page(event_id: str, status: str | None, limit: int,
                       start_key: dict[str, str] | None) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """Up to `limit` registrations in registration order, optionally of one status."""
    kwargs = _registrations_query(event_id, status)
    items: list[dict[str, Any]] = []
    if start_key:
        kwargs["ExclusiveStartKey"] = to_dynamo(start_key)
    while True:  # a status filter can leave a page short; read on until it is full
        kwargs["Limit"] = limit - len(items)
        page = _ddb().query(**kwargs)
        items.extend(from_dynamo(raw) for raw in page.get("Items", []))
        last = page.get("LastEvaluatedKey")
        if last is None or len(items) >= limit:
            return items, (from_dynamo(last) if last else None)
        kwargs["ExclusiveStartKey"] = last


def registrations_of_event(event_id: str) -> Iterable[dict[str, Any]]:
    """Every registration of an event, page by page, in registration order.

    Only one page is alive at a time: each is dropped before the next is fetched, which
    keeps an export's memory at one page whatever the event's size."""
    kwargs = _registrations_query(event_id, None)
    while True:
        page = _ddb().query(**kwargs)
        last, raw_items = page.get("LastEvaluatedKey"), page.get("Items", [])
        del page
        for raw in raw_items:
            yield from_dynamo(raw)
        del raw_items
        if last is None:
            return
        kwargs["ExclusiveStartKey"] = last


# --- idempotency ---------------------------------------------------------------------------

def idempotency_key(scope: str, key: str) -> dict[str, str]:
    digest = hashlib.sha256(f"{scope}\x00{key}".encode("utf-8")).hexdigest()
    return {"pk": f"IDEM#{digest}", "sk": "IDEM"}


def claim_idempotency(record_key: Mapping[str, str], body_hash: str, now: int, expires_at: int,
                      in_progress_until: int) -> dict[str, Any] | None:
    """One conditional put claims the key. Returns None when claimed, else the existing record."""
    item = {**record_key, "type": "idempotency", "status": "in_progress", "body_hash": body_hash,
            "expires_at": expires_at, "in_progress_until": in_progress_until}
    try:
        _ddb().put_item(
            TableName=_table(),
            Item=to_dynamo(item),
            ConditionExpression=("attribute_not_exists(pk) OR expires_at < :now"
                                 " OR (#status = :in_progress AND in_progress_until < :now)"),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_dynamo({":now": now, ":in_progress": "in_progress"}),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if _is_condition_failure(error):
            existing = _failed_item(error)
            return existing if existing is not None else get_idempotency(record_key)
        raise
    return None


def get_idempotency(record_key: Mapping[str, str]) -> dict[str, Any] | None:
    raw = _ddb().get_item(TableName=_table(), Key=to_dynamo(record_key), ConsistentRead=True).get("Item")
    return from_dynamo(raw) if raw else None


def complete_idempotency(record_key: Mapping[str, str], status_code: int, body: str) -> None:
    _ddb().update_item(
        TableName=_table(),
        Key=to_dynamo(record_key),
        UpdateExpression="SET #status = :completed, status_code = :code, response_body = :body",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues=to_dynamo({":completed": "completed", ":code": status_code, ":body": body}),
    )


def release_idempotency(record_key: Mapping[str, str]) -> None:
    _ddb().delete_item(TableName=_table(), Key=to_dynamo(record_key))


# --- check-in and staff tokens ---------------------------------------------------------------

def check_in(event_id: str, registration_id: str, checked_in_at: str, gate: str | None, nonce: str | None) -> None:
    """Mark a confirmed ticket as used and count it, atomically.

    Action 0 decides: on failure its ALL_OLD item tells already-checked-in, cancelled,
    waitlisted or unknown apart without another read.
    """
    values: dict[str, Any] = {":at": checked_in_at, ":confirmed": "confirmed"}
    sets = ["checked_in_at = :at"]
    for name, value in (("gate", gate), ("checkin_nonce", nonce)):
        if value:
            values[f":{name}"] = value
            sets.append(f"{name} = :{name}")
    _transact([
        {"Update": {
            "Key": to_dynamo(registration_key(event_id, registration_id)),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(checked_in_at) AND #status = :confirmed",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_dynamo(values),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }},
        {"Update": {
            "Key": to_dynamo(event_key(event_id)),
            "UpdateExpression": "ADD checked_in_count :one",
            "ExpressionAttributeValues": to_dynamo({":one": 1}),
        }},
    ])


def staff_token_key(token_hash: str) -> dict[str, str]:
    return {"pk": f"STAFF#{token_hash}", "sk": "STAFF"}


def put_staff_token(token_hash: str, event_id: str, created_at: str, expires_at: int) -> None:
    _ddb().put_item(
        TableName=_table(),
        Item=to_dynamo({**staff_token_key(token_hash), "type": "staff_token", "event_id": event_id,
                        "created_at": created_at, "expires_at": expires_at}),
        ConditionExpression="attribute_not_exists(pk)",
    )


def get_staff_token(token_hash: str) -> dict[str, Any] | None:
    raw = _ddb().get_item(TableName=_table(), Key=to_dynamo(staff_token_key(token_hash))).get("Item")
    return from_dynamo(raw) if raw else None
