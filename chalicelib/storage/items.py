"""Collector items (SPEC §8): one item per declared object in the event's partition,
  item  pk=EVENT#<event_id>  sk=ITEM#<8-digit sequence>   (item_id C-0001 is the sequence)
written in the registration's transaction, then moved between states by one conditional
write each (the state read is the condition), with the history appended in the same write."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.errors import EventNotFound, ItemChanged, RegistrationChanged, WriteConflict
from chalicelib.domain.items import PERSONAL_ITEM_FIELDS, Item, sequence_of
from chalicelib.domain.registrations import CANCELLED, Registration
from chalicelib.storage import dynamo
from chalicelib.storage import events as event_items
from chalicelib.storage import registrations as registration_items
from chalicelib.storage.dynamo import TransactionCancelled, from_dynamo, put_new, to_dynamo

ITEM_PREFIX = "ITEM#"
SEQUENCE_ATTRIBUTE = "item_seq"  # on the event item: the last item number drawn
REVISION_ATTRIBUTE = "items_rev"  # on the registration item: bumped by each replacement of its list


def key(event_id: str, item_id: str) -> dict[str, str]:
    return {"pk": event_items.partition(event_id), "sk": f"{ITEM_PREFIX}{sequence_of(item_id):08d}"}


def to_item(raw: dict[str, Any] | None) -> Item | None:
    return Item.from_mapping(raw) if raw else None


def _record(item: Item) -> dict[str, Any]:
    fields = asdict(item)
    if not fields["erased"]:
        del fields["erased"]
    return {**key(item.event_id, item.item_id), "type": "item", **fields}


def records_of(registration: Registration) -> list[Item]:
    """The item records of a new registration, from its declared list (whose entries carry ids)."""
    return [
        Item(
            event_id=registration.event_id,
            item_id=entry["item_id"],
            registration_id=registration.registration_id,
            name=entry["name"],
            intent=entry["intent"],
            category=entry.get("category") or None,
            era=entry.get("era") or None,
            declared_at=registration.registered_at,
            updated_at=registration.registered_at,
            expires_at=registration.expires_at,
        )
        for entry in registration.items or ()
        if entry.get("item_id")
    ]


def puts_for(registration: Registration) -> list[dict[str, Any]]:
    """Transaction actions creating the item records of a new registration."""
    return [put_new(_record(item)) for item in records_of(registration)]


def claim_sequences(event_id: str, count: int) -> int:
    """Draw `count` item numbers from the event's counter; returns the first. EventNotFound if gone."""
    try:
        response = dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(event_items.key(event_id)),
            UpdateExpression="ADD #seq :n",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#seq": SEQUENCE_ATTRIBUTE},
            ExpressionAttributeValues=to_dynamo({":n": count}),
            ReturnValues="UPDATED_NEW",
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            raise EventNotFound() from error
        raise
    return int(response["Attributes"][SEQUENCE_ATTRIBUTE]["N"]) - count + 1


def get(event_id: str, item_id: str, consistent: bool = True) -> Item | None:
    return to_item(dynamo.get(key(event_id, item_id), consistent))


def get_many(event_id: str, item_ids: list[str]) -> list[Item]:
    """The items with these ids (at most 100), in the order given; missing ones left out."""
    if not item_ids:
        return []
    table = dynamo.table()
    pending: dict[str, Any] = {
        table: {
            "Keys": [to_dynamo(key(event_id, item_id)) for item_id in dict.fromkeys(item_ids)],
            "ConsistentRead": True,
        }
    }
    found: dict[str, Item] = {}
    while pending:
        response = dynamo.client().batch_get_item(RequestItems=pending)
        for raw in response.get("Responses", {}).get(table, []):
            item = Item.from_mapping(from_dynamo(raw))
            found[item.item_id] = item
        pending = response.get("UnprocessedKeys") or {}
    return [found[item_id] for item_id in item_ids if item_id in found]


def _query(event_id: str, filters: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {":pk": event_items.partition(event_id), ":item": ITEM_PREFIX}
    kwargs: dict[str, Any] = {
        "TableName": dynamo.table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :item)",
        "ConsistentRead": True,
    }
    conditions, names = [], {}
    for index, (attribute, value) in enumerate(filters.items()):
        names[f"#f{index}"] = attribute
        values[f":f{index}"] = value
        conditions.append(f"#f{index} = :f{index}")
    if conditions:
        kwargs["FilterExpression"] = " AND ".join(conditions)
        kwargs["ExpressionAttributeNames"] = names
    kwargs["ExpressionAttributeValues"] = to_dynamo(values)
    return kwargs


def all_of_event(event_id: str, **filters: str) -> Iterator[Item]:
    """Every item of the event in item-id order, page by page; `filters` are attribute = value."""
    kwargs = _query(event_id, {name: value for name, value in filters.items() if value})
    while True:
        response = dynamo.client().query(**kwargs)
        for raw in response.get("Items", []):
            yield Item.from_mapping(from_dynamo(raw))
        last = response.get("LastEvaluatedKey")
        if last is None:
            return
        kwargs["ExclusiveStartKey"] = last


def of_registration(event_id: str, registration_id: str) -> list[Item]:
    """A registration's items, also after its personal data was erased (found by its id)."""
    return list(all_of_event(event_id, registration_id=registration_id))


def transition(
    item: Item, to_state: str, entry: dict[str, Any], sets: dict[str, Any], removes: tuple[str, ...]
) -> Item:
    """Move `item` from the state it was read in to `to_state`, appending `entry` to its history
    and setting `sets`, in one conditional write. ItemChanged(stored) when the state moved meanwhile."""
    names = {"#state": "state", "#history": "history"}
    values: dict[str, Any] = {":from": item.state, ":to": to_state, ":entry": [entry], ":empty": []}
    clauses = ["#state = :to", "#history = list_append(if_not_exists(#history, :empty), :entry)"]
    for index, (attribute, value) in enumerate(sets.items()):
        names[f"#s{index}"] = attribute
        values[f":s{index}"] = value
        clauses.append(f"#s{index} = :s{index}")
    expression = "SET " + ", ".join(clauses)
    if removes:
        for index, attribute in enumerate(removes):
            names[f"#r{index}"] = attribute
        expression += " REMOVE " + ", ".join(f"#r{index}" for index in range(len(removes)))
    condition = "attribute_exists(pk) AND #state = :from"
    try:
        updated = to_item(dynamo.update_checked(key(item.event_id, item.item_id), expression, condition, names, values))
    except dynamo.ConditionFailed as failed:
        raise ItemChanged(to_item(failed.stored)) from failed
    assert updated is not None
    return updated


def registration_with_revision(event_id: str, registration_id: str) -> tuple[Registration | None, int]:
    """The registration (strongly consistent) and the revision of its declared list."""
    raw = dynamo.get(registration_items.key(event_id, registration_id), consistent=True)
    if raw is None:
        return None, 0
    return Registration.from_mapping(raw), int(raw.get(REVISION_ATTRIBUTE, 0))


def replace_declared(
    registration: Registration,
    revision: int,
    declared: list[dict[str, Any]],
    new: list[Item],
    edited: list[Item],
    withdrawn: list[Item],
) -> None:
    """The registration's declared list and its item records, in one transaction: only if the
    list is still at `revision`, the registration still live, and every edited or withdrawn item
    still merely declared. RegistrationChanged / ItemChanged / WriteConflict otherwise."""
    names = {"#items": "items", "#rev": REVISION_ATTRIBUTE, "#status": "status"}
    values: dict[str, Any] = {":next": revision + 1, ":cancelled": CANCELLED}
    if revision:
        values[":rev"] = revision
    if declared:
        values[":items"] = declared
        update = "SET #items = :items, #rev = :next"
    else:
        update = "SET #rev = :next REMOVE #items"
    actions: list[dict[str, Any]] = [
        {
            "Update": {
                "Key": to_dynamo(registration_items.key(registration.event_id, registration.registration_id)),
                "UpdateExpression": update,
                "ConditionExpression": (
                    "attribute_exists(pk) AND #status <> :cancelled AND attribute_not_exists(erased) AND "
                    + ("#rev = :rev" if revision else "attribute_not_exists(#rev)")
                ),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_dynamo(values),
            }
        },
        *(put_new(_record(item)) for item in new),
    ]
    declared_only = {
        "ConditionExpression": "#state = :declared",
        "ExpressionAttributeNames": {"#state": "state"},
        "ExpressionAttributeValues": to_dynamo({":declared": "declared"}),
    }
    for item in edited:
        record = _record(item)
        actions.append({"Put": {"Item": to_dynamo(record), **declared_only}})
    for item in withdrawn:
        actions.append({"Delete": {"Key": to_dynamo(key(item.event_id, item.item_id)), **declared_only}})
    try:
        dynamo.transact(actions)
    except TransactionCancelled as cancelled:
        reasons = cancelled.cancellation
        if reasons.failed(0):
            raise RegistrationChanged(None) from cancelled
        if any(reasons.failed(i) for i in range(1, len(reasons.codes))):
            raise ItemChanged(None) from cancelled
        raise WriteConflict() from cancelled


def anonymise(item: Item, history: list[dict[str, Any]]) -> None:
    """Drop what of an item tells its owner's story (notes, photo); keep the object's facts.
    ItemChanged when it moved meanwhile (read again and retry)."""
    names = {"#state": "state", "#history": "history"}
    values: dict[str, Any] = {":state": item.state, ":history": history, ":true": True}
    removes = []
    for index, attribute in enumerate(PERSONAL_ITEM_FIELDS):
        names[f"#p{index}"] = attribute
        removes.append(f"#p{index}")
    try:
        dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=to_dynamo(key(item.event_id, item.item_id)),
            UpdateExpression="SET #history = :history, erased = :true REMOVE " + ", ".join(removes),
            ConditionExpression="attribute_exists(pk) AND #state = :state",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_dynamo(values),
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            raise ItemChanged(None) from error
        raise


def delete_declared(item: Item) -> None:
    """Remove an item that never reached the desk; ItemChanged if it was received meanwhile."""
    try:
        dynamo.client().delete_item(
            TableName=dynamo.table(),
            Key=to_dynamo(key(item.event_id, item.item_id)),
            ConditionExpression="#state = :declared",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_dynamo({":declared": "declared"}),
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            raise ItemChanged(None) from error
        raise
