"""Re-stamping the expiry (the TTL attribute `expires_at`) of an event's items after its end or
retention changed. A job item per event, worked through page by page with a saved cursor, so
an event of any size is finished over as many runs as it takes:
  job   pk=JOBS  sk=RESTAMP#<event_id>   personal_expiry, staff_expiry, version, cursor"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.storage import audit as audit_items
from chalicelib.storage import dynamo, staff_tokens
from chalicelib.storage import events as event_items
from chalicelib.storage.dynamo import from_dynamo, to_dynamo

JOBS_PARTITION = "JOBS"
PAGE = 100


@dataclass(frozen=True)
class RestampJob:
    event_id: str
    personal_expiry: int
    staff_expiry: int
    version: int
    stage: str = "event"  # "event" (its partition), then "audit" (its audit entries)
    cursor: dict[str, Any] | None = None


def job_key(event_id: str) -> dict[str, str]:
    return {"pk": JOBS_PARTITION, "sk": f"RESTAMP#{event_id}"}


def put_job(event_id: str, personal_expiry: int, staff_expiry: int) -> None:
    """(Re)start the job: a later edit replaces an unfinished one and starts over."""
    dynamo.client().put_item(
        TableName=dynamo.table(),
        Item=to_dynamo(
            {
                **job_key(event_id),
                "type": "restamp_job",
                "event_id": event_id,
                "personal_expiry": personal_expiry,
                "staff_expiry": staff_expiry,
                "version": time.time_ns(),
                "stage": "event",
            }
        ),
    )


def pending_jobs() -> list[RestampJob]:
    response = dynamo.client().query(
        TableName=dynamo.table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_dynamo({":pk": JOBS_PARTITION}),
        ConsistentRead=True,
    )
    jobs = []
    for raw in response.get("Items", []):
        item = from_dynamo(raw)
        jobs.append(
            RestampJob(
                item["event_id"],
                int(item["personal_expiry"]),
                int(item["staff_expiry"]),
                int(item["version"]),
                item.get("stage", "event"),
                item.get("cursor"),
            )
        )
    return jobs


def _set_expiry(key: dict[str, Any], expires_at: int) -> None:
    try:
        dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(key),
            UpdateExpression="SET expires_at = :e",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_dynamo({":e": expires_at}),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise  # an item deleted meanwhile needs no expiry


def work_page(job: RestampJob) -> RestampJob | None:
    """Re-stamp one page of the job's items; the job as it stands after, or None when done."""
    partition = event_items.partition(job.event_id) if job.stage == "event" else audit_items.partition(job.event_id)
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": to_dynamo({":pk": partition}),
        "Limit": PAGE,
    }
    if job.cursor:
        kwargs["ExclusiveStartKey"] = to_dynamo(job.cursor)
    response = dynamo.client().query(**kwargs)
    for raw in response.get("Items", []):
        item = from_dynamo(raw)
        if "expires_at" not in item:
            continue  # the event item itself: it lives as long as the organiser keeps it
        key = {"pk": item["pk"], "sk": item["sk"]}
        if item["sk"].startswith(staff_tokens.INFO_PREFIX):
            _set_expiry(key, job.staff_expiry)
            _set_expiry(staff_tokens.key(item["token_hash"]), job.staff_expiry)
        else:
            _set_expiry(key, job.personal_expiry)
    last = response.get("LastEvaluatedKey")
    if last:
        return RestampJob(
            job.event_id, job.personal_expiry, job.staff_expiry, job.version, job.stage, from_dynamo(last)
        )
    if job.stage == "event":
        return RestampJob(job.event_id, job.personal_expiry, job.staff_expiry, job.version, "audit", None)
    return None


def save_progress(job: RestampJob) -> bool:
    """Store the cursor unless a newer edit restarted the job meanwhile (then False)."""
    try:
        dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(job_key(job.event_id)),
            UpdateExpression="SET #stage = :stage, #cursor = :cursor",
            ConditionExpression="version = :version",
            ExpressionAttributeNames={"#stage": "stage", "#cursor": "cursor"},
            ExpressionAttributeValues=to_dynamo(
                {":stage": job.stage, ":cursor": job.cursor or {}, ":version": job.version}
            ),
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            return False
        raise
    return True


def finish(job: RestampJob) -> None:
    """Delete the job unless a newer edit restarted it meanwhile."""
    try:
        dynamo.client().delete_item(
            TableName=dynamo.table(),
            Key=to_dynamo(job_key(job.event_id)),
            ConditionExpression="version = :version",
            ExpressionAttributeValues=to_dynamo({":version": job.version}),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise
