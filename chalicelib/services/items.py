"""Collector items (SPEC §8): ids at registration, the collector's edits of the declared list,
the intake desk's transitions, lookups by ticket or tag, item tags, erasure of their owner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from chalicelib.config import settings
from chalicelib.domain import audit, clock, normalize, tokens
from chalicelib.domain.access import Caller
from chalicelib.domain.errors import (
    InvalidTransition,
    ItemChanged,
    ItemNotFound,
    ItemsLocked,
    PhotoNotAllowed,
    RegistrationChanged,
    ServiceUnavailable,
    TicketNotFound,
    ValidationFailed,
    WriteConflict,
)
from chalicelib.domain.events import COLLECTOR_EXCHANGE, Event
from chalicelib.domain.ids import ITEM_ID
from chalicelib.domain.items import (
    DECLARED,
    DONATED,
    RECEIVED,
    STATE_LABELS_ZH,
    Item,
    allowed,
    history_entry,
    item_id_of,
    plan_replacement,
)
from chalicelib.domain.photos import VIEW_SECONDS
from chalicelib.domain.registrations import CANCELLED, MAX_ITEMS, Registration
from chalicelib.schemas import items as item_schemas
from chalicelib.schemas.fields import load
from chalicelib.services import audit as audit_log
from chalicelib.services import events
from chalicelib.services.retry import MAX_ATTEMPTS, backoff
from chalicelib.storage import items as item_store
from chalicelib.storage import photos as photo_store
from chalicelib.storage import registrations as registration_store


def with_item_ids(event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """A registration's validated body whose declared items carry fresh ids (one counter
    update for all of them; numbers of a registration that then fails are simply skipped)."""
    declared = data.get("items") or []
    if not declared:
        return data
    first = item_store.claim_sequences(event_id, len(declared))
    return {**data, "items": [{**entry, "item_id": item_id_of(first + i)} for i, entry in enumerate(declared)]}


def item_token(item: Item) -> str:
    return tokens.mint_item_token(item.event_id, item.item_id)


def item_url(event_id: str, item_id: str) -> str:
    return f"{settings().public_base_url}/i/{tokens.mint_item_token(event_id, item_id)}"


def shown(item: Item) -> dict[str, Any]:
    """An item as replies show it to staff, the admin or its collector: with its photo's
    short-lived URL (a presigned GET; None without a photo)."""
    url = photo_store.view_url(item.photo_key, VIEW_SECONDS) if item.photo_key else None
    return {**asdict(item), "photo_url": url}


# --- the collector's view (ticket) -------------------------------------------------------------


def items_of(registration: Registration) -> list[Item]:
    """The registration's items in its declared order, with their current states. Entries
    declared before items had records show as declared, without an id."""
    declared = registration.items or []
    ids = [entry["item_id"] for entry in declared if entry.get("item_id")]
    stored = {item.item_id: item for item in item_store.get_many(registration.event_id, ids)}
    shown = []
    for entry in declared:
        item = stored.get(entry.get("item_id") or "")
        if item is None:
            item = Item(
                event_id=registration.event_id,
                item_id=entry.get("item_id") or "",
                registration_id=registration.registration_id,
                name=entry.get("name", ""),
                intent=entry.get("intent", ""),
                category=entry.get("category"),
                era=entry.get("era"),
            )
        shown.append(item)
    return shown


def _ticket_registration(token: str) -> tuple[Registration, Event, int]:
    opened = tokens.open_ticket(token)
    if opened is None:
        raise TicketNotFound()
    registration, revision = item_store.registration_with_revision(*opened)
    if registration is None or registration.erased:
        raise TicketNotFound()
    return registration, events.require_event(opened[0]), revision


def replace_items(token: str, body: Any) -> list[dict[str, Any]]:
    """PUT /tickets/{token}/items: the collector's new declared list, until the event starts.
    Entries with an item_id edit that item (if still only declared); items already received
    stay whatever the list says; declared items left out are withdrawn."""
    data = load(item_schemas.ITEMS_REPLACE, body)
    for attempt in range(MAX_ATTEMPTS):
        registration, event, revision = _ticket_registration(token)
        if event.kind != COLLECTOR_EXCHANGE:
            raise ValidationFailed(fields={"items": ["本活动不登记藏品"]})
        if registration.status == CANCELLED or clock.now() >= clock.parse_iso(event.starts_at):
            raise ItemsLocked()
        current = item_store.of_registration(event.event_id, registration.registration_id)
        wanted = data["items"]
        fresh_count = sum(1 for entry in wanted if not entry.get("item_id"))
        listed = {entry.get("item_id") for entry in wanted if entry.get("item_id")}
        kept_unlisted = sum(1 for item in current if item.state != DECLARED and item.item_id not in listed)
        if len(wanted) + kept_unlisted > MAX_ITEMS:
            raise ValidationFailed(fields={"items": [f"最多登记 {MAX_ITEMS} 件藏品（含已接收的）"]})
        stamp = clock.now_iso()
        first = item_store.claim_sequences(event.event_id, fresh_count) if fresh_count else 0
        new_items = [
            Item(
                event_id=event.event_id,
                item_id=item_id_of(first + index),
                registration_id=registration.registration_id,
                name=entry["name"],
                intent=entry["intent"],
                category=entry.get("category") or None,
                era=entry.get("era") or None,
                declared_at=stamp,
                updated_at=stamp,
                expires_at=registration.expires_at,
            )
            for index, entry in enumerate(entry for entry in wanted if not entry.get("item_id"))
        ]
        plan, errors = plan_replacement(current, wanted, new_items)
        if plan is None:
            raise ValidationFailed(fields=errors)
        edited = [replace(item, updated_at=stamp) for item in plan.edited]
        try:
            item_store.replace_declared(
                registration, revision, [item.declared for item in plan.result], plan.new, edited, plan.withdrawn
            )
        except (RegistrationChanged, ItemChanged, WriteConflict):
            backoff(attempt)  # the list, the registration or an item moved meanwhile: decide again
            continue
        return [shown(item) for item in plan.result]
    raise ServiceUnavailable()


def collector_item(token: str, item_id: str) -> tuple[Item, Event]:
    """An item its collector may still give a photo from the ticket: theirs, merely declared,
    while the list may be edited (a collector exchange, not cancelled, before the event starts)."""
    registration, event, _ = _ticket_registration(token)
    if event.kind != COLLECTOR_EXCHANGE:
        raise ItemNotFound()
    if registration.status == CANCELLED or clock.now() >= clock.parse_iso(event.starts_at):
        raise ItemsLocked()
    item = require_item(event.event_id, item_id)
    if item.registration_id != registration.registration_id:
        raise ItemNotFound()
    if item.state != DECLARED:
        raise PhotoNotAllowed(f"该藏品{STATE_LABELS_ZH.get(item.state, item.state)}，照片请到接收台更换")
    return item, event


# --- the desk ----------------------------------------------------------------------------------


def require_item(event_id: str, item_id: str) -> Item:
    item = item_store.get(event_id, item_id) if ITEM_ID.fullmatch(item_id or "") else None
    if item is None:
        raise ItemNotFound()
    return item


def get_item(event_id: str, item_id: str) -> dict[str, Any]:
    events.require_event(event_id)
    return shown(require_item(event_id, item_id))


def transition(event_id: str, item_id: str, body: Any, caller: Caller) -> dict[str, Any]:
    """One conditional write on the state read: of two desks moving an item at once, exactly
    one succeeds; the other gets invalid_transition from the state the first one left."""
    data = load(item_schemas.TRANSITION, body)
    event = events.require_event(event_id)
    item = require_item(event_id, item_id)
    to_state = data["to"]
    if data.get("recipient") and to_state != DONATED:
        raise ValidationFailed(fields={"recipient": ["仅在捐赠时填写受赠单位"]})
    if to_state == DONATED and not data.get("recipient"):
        raise ValidationFailed(fields={"recipient": ["捐赠须填写受赠单位，如 遵义市红色收藏博物馆"]})
    if not allowed(item.state, to_state) or data.get("from_", item.state) != item.state:
        raise _refused(item.state, to_state)
    at = clock.now_iso()
    note = data.get("note") or None
    sets: dict[str, Any] = {"updated_at": at}
    removes: tuple[str, ...] = ()
    if note:
        sets["note"] = note
    else:
        removes = ("note",)
    if to_state == RECEIVED:
        sets["received_at"] = at
    if to_state == DONATED:
        sets["recipient"] = data["recipient"]
    entry = history_entry(at, caller.actor, item.state, to_state, note)
    try:
        moved = item_store.transition(item, to_state, entry, sets, removes)
    except ItemChanged as changed:
        if changed.item is None:
            raise ItemNotFound() from changed
        raise _refused(changed.item.state, to_state) from changed
    audit_log.record(event, caller.actor, audit.ITEM_TRANSITION, item_id, f"{item.state}→{to_state}")
    return shown(moved)


def _refused(from_state: str, to_state: str) -> InvalidTransition:
    return InvalidTransition(
        from_state,
        to_state,
        f"该藏品{STATE_LABELS_ZH.get(from_state, from_state)}，不能改为“{STATE_LABELS_ZH[to_state]}”",
    )


@dataclass(frozen=True)
class Collector:
    registration_id: str
    name: str | None
    phone_masked: str | None
    status: str


@dataclass(frozen=True)
class DeskView:
    """What the desk shows after a scan: the collector and their items (`item_id` when a tag was scanned)."""

    collector: Collector | None
    items: list[dict[str, Any]]  # shown(item): with photo_url
    item_id: str | None = None


def _collector(registration: Registration | None) -> Collector | None:
    if registration is None:
        return None
    return Collector(
        registration.registration_id,
        registration.name,
        normalize.mask_phone(registration.phone) if registration.phone else None,
        registration.status,
    )


def _code_token(code: str, marker: str) -> str:
    """The token inside a scanned URL (…/t/TOKEN or …/i/TOKEN), else the text itself."""
    text = code.strip()
    if f"/{marker}/" in text:
        text = text.rsplit(f"/{marker}/", 1)[1]
    return text.split("?")[0].split("#")[0].strip("/")


def lookup(event_id: str, body: Any) -> DeskView:
    """A scanned ticket → the collector and all their items; a scanned item tag → that item
    (with its collector's other items)."""
    data = load(item_schemas.DESK_LOOKUP, body)
    events.require_event(event_id)
    code = data["code"]
    opened_item = tokens.open_item_token(_code_token(code, "i"))
    if opened_item is not None:
        if opened_item[0] != event_id:
            raise ItemNotFound("这是另一场活动的藏品标签")
        item = require_item(event_id, opened_item[1])
        registration = registration_store.get(event_id, item.registration_id, consistent=True)
        others = item_store.of_registration(event_id, item.registration_id)
        return DeskView(_collector(registration), [shown(each) for each in others or [item]], item.item_id)
    opened_ticket = tokens.open_ticket(_code_token(code, "t"))
    if opened_ticket is None:
        raise TicketNotFound("无法识别：不是本系统的电子票或藏品标签")
    if opened_ticket[0] != event_id:
        raise TicketNotFound("这是另一场活动的电子票")
    registration = registration_store.get(event_id, opened_ticket[1], consistent=True)
    if registration is None or registration.erased:
        raise TicketNotFound()
    found = item_store.of_registration(event_id, registration.registration_id)
    return DeskView(_collector(registration), [shown(item) for item in found])


def list_items(event_id: str, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """The event's items (filtered by state, intent, registration), each with its collector's
    name (None once erased) for the desk and the console."""
    params = load(item_schemas.ITEM_LIST_QUERY, dict(query))
    events.require_event(event_id)
    found = list(
        item_store.all_of_event(
            event_id,
            state=params.get("state", ""),
            intent=params.get("intent", ""),
            registration_id=params.get("registration_id", ""),
        )
    )
    names: dict[str, str | None] = {}
    owners = list(dict.fromkeys(item.registration_id for item in found))
    for start in range(0, len(owners), 100):
        for registration in registration_store.get_many(event_id, owners[start : start + 100]):
            names[registration.registration_id] = None if registration.erased else registration.name
    return [{**shown(item), "collector_name": names.get(item.registration_id)} for item in found]


def tag_png(event_id: str, item_id: str) -> bytes:
    """The item's label: a QR code of its signed URL with its id and name printed under it."""
    from chalicelib.formats import tags  # qrcode and the glyph table: only this route needs them

    events.require_event(event_id)
    item = require_item(event_id, item_id)
    return tags.render_tag(item_url(event_id, item.item_id), item.item_id, item.name)


@dataclass(frozen=True)
class ItemPage:
    item: Item
    event: Event


def item_page(token: str) -> ItemPage:
    """/i/{token}: what a tag's URL opens."""
    opened = tokens.open_item_token(token)
    if opened is None:
        raise ItemNotFound()
    event = events.require_event(opened[0])
    return ItemPage(require_item(*opened), event)


# --- erasure -----------------------------------------------------------------------------------


def erase_items_of(event_id: str, registration_id: str) -> None:
    """A collector's erasure reaches their items: items that never reached the desk go; the
    others keep the object's facts (for the museum's list) without notes or photo."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            for item in item_store.of_registration(event_id, registration_id):
                if item.state == DECLARED:
                    photo_store.delete_item_photos(event_id, item.item_id)  # the record goes: no later pass finds it
                    item_store.delete_declared(item)
                elif not item.erased:
                    history = [{k: v for k, v in entry.items() if k != "note"} for entry in item.history]
                    item_store.anonymise(item, history)
                # After the record: a photo confirmed meanwhile is refused (erased) or deleted here.
                # Also for items erased before, so a repeated erasure finishes an interrupted one.
                photo_store.delete_item_photos(event_id, item.item_id)
            return
        except ItemChanged:
            backoff(attempt)  # moved at a desk meanwhile: read again
    raise ServiceUnavailable()
