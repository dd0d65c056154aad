"""Item photos (SPEC §8, optional per item): a presigned POST for the browser to send the photo
straight to S3 (never through Lambda), then the confirmation that checks what arrived and makes
it the item's photo. Staff of the event (the desk) and the admin may do both."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.domain import audit, clock
from chalicelib.domain.access import Caller
from chalicelib.domain.errors import (
    ItemChanged,
    ItemNotFound,
    PhotoNotAllowed,
    PhotoNotUploaded,
    PhotoRejected,
    ServiceUnavailable,
    ValidationFailed,
)
from chalicelib.domain.events import Event
from chalicelib.domain.items import DECLARED, Item
from chalicelib.domain.photos import (
    PHOTO_MAX_BYTES,
    UPLOAD_SECONDS,
    PhotoUpload,
    declared_type,
    is_upload_key_of,
    photo_key_of,
    refusal,
    upload_key,
)
from chalicelib.schemas import photos as photo_schemas
from chalicelib.schemas.fields import load
from chalicelib.services import audit as audit_log
from chalicelib.services import events, items
from chalicelib.services.retry import MAX_ATTEMPTS, backoff
from chalicelib.storage import photos as photo_store

SNIFF_BYTES = 8


def _photo_item(event_id: str, item_id: str) -> Item:
    item = items.require_item(event_id, item_id)
    if item.erased:
        raise PhotoNotAllowed()
    return item


def presign_upload(event_id: str, item_id: str, body: Any) -> PhotoUpload:
    """POST …/items/{item_id}/photo-upload {content_type, size?}: where and how to upload.
    The policy fixes the key (under the item's `uploads/` prefix), the type, and 1 B – 5 MiB."""
    data = load(photo_schemas.PHOTO_UPLOAD_REQUEST, body)
    events.require_event(event_id)
    return _grant(_photo_item(event_id, item_id), data["content_type"])


def presign_for_ticket(token: str, item_id: str, body: Any) -> PhotoUpload:
    """The same from the collector's ticket, for one of their items while it is only declared
    and the list may still be edited (until the event starts)."""
    data = load(photo_schemas.PHOTO_UPLOAD_REQUEST, body)
    item, _ = items.collector_item(token, item_id)
    return _grant(item, data["content_type"])


def _grant(item: Item, content_type: str) -> PhotoUpload:
    key = upload_key(item.event_id, item.item_id, secrets.token_urlsafe(16), content_type)
    post = photo_store.presign_post(key, content_type, PHOTO_MAX_BYTES, UPLOAD_SECONDS)
    return PhotoUpload(post["url"], post["fields"], key, content_type, PHOTO_MAX_BYTES, UPLOAD_SECONDS)


def attach(event_id: str, item_id: str, body: Any, caller: Caller) -> dict[str, Any]:
    """POST …/items/{item_id}/photo {key}: the uploaded object is checked (there, ≤ 5 MiB, JPEG or
    PNG by its type and first bytes; a bad one is deleted), copied to `photos/`, and named the
    item's photo by one conditional write; the previous photo and the upload are then deleted."""
    data = load(photo_schemas.PHOTO_ATTACH, body)
    event = events.require_event(event_id)
    return _attach(event, items.require_item(event_id, item_id), data["key"], caller.actor)


def attach_for_ticket(token: str, item_id: str, body: Any) -> dict[str, Any]:
    """The collector confirms a photo of a declared item from the ticket; the write also requires
    the item to be still only declared (a desk that received it meanwhile wins)."""
    data = load(photo_schemas.PHOTO_ATTACH, body)
    item, event = items.collector_item(token, item_id)
    return _attach(event, item, data["key"], audit.COLLECTOR, only_declared=True)


def _attach(event: Event, item: Item, key: str, actor: str, only_declared: bool = False) -> dict[str, Any]:
    event_id, item_id = item.event_id, item.item_id
    if not is_upload_key_of(key, event_id, item_id):
        raise ValidationFailed(fields={"key": ["不是本藏品的照片上传地址"]})
    if item.erased:
        photo_store.delete(key)  # granted before the erasure, sent after it: not kept
        raise PhotoNotAllowed()
    target = photo_key_of(key)
    if item.photo_key == target:
        return items.shown(item)  # confirmed already (a retried request)
    found = photo_store.head(key)
    if found is None:
        raise PhotoNotUploaded()
    size, stored_type = found
    head = photo_store.first_bytes(key, SNIFF_BYTES) if 0 < size <= PHOTO_MAX_BYTES else b""
    why = refusal(size, stored_type, head, key)
    if why:
        photo_store.delete(key)
        raise PhotoRejected(why)
    photo_store.copy(key, target, declared_type(key))
    for attempt in range(MAX_ATTEMPTS):
        try:
            updated = photo_store.set_photo(item, target, clock.now_iso(), DECLARED if only_declared else None)
            break
        except ItemChanged as changed:
            if changed.item is None or changed.item.erased or (only_declared and changed.item.state != DECLARED):
                photo_store.delete(key, target)  # erased, gone or received meanwhile: keep nothing
                raise (ItemNotFound() if changed.item is None else PhotoNotAllowed()) from changed
            item = changed.item  # another photo was confirmed meanwhile: this later one replaces it
            backoff(attempt)
    else:
        photo_store.delete(target)
        raise ServiceUnavailable()
    replaced = item.photo_key if item.photo_key and item.photo_key != target else ""
    photo_store.delete(key, replaced)
    audit_log.record(event, actor, audit.ITEM_PHOTO, item_id)
    return items.shown(updated)


def forget_removed(records: list[dict[str, Any] | None]) -> int:
    """The table's stream says these records were deleted (retention's TTL, above all): an item
    record's deletion takes its photos with it. Returns how many objects went."""
    return sum(
        photo_store.delete_item_photos(event_id, item_id) for event_id, item_id in photo_store.removed_items(records)
    )
