"""Staff (gate) tokens: only the token's SHA-256 is stored, with its event and expiry."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.storage import dynamo
from chalicelib.storage.dynamo import to_dynamo


@dataclass(frozen=True)
class StaffTokenRecord:
    event_id: str
    expires_at: int


def key(token_hash: str) -> dict[str, str]:
    return {"pk": f"STAFF#{token_hash}", "sk": "STAFF"}


def put(token_hash: str, event_id: str, created_at: str, expires_at: int) -> None:
    dynamo.client().put_item(
        TableName=dynamo.table(),
        Item=to_dynamo(
            {
                **key(token_hash),
                "type": "staff_token",
                "event_id": event_id,
                "created_at": created_at,
                "expires_at": expires_at,
            }
        ),
        ConditionExpression="attribute_not_exists(pk)",
    )


def get(token_hash: str) -> StaffTokenRecord | None:
    item = dynamo.get(key(token_hash))
    return StaffTokenRecord(item["event_id"], int(item.get("expires_at", 0))) if item else None
