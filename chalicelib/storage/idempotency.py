"""Idempotency records (after Powertools' persistence layer): one conditional put claims a key;
items become `IdempotencyRecord`s here, at the boundary."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.storage import dynamo
from chalicelib.storage.dynamo import to_dynamo

IN_PROGRESS, COMPLETED = "in_progress", "completed"


@dataclass(frozen=True)
class IdempotencyRecord:
    status: str
    body_hash: str
    response: str | None = None  # the remembered outcome, JSON text

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> IdempotencyRecord:
        return cls(item.get("status", IN_PROGRESS), item.get("body_hash", ""), item.get("response_body"))

    @property
    def completed(self) -> bool:
        return self.status == COMPLETED


def record_key(scope: str, key: str) -> dict[str, str]:
    digest = hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()
    return {"pk": f"IDEM#{digest}", "sk": "IDEM"}


def record_id(record: Mapping[str, str]) -> str:
    """How other items point at a record (its partition key)."""
    return record["pk"]


def key_of(record_id: str) -> dict[str, str]:
    return {"pk": record_id, "sk": "IDEM"}


def claim(
    record: Mapping[str, str], body_hash: str, now: int, expires_at: int, in_progress_until: int
) -> IdempotencyRecord | None:
    """Claim the key: None when claimed now, else the record that holds it."""
    item = {
        **record,
        "type": "idempotency",
        "status": IN_PROGRESS,
        "body_hash": body_hash,
        "expires_at": expires_at,
        "in_progress_until": in_progress_until,
    }
    try:
        dynamo.client().put_item(
            TableName=dynamo.table(),
            Item=to_dynamo(item),
            ConditionExpression=(
                "attribute_not_exists(pk) OR expires_at < :now OR (#status = :in_progress AND in_progress_until < :now)"
            ),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_dynamo({":now": now, ":in_progress": IN_PROGRESS}),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise
        existing = dynamo.failed_item(error) or dynamo.get(record, consistent=True)
        # Gone meanwhile (released by a failed first attempt): an in-progress record that never matches.
        return IdempotencyRecord.from_item(existing) if existing else IdempotencyRecord(IN_PROGRESS, "")
    return None


def complete(record: Mapping[str, str], response: str) -> None:
    dynamo.client().update_item(
        TableName=dynamo.table(),
        Key=to_dynamo(record),
        UpdateExpression="SET #status = :completed, response_body = :body",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues=to_dynamo({":completed": COMPLETED, ":body": response}),
    )


def release(record: Mapping[str, str]) -> None:
    dynamo.client().delete_item(TableName=dynamo.table(), Key=to_dynamo(record))
