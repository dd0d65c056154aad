"""DynamoDB access for baoming's single table. All reads and writes go through here.

Keys (single-table design):
  event           pk=EVENT#<event_id>  sk=EVENT         gsi1pk=EVENTS  gsi1sk=<created_at>#<event_id>
"""
from __future__ import annotations

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
