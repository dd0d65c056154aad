"""Staff (gate) tokens. Two items per token, written together:
  lookup  pk=STAFF#<sha256(token)>  sk=STAFF            what the authorizer reads: event, token id, label, expiry
  info    pk=EVENT#<event_id>       sk=GATE#<token_id>  what the console lists: label, created, last used, revoked
Only the token's hash is stored. Revoking deletes the lookup item, so the token stops working at once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.domain.errors import StaffTokenNotFound
from chalicelib.storage import dynamo
from chalicelib.storage.keys import event_partition

if TYPE_CHECKING:
    from chalicelib.domain.access import StaffTokenInfo
from chalicelib.storage.dynamo import TransactionCancelled, from_dynamo, put_new, to_dynamo

INFO_PREFIX = "GATE#"


@dataclass(frozen=True)
class StaffTokenRecord:
    """What the authorizer needs of a token."""

    event_id: str
    expires_at: int
    token_id: str | None = None
    label: str | None = None


def key(token_hash: str) -> dict[str, str]:
    return {"pk": f"STAFF#{token_hash}", "sk": "STAFF"}


def info_key(event_id: str, token_id: str) -> dict[str, str]:
    return {"pk": event_partition(event_id), "sk": f"{INFO_PREFIX}{token_id}"}


def put(token_hash: str, event_id: str, info: StaffTokenInfo, expires_epoch: int) -> None:
    dynamo.transact(
        [
            put_new(
                {
                    **key(token_hash),
                    "type": "staff_token",
                    "event_id": event_id,
                    "token_id": info.token_id,
                    "label": info.label,
                    "created_at": info.created_at,
                    "expires_at": expires_epoch,
                }
            ),
            put_new(
                {
                    **info_key(event_id, info.token_id),
                    "type": "staff_token_info",
                    "token_id": info.token_id,
                    "label": info.label,
                    "created_at": info.created_at,
                    "expires_iso": info.expires_at,
                    "token_hash": token_hash,
                    "expires_at": expires_epoch,
                    "created_ns": time.time_ns(),  # the list's order (created_at is to the second)
                }
            ),
        ]
    )


def get(token_hash: str) -> StaffTokenRecord | None:
    item = dynamo.get(key(token_hash))
    if not item:
        return None
    return StaffTokenRecord(item["event_id"], int(item.get("expires_at", 0)), item.get("token_id"), item.get("label"))


def _info(item: dict[str, Any]) -> StaffTokenInfo:
    from chalicelib.domain.access import StaffTokenInfo  # not on the authorizer's path

    return StaffTokenInfo(
        item["token_id"],
        item.get("label") or "",
        item.get("created_at") or "",
        item.get("expires_iso") or "",
        item.get("last_used_at"),
        item.get("revoked_at"),
    )


def list_for_event(event_id: str) -> list[StaffTokenInfo]:
    """The event's gate links, oldest first (at most a few dozen per event)."""
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :gate)",
        "ExpressionAttributeValues": to_dynamo({":pk": event_partition(event_id), ":gate": INFO_PREFIX}),
    }
    found: list[tuple[int, StaffTokenInfo]] = []
    while True:
        response = dynamo.client().query(**kwargs)
        for raw in response.get("Items", []):
            item = from_dynamo(raw)
            found.append((int(item.get("created_ns", 0)), _info(item)))
        if "LastEvaluatedKey" not in response:
            return [info for _, info in sorted(found, key=lambda pair: pair[0])]
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def revoke(event_id: str, token_id: str, revoked_at: str) -> StaffTokenInfo:
    """Mark the token revoked and delete its lookup item; idempotent. StaffTokenNotFound if unknown."""
    item = dynamo.get(info_key(event_id, token_id), consistent=True)
    if not item:
        raise StaffTokenNotFound()
    if item.get("revoked_at"):
        return _info(item)
    try:
        dynamo.transact(
            [
                {
                    "Update": {
                        "Key": to_dynamo(info_key(event_id, token_id)),
                        "UpdateExpression": "SET revoked_at = :at",
                        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(revoked_at)",
                        "ExpressionAttributeValues": to_dynamo({":at": revoked_at}),
                    }
                },
                {"Delete": {"Key": to_dynamo(key(item["token_hash"]))}},
            ]
        )
    except TransactionCancelled:
        pass  # revoked by a concurrent request: the outcome is the same
    return _info({**item, "revoked_at": item.get("revoked_at") or revoked_at})


def touch(event_id: str, token_id: str, used_at: str, unless_since: str) -> None:
    """Record a use of the token, at most once per interval (the write is skipped when the
    recorded use is newer than `unless_since`), so a polling scanner costs few writes."""
    try:
        dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(info_key(event_id, token_id)),
            UpdateExpression="SET last_used_at = :at",
            ConditionExpression=(
                "attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :since)"
            ),
            ExpressionAttributeValues=to_dynamo({":at": used_at, ":since": unless_since}),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise
