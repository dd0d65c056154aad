"""The table: item (de)serialisation, condition failures and transactions, shared by the aggregates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.domain.errors import WriteConflict
from chalicelib.storage import aws

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


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


def table() -> str:
    return settings().table_name


def client() -> Any:
    return aws.client("dynamodb")


def is_condition_failure(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def failed_item(error: ClientError) -> dict[str, Any] | None:
    raw = error.response.get("Item")
    return from_dynamo(raw) if raw else None


def get(key: Mapping[str, Any], consistent: bool = False) -> dict[str, Any] | None:
    raw = client().get_item(TableName=table(), Key=to_dynamo(key), ConsistentRead=consistent).get("Item")
    return from_dynamo(raw) if raw else None


def prefix_query(
    pk: str,
    sk_prefix: str,
    equal: Mapping[str, Any] | None = None,
    contains: Mapping[str, Any] | None = None,
    projection: str | None = None,
) -> dict[str, Any]:
    """Query arguments for the items of partition `pk` whose sort key starts with `sk_prefix`,
    filtered to those whose attributes equal `equal`'s values and contain `contains`' values
    (falsy values set no filter). Attribute names go through placeholders: some are reserved words."""
    values: dict[str, Any] = {":pk": pk, ":prefix": sk_prefix}
    kwargs: dict[str, Any] = {"TableName": table(), "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)"}
    filters: list[str] = []
    names: dict[str, str] = {}
    for test, conditions in (("{name} = {value}", equal), ("contains({name}, {value})", contains)):
        for attribute, wanted in (conditions or {}).items():
            if wanted:
                name, value = f"#f{len(names)}", f":f{len(names)}"
                filters.append(test.format(name=name, value=value))
                names[name] = attribute
                values[value] = wanted
    if filters:
        kwargs["FilterExpression"] = " AND ".join(filters)
        kwargs["ExpressionAttributeNames"] = names
    if projection:
        kwargs["ProjectionExpression"] = projection
    kwargs["ExpressionAttributeValues"] = to_dynamo(values)
    return kwargs


class ConditionFailed(Exception):
    """A conditional UpdateItem's condition was false. `stored`: the item as it stood then (None if
    absent). Private to the storage package: each aggregate turns it into a domain error."""

    def __init__(self, stored: dict[str, Any] | None):
        super().__init__("condition failed")
        self.stored = stored


def update_checked(
    key: Mapping[str, Any], expression: str, condition: str, names: Mapping[str, str], values: Mapping[str, Any]
) -> dict[str, Any]:
    """One conditional UpdateItem: the item as written, or ConditionFailed with the stored one
    (returned by the same request: no second read to explain a refusal)."""
    try:
        response = client().update_item(
            TableName=table(),
            Key=to_dynamo(key),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=dict(names),
            ExpressionAttributeValues=to_dynamo(values),
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if is_condition_failure(error):
            raise ConditionFailed(failed_item(error)) from error
        raise
    return from_dynamo(response["Attributes"])


@dataclass(frozen=True)
class Cancellation:
    """Why a TransactWriteItems was cancelled: one reason code (and old item, if any) per action.

    Private to the storage package: each aggregate turns it into a domain error.
    """

    codes: list[str]
    items: list[dict[str, Any] | None]

    def failed(self, index: int) -> bool:
        return index < len(self.codes) and self.codes[index] == "ConditionalCheckFailed"

    @property
    def conflicted(self) -> bool:
        return "TransactionConflict" in self.codes


class TransactionCancelled(Exception):
    def __init__(self, cancellation: Cancellation):
        super().__init__(", ".join(cancellation.codes))
        self.cancellation = cancellation


def transact(actions: list[dict[str, Any]]) -> None:
    """Run the actions atomically; TransactionCancelled says which condition failed.

    A TransactionConflict (another transaction on the same items) becomes WriteConflict.
    """
    for action in actions:
        next(iter(action.values()))["TableName"] = table()
    try:
        client().transact_write_items(TransactItems=actions)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons") or []
        cancellation = Cancellation(
            [reason.get("Code", "None") for reason in reasons],
            [from_dynamo(reason["Item"]) if reason.get("Item") else None for reason in reasons],
        )
        if cancellation.conflicted and not any(cancellation.failed(i) for i in range(len(reasons))):
            raise WriteConflict() from error
        raise TransactionCancelled(cancellation) from error


def put_new(item: Mapping[str, Any]) -> dict[str, Any]:
    """A transaction action that creates `item` only if its key is free."""
    return {"Put": {"Item": to_dynamo(item), "ConditionExpression": "attribute_not_exists(pk)"}}
