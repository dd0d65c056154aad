"""Invite code items: pk=EVENT#<event_id>, sk=INVITE#<code_id>. Only the code id is stored (the
code is a MAC of it, see domain/invites.py). A use is counted by an action in the registration's
own transaction (`use_action`), so `max_uses` holds under any concurrency."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.errors import InviteCodeNotFound
from chalicelib.domain.invites import InviteCode
from chalicelib.storage import dynamo
from chalicelib.storage.dynamo import from_dynamo, to_dynamo
from chalicelib.storage.keys import event_partition

PREFIX = "INVITE#"


def key(event_id: str, code_id: str) -> dict[str, str]:
    return {"pk": event_partition(event_id), "sk": f"{PREFIX}{code_id}"}


def _to_code(item: dict[str, Any]) -> InviteCode:
    return InviteCode(
        code_id=item["code_id"],
        event_id=item["event_id"],
        role=item["role"],
        max_uses=int(item["max_uses"]),
        used=int(item.get("used", 0)),
        label=item.get("label"),
        created_at=item["created_at"],
        kid=item["kid"],
        companion_of=item.get("companion_of"),
        revoked_at=item.get("revoked_at"),
    )


def put(code: InviteCode, expires_at: int) -> None:
    item = {
        **key(code.event_id, code.code_id),
        "type": "invite_code",
        "code_id": code.code_id,
        "event_id": code.event_id,
        "role": code.role,
        "max_uses": code.max_uses,
        "used": 0,
        "label": code.label,
        "created_at": code.created_at,
        "created_ns": time.time_ns(),
        "kid": code.kid,
        "companion_of": code.companion_of,
        "expires_at": expires_at,
    }
    dynamo.client().put_item(
        TableName=dynamo.table(), Item=to_dynamo(item), ConditionExpression="attribute_not_exists(pk)"
    )


def get(event_id: str, code_id: str, consistent: bool = False) -> InviteCode | None:
    item = dynamo.get(key(event_id, code_id), consistent)
    return _to_code(item) if item else None


def list_for_event(event_id: str) -> list[InviteCode]:
    """Every invite code of the event, oldest first."""
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
        "ExpressionAttributeValues": to_dynamo({":pk": event_partition(event_id), ":p": PREFIX}),
        "ConsistentRead": True,
    }
    found: list[dict[str, Any]] = []
    while True:
        response = dynamo.client().query(**kwargs)
        found.extend(from_dynamo(raw) for raw in response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            break
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    found.sort(key=lambda item: int(item.get("created_ns", 0)))
    return [_to_code(item) for item in found]


def revoke(event_id: str, code_id: str, revoked_at: str) -> InviteCode:
    """Mark the code revoked (idempotent: a second revoke keeps the first time); InviteCodeNotFound."""
    try:
        response = dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(key(event_id, code_id)),
            UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :at)",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_dynamo({":at": revoked_at}),
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            raise InviteCodeNotFound() from error
        raise
    return _to_code(from_dynamo(response["Attributes"]))


def use_action(event_id: str, code_id: str, role: str) -> dict[str, Any]:
    """The transaction action that counts one use: only of a live code of this role with uses left."""
    return {
        "Update": {
            "Key": to_dynamo(key(event_id, code_id)),
            "UpdateExpression": "SET used = used + :one",
            "ConditionExpression": (
                "attribute_exists(pk) AND attribute_not_exists(revoked_at) AND used < max_uses AND #role = :role"
            ),
            "ExpressionAttributeNames": {"#role": "role"},
            "ExpressionAttributeValues": to_dynamo({":one": 1, ":role": role}),
        }
    }
