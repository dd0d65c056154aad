"""Message items (the SMS queue), the local outbox, verification codes and rate-limit counters.

message       pk=EVENT#<event_id>      sk=MSG#<message_id>   kind, status, attempts, …
              while queued also gsi1pk=MSGQ, gsi1sk=<due epoch ms, 15 digits>#<message_id>:
              the queue is the sparse part of gsi1 (an event list uses gsi1pk=EVENTS)
outbox entry  pk=OUTBOX#<MAC(phone)>   sk=<at>#<message_id>  phone, text, kind (local stage only)
code          pk=EVENT#<event_id>      sk=CODE#<MAC(event, phone)>  code_mac, valid_until, tries
limit         pk=LIMIT#<phone|ip>#<MAC> sk=MINUTE | DAY#<date> | HOUR#<hour>  (TTL-expired counters)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.errors import ServiceUnavailable
from chalicelib.domain.messages import FAILED, QUEUED, SENT, Message
from chalicelib.storage import dynamo
from chalicelib.storage import events as event_items
from chalicelib.storage.dynamo import TransactionCancelled, from_dynamo, put_new, to_dynamo

QUEUE_INDEX = "gsi1"
QUEUE_PARTITION = "MSGQ"
MESSAGE_PREFIX = "MSG#"
CODE_PREFIX = "CODE#"
OUTBOX_PREFIX = "OUTBOX#"
OUTBOX_DAYS = 7


def key(event_id: str, message_id: str) -> dict[str, str]:
    return {"pk": event_items.partition(event_id), "sk": f"{MESSAGE_PREFIX}{message_id}"}


def _queue_sort(due_ms: int, message_id: str) -> str:
    return f"{due_ms:015d}#{message_id}"


def item_of(message: Message) -> dict[str, Any]:
    fields = {name: value for name, value in asdict(message).items() if value is not None}
    item = {**key(message.event_id, message.message_id), "type": "message", **fields}
    if message.status == QUEUED:
        item["gsi1pk"] = QUEUE_PARTITION
        item["gsi1sk"] = _queue_sort(message.due_ms, message.message_id)
    return item


def put_action(message: Message) -> dict[str, Any]:
    """The message's Put, to run in the same transaction as what it announces."""
    return put_new(item_of(message))


def put(message: Message) -> None:
    dynamo.client().put_item(
        TableName=dynamo.table(), Item=to_dynamo(item_of(message)), ConditionExpression="attribute_not_exists(pk)"
    )


def get(event_id: str, message_id: str) -> Message | None:
    item = dynamo.get(key(event_id, message_id), consistent=True)
    return Message.from_mapping(item) if item else None


def due(now_ms: int, limit: int = 50) -> list[tuple[str, str]]:
    """(event_id, message_id) of queued messages whose time has come, oldest first."""
    response = dynamo.client().query(
        TableName=dynamo.table(),
        IndexName=QUEUE_INDEX,
        KeyConditionExpression="gsi1pk = :q AND gsi1sk <= :now",
        ExpressionAttributeValues=to_dynamo({":q": QUEUE_PARTITION, ":now": _queue_sort(now_ms, "~")}),
        ProjectionExpression="event_id, message_id",
        Limit=limit,
    )
    return [(item["event_id"], item["message_id"]) for item in map(from_dynamo, response.get("Items", []))]


def queued_in_images(images: list[dict[str, Any] | None]) -> list[tuple[str, str]]:
    """(event_id, message_id) of the queued messages among stream records' new images (DynamoDB JSON)."""
    found = []
    for raw in images:
        if not raw or raw.get("type", {}).get("S") != "message" or raw.get("gsi1pk", {}).get("S") != QUEUE_PARTITION:
            continue
        item = from_dynamo(raw)
        found.append((item["event_id"], item["message_id"]))
    return found


def claim(message: Message, now_s: int) -> Message | None:
    """Take a queued message for one send attempt: counts the attempt and leases the message, so
    two workers never send it at the same time. None when another worker has it (or it is done)."""
    try:
        response = dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(key(message.event_id, message.message_id)),
            UpdateExpression="SET attempts = attempts + :one, lease_until = :lease",
            ConditionExpression=(
                "#status = :queued AND attempts = :attempts"
                " AND (attribute_not_exists(lease_until) OR lease_until < :now)"
            ),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_dynamo(
                {
                    ":one": 1,
                    ":lease": now_s + 60,
                    ":queued": QUEUED,
                    ":attempts": message.attempts,
                    ":now": now_s,
                }
            ),
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return None
        raise
    return Message.from_mapping(from_dynamo(response["Attributes"]))


def _finish(message: Message, sets: str, removes: str, values: dict[str, Any]) -> bool:
    """Apply the outcome of the attempt this worker holds the lease of; False if it lost it."""
    expression = f"SET {sets} REMOVE {removes}"
    names = {name: field for name, field in (("#status", "status"), ("#error", "error")) if name in expression}
    try:
        dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(key(message.event_id, message.message_id)),
            UpdateExpression=expression,
            ConditionExpression="lease_until = :lease AND attempts = :attempts",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_dynamo(
                {**values, ":lease": message.lease_until, ":attempts": message.attempts}
            ),
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False  # erased meanwhile, or the lease ran out and another worker took over
        raise
    return True


def mark_sent(message: Message, sent_at: str) -> bool:
    return _finish(
        message,
        "#status = :sent, sent_at = :at",
        "gsi1pk, gsi1sk, lease_until, code_nonce, phone, #error",
        {":sent": SENT, ":at": sent_at},
    )


def mark_failed(message: Message, error: str) -> bool:
    return _finish(
        message,
        "#status = :failed, #error = :error",
        "gsi1pk, gsi1sk, lease_until, code_nonce, phone",
        {":failed": FAILED, ":error": error},
    )


def reschedule(message: Message, due_ms: int, error: str) -> bool:
    return _finish(
        message,
        "gsi1sk = :sort, due_ms = :due, #error = :error",
        "lease_until",
        {":sort": _queue_sort(due_ms, message.message_id), ":due": due_ms, ":error": error},
    )


def resolve(message: Message, registration_id: str) -> bool:
    """A recovery request found its registration: from now on the phone is read from there."""
    try:
        dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(key(message.event_id, message.message_id)),
            UpdateExpression="SET registration_id = :rid REMOVE phone",
            ConditionExpression="lease_until = :lease",
            ExpressionAttributeValues=to_dynamo({":rid": registration_id, ":lease": message.lease_until}),
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
    return True


def delete(message: Message) -> None:
    dynamo.client().delete_item(TableName=dynamo.table(), Key=to_dynamo(key(message.event_id, message.message_id)))


def requeue(event_id: str, message_id: str, due_ms: int) -> Message | None:
    """A failed (or sent) message queued again with fresh attempts (the organiser's retry); None
    if it doesn't exist. A message still queued is left as it is."""
    try:
        response = dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(key(event_id, message_id)),
            UpdateExpression=(
                "SET #status = :queued, attempts = :zero, gsi1pk = :q, gsi1sk = :sort, due_ms = :due REMOVE lease_until"
            ),
            ConditionExpression="attribute_exists(pk) AND #status <> :queued",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_dynamo(
                {
                    ":queued": QUEUED,
                    ":zero": 0,
                    ":q": QUEUE_PARTITION,
                    ":sort": _queue_sort(due_ms, message_id),
                    ":due": due_ms,
                }
            ),
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            old = dynamo.failed_item(error)
            return Message.from_mapping(old) if old else None
        raise
    return Message.from_mapping(from_dynamo(response["Attributes"]))


def of_event(event_id: str, registration_id: str | None = None, status: str | None = None) -> Iterator[Message]:
    """The event's messages in the order they were made, optionally of one registration or status."""
    kwargs = dynamo.prefix_query(
        event_items.partition(event_id), MESSAGE_PREFIX, equal={"registration_id": registration_id, "status": status}
    )
    while True:
        response = dynamo.client().query(**kwargs)
        for raw in response.get("Items", []):
            yield Message.from_mapping(from_dynamo(raw))
        last = response.get("LastEvaluatedKey")
        if not last:
            return
        kwargs["ExclusiveStartKey"] = last


def delete_of_person(event_id: str, registration_id: str, phone_tag: str | None) -> int:
    """Erasure: delete the messages of a registration and the codes sent to its phone in the event."""
    values: dict[str, Any] = {":pk": event_items.partition(event_id), ":msg": MESSAGE_PREFIX, ":rid": registration_id}
    condition = "registration_id = :rid"
    if phone_tag:
        values[":tag"] = phone_tag
        condition += " OR phone_tag = :tag"
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :msg)",
        "FilterExpression": condition,
        "ProjectionExpression": "pk, sk",
        "ExpressionAttributeValues": to_dynamo(values),
        "ConsistentRead": True,
    }
    deleted = 0
    while True:
        response = dynamo.client().query(**kwargs)
        for raw in response.get("Items", []):
            dynamo.client().delete_item(TableName=dynamo.table(), Key={"pk": raw["pk"], "sk": raw["sk"]})
            deleted += 1
        last = response.get("LastEvaluatedKey")
        if not last:
            return deleted
        kwargs["ExclusiveStartKey"] = last


# --- the local outbox -----------------------------------------------------------------------


def outbox_add(phone_key: str, entry: dict[str, Any]) -> None:
    item = {
        "pk": f"{OUTBOX_PREFIX}{phone_key}",
        "sk": f"{entry['at']}#{entry['message_id']}",
        "type": "outbox",
        **entry,
        "expires_at": int(time.time()) + OUTBOX_DAYS * 86400,
    }
    dynamo.client().put_item(TableName=dynamo.table(), Item=to_dynamo(item))


def outbox_of(phone_key: str) -> list[dict[str, Any]]:
    response = dynamo.client().query(
        TableName=dynamo.table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_dynamo({":pk": f"{OUTBOX_PREFIX}{phone_key}"}),
        ConsistentRead=True,
    )
    return [from_dynamo(raw) for raw in response.get("Items", [])]


def outbox_delete(phone_key: str, event_id: str) -> int:
    """Erasure: the phone's outbox entries of this event."""
    deleted = 0
    for entry in outbox_of(phone_key):
        if entry.get("event_id") == event_id:
            dynamo.client().delete_item(TableName=dynamo.table(), Key=to_dynamo({"pk": entry["pk"], "sk": entry["sk"]}))
            deleted += 1
    return deleted


# --- verification codes -------------------------------------------------------------------


def code_key(event_id: str, phone_key: str) -> dict[str, str]:
    return {"pk": event_items.partition(event_id), "sk": f"{CODE_PREFIX}{phone_key}"}


def put_code_with_message(
    event_id: str, phone_key: str, code_mac: str, kid: str, valid_until: int, message: Message
) -> None:
    """A new code (replacing an earlier one) and the message carrying it, in one transaction."""
    code_item = {
        **code_key(event_id, phone_key),
        "type": "phone_code",
        "code_mac": code_mac,
        "kid": kid,
        "valid_until": valid_until,
        "tries": 0,
        "expires_at": valid_until + 86400,
    }
    dynamo.transact([{"Put": {"Item": to_dynamo(code_item)}}, put_action(message)])


def get_code(event_id: str, phone_key: str) -> dict[str, Any] | None:
    return dynamo.get(code_key(event_id, phone_key), consistent=True)


def count_wrong_try(event_id: str, phone_key: str, code_mac: str, max_tries: int) -> None:
    """One more wrong try of this code; the last allowed one voids it (deletes it)."""
    names = {"#key": "pk"}
    values = to_dynamo({":mac": code_mac, ":one": 1, ":last": max_tries - 1})
    try:
        dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(code_key(event_id, phone_key)),
            UpdateExpression="ADD tries :one",
            ConditionExpression="attribute_exists(#key) AND code_mac = :mac AND tries < :last",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise
        delete_code(event_id, phone_key, code_mac)  # the fifth wrong try: the code is void


def delete_code(event_id: str, phone_key: str, code_mac: str) -> None:
    try:
        dynamo.client().delete_item(
            TableName=dynamo.table(),
            Key=to_dynamo(code_key(event_id, phone_key)),
            ConditionExpression="code_mac = :mac",
            ExpressionAttributeValues=to_dynamo({":mac": code_mac}),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise  # a newer code replaced it: that one stays


# --- rate limits ----------------------------------------------------------------------------


def take_allowance(
    phone_key: str,
    ip_key: str,
    now_s: int,
    day: str,
    day_ends_in: int,
    hour: str,
    hour_ends_in: int,
    per_minute_gap: int,
    per_day: int,
    per_hour: int,
) -> int | None:
    """Count one request against the phone's minute and day and the address's hour, all or none.
    None when allowed; else the seconds until the limit that refused it lifts."""
    phone_pk, ip_pk = f"LIMIT#phone#{phone_key}", f"LIMIT#ip#{ip_key}"
    actions = [
        {
            "Update": {
                "Key": to_dynamo({"pk": phone_pk, "sk": "MINUTE"}),
                "UpdateExpression": "SET last_at = :now, expires_at = :minute_expiry",
                "ConditionExpression": "attribute_not_exists(last_at) OR last_at <= :gap_ago",
                "ExpressionAttributeValues": to_dynamo(
                    {":now": now_s, ":gap_ago": now_s - per_minute_gap, ":minute_expiry": now_s + 2 * per_minute_gap}
                ),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        {
            "Update": {
                "Key": to_dynamo({"pk": phone_pk, "sk": f"DAY#{day}"}),
                "UpdateExpression": "ADD n :one SET expires_at = :expiry",
                "ConditionExpression": "attribute_not_exists(n) OR n < :max",
                "ExpressionAttributeValues": to_dynamo(
                    {":one": 1, ":max": per_day, ":expiry": now_s + day_ends_in + 3600}
                ),
            }
        },
        {
            "Update": {
                "Key": to_dynamo({"pk": ip_pk, "sk": f"HOUR#{hour}"}),
                "UpdateExpression": "ADD n :one SET expires_at = :expiry",
                "ConditionExpression": "attribute_not_exists(n) OR n < :max",
                "ExpressionAttributeValues": to_dynamo(
                    {":one": 1, ":max": per_hour, ":expiry": now_s + hour_ends_in + 3600}
                ),
            }
        },
    ]
    try:
        dynamo.transact(actions)
    except TransactionCancelled as cancelled:
        reasons = cancelled.cancellation
        waits = []
        if reasons.failed(0):
            last = int((reasons.items[0] or {}).get("last_at", now_s))
            waits.append(max(last + per_minute_gap - now_s, 1))
        if reasons.failed(1):
            waits.append(day_ends_in)
        if reasons.failed(2):
            waits.append(hour_ends_in)
        if not waits:
            raise ServiceUnavailable() from cancelled
        return max(waits)
    return None
