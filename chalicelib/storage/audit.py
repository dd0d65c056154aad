"""Audit entries of an event: pk=AUDIT#<event_id>, sk=<ns since epoch>#<random>, newest first when read.
They expire with the event's personal data (the same TTL), though they hold none."""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict
from typing import Any

from chalicelib.domain.audit import AuditEntry
from chalicelib.storage import dynamo
from chalicelib.storage.dynamo import from_dynamo, to_dynamo


def partition(event_id: str) -> str:
    return f"AUDIT#{event_id}"


def put(event_id: str, entry: AuditEntry, expires_at: int | None) -> None:
    # The sort key orders entries to the nanosecond (`at` is shown to the second); the random
    # tail keeps two writers in the same nanosecond apart.
    item = {
        "pk": partition(event_id),
        "sk": f"{time.time_ns():020d}#{secrets.token_hex(4)}",
        "type": "audit",
        **asdict(entry),
        "expires_at": expires_at,
    }
    dynamo.client().put_item(TableName=dynamo.table(), Item=to_dynamo(item))


def page(event_id: str, limit: int, start_key: dict[str, str] | None) -> tuple[list[AuditEntry], dict[str, str] | None]:
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": to_dynamo({":pk": partition(event_id)}),
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if start_key:
        kwargs["ExclusiveStartKey"] = to_dynamo(start_key)
    response = dynamo.client().query(**kwargs)
    entries = []
    for raw in response.get("Items", []):
        item = from_dynamo(raw)
        entries.append(AuditEntry(item["at"], item["actor"], item["action"], item.get("target"), item.get("detail")))
    last = response.get("LastEvaluatedKey")
    return entries, (from_dynamo(last) if last else None)
