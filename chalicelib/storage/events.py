"""Event items: create, read, list newest first, edit under a version, the waitlist sequence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.errors import CapacityBelowConfirmed, EventAlreadyExists, EventChanged, EventNotFound
from chalicelib.domain.events import Event
from chalicelib.domain.questions import ANSWER_COUNT_PREFIX
from chalicelib.storage import dynamo
from chalicelib.storage.dynamo import from_dynamo, to_dynamo
from chalicelib.storage.keys import EVENT_SK, event_partition

EVENTS_INDEX = "gsi1"
EVENTS_PARTITION = "EVENTS"


def key(event_id: str) -> dict[str, str]:
    return {"pk": partition(event_id), "sk": EVENT_SK}


partition = event_partition


# Breakdowns of the counts live on the event item as flat number attributes, so a transaction
# can ADD to them without the attribute existing first (nested map paths would have to):
#   role#<role>#<metric>   per-role counts (domain.events.ROLE_METRICS)
#   gate#<gate>            heads checked in at a gate
#   tl#<bucket start>      heads checked in per 10-minute bucket
ROLE_PREFIX, GATE_PREFIX, TIMELINE_PREFIX = "role#", "gate#", "tl#"


def to_event(item: Mapping[str, Any] | None) -> Event | None:
    if not item:
        return None
    roles: dict[str, dict[str, int]] = {}
    gates: dict[str, int] = {}
    timeline: dict[str, int] = {}
    answered: dict[str, int] = {}
    for name, value in item.items():
        if name.startswith(ROLE_PREFIX):
            role, _, metric = name[len(ROLE_PREFIX) :].partition("#")
            roles.setdefault(role, {})[metric] = int(value)
        elif name.startswith(GATE_PREFIX):
            gates[name[len(GATE_PREFIX) :]] = int(value)
        elif name.startswith(TIMELINE_PREFIX):
            timeline[name[len(TIMELINE_PREFIX) :]] = int(value)
        elif name.startswith(ANSWER_COUNT_PREFIX):
            answered[name[len(ANSWER_COUNT_PREFIX) :]] = int(value)
    event = Event.from_mapping(item)
    if answered:
        event = event.changed(answer_counts=answered)
    return (
        event.changed(role_counts=roles, gate_heads=gates, timeline_heads=timeline)
        if roles or gates or timeline
        else event
    )


class CounterChanges:
    """Additions to an event's counters, as one `ADD` clause of an update expression."""

    def __init__(self) -> None:
        self.amounts: dict[str, int] = {}

    def add(self, attribute: str, amount: int) -> CounterChanges:
        if amount:
            self.amounts[attribute] = self.amounts.get(attribute, 0) + amount
        return self

    def answers(self, answers: Mapping[str, Any] | None, amount: int = 1) -> CounterChanges:
        """One more answer for each question answered (the `question_in_use` rule); -1 when an
        erasure removes them."""
        for question_id in answers or {}:
            self.add(f"{ANSWER_COUNT_PREFIX}{question_id}", amount)
        return self

    def role(self, role: str | None, metric: str, amount: int) -> CounterChanges:
        return self.add(f"{ROLE_PREFIX}{role}#{metric}", amount) if role else self

    def expression(self, names: dict[str, str], values: dict[str, Any]) -> str:
        """`ADD #c0 :c0, …` with its names and values filled in; '' when there is nothing to add."""
        parts = []
        for index, (attribute, amount) in enumerate(self.amounts.items()):
            names[f"#c{index}"] = attribute
            values[f":c{index}"] = amount
            parts.append(f"#c{index} :c{index}")
        return ("ADD " + ", ".join(parts)) if parts else ""


def put_new(event: Event) -> None:
    """Store a new event; EventAlreadyExists when its id is taken."""
    item = {
        **key(event.event_id),
        "type": "event",
        "gsi1pk": EVENTS_PARTITION,
        "gsi1sk": f"{event.created_at}#{event.event_id}",
        **{
            name: value
            for name, value in asdict(event).items()
            if name not in ("role_counts", "gate_heads", "timeline_heads", "answer_counts")
        },
    }
    try:
        dynamo.client().put_item(
            TableName=dynamo.table(), Item=to_dynamo(item), ConditionExpression="attribute_not_exists(pk)"
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            raise EventAlreadyExists(fields={"event_id": ["活动编号已被使用"]}) from error
        raise


def get(event_id: str, consistent: bool = False) -> Event | None:
    return to_event(dynamo.get(key(event_id), consistent))


def list_page(limit: int, start_key: dict[str, str] | None) -> tuple[list[Event], dict[str, str] | None]:
    """Newest events first, one page; the second value is where the next page starts."""
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "IndexName": EVENTS_INDEX,
        "KeyConditionExpression": "gsi1pk = :p",
        "ExpressionAttributeValues": {":p": {"S": EVENTS_PARTITION}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if start_key:
        kwargs["ExclusiveStartKey"] = to_dynamo(start_key)
    response = dynamo.client().query(**kwargs)
    items = [Event.from_mapping(from_dynamo(raw)) for raw in response.get("Items", [])]  # lists need no breakdowns
    last = response.get("LastEvaluatedKey")
    return items, (from_dynamo(last) if last else None)


def update_fields(
    event_id: str, changes: Mapping[str, Any], expected_version: int, unanswered: tuple[str, ...] = ()
) -> Event:
    """Apply an organiser's edit if nobody edited in between and capacity still covers the
    confirmed seats (`None` removes a field). Raises EventNotFound, CapacityBelowConfirmed,
    or EventChanged with the stored event when another edit came first."""
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
    for index, question_id in enumerate(unanswered):  # questions removed or retyped: still no answers
        names[f"#a{index}"] = f"{ANSWER_COUNT_PREFIX}{question_id}"
        values[":no_answers"] = 0  # erasures take answers away again
        condition += f" AND (attribute_not_exists(#a{index}) OR #a{index} <= :no_answers)"
    new_capacity = changes.get("capacity")
    if new_capacity is not None:
        names["#seats"] = "seats_confirmed"
        values[":newcap"] = new_capacity
        condition += " AND #seats <= :newcap"
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    try:
        updated = to_event(dynamo.update_checked(key(event_id), expression, condition, names, values))
    except dynamo.ConditionFailed as failed:
        stored = to_event(failed.stored)
        if stored is None:
            raise EventNotFound() from failed
        if new_capacity is not None and new_capacity < stored.seats_confirmed:
            raise CapacityBelowConfirmed(seats_confirmed=stored.seats_confirmed) from failed
        raise EventChanged(stored) from failed
    assert updated is not None
    return updated


def claim_waitlist_position(event_id: str) -> int:
    """The next place in the event's waitlist (an atomic counter); EventNotFound if it is gone."""
    try:
        response = dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(key(event_id)),
            UpdateExpression="ADD waitlist_seq :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            raise EventNotFound() from error
        raise
    return int(response["Attributes"]["waitlist_seq"]["N"])
