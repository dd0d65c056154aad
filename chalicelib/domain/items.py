"""Collector exchange (SPEC §8): a declared item as a record, its id, and its state machine.

    declared ─▶ received ─▶ exhibited ─▶ returned | exchanged | donated
                    └───────────────────▶ returned | exchanged | donated

Pure: no I/O. Storage applies a transition with one conditional write on the state read here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from chalicelib.domain.registrations import ITEM_INTENT_LABELS_ZH

DECLARED, RECEIVED, EXHIBITED = "declared", "received", "exhibited"
RETURNED, EXCHANGED, DONATED = "returned", "exchanged", "donated"
STATES = (DECLARED, RECEIVED, EXHIBITED, RETURNED, EXCHANGED, DONATED)
STATE_LABELS_ZH = {
    DECLARED: "已申报",
    RECEIVED: "已接收",
    EXHIBITED: "展出中",
    RETURNED: "已归还",
    EXCHANGED: "已交换",
    DONATED: "已捐赠",
}
# What the intake desk's buttons say for each target state.
ACTION_LABELS_ZH = {RECEIVED: "接收", EXHIBITED: "展出", RETURNED: "归还", EXCHANGED: "交换", DONATED: "捐赠"}
INTENT_LABELS_ZH = ITEM_INTENT_LABELS_ZH
FINAL_STATES = (RETURNED, EXCHANGED, DONATED)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    DECLARED: (RECEIVED,),
    RECEIVED: (EXHIBITED, *FINAL_STATES),
    EXHIBITED: FINAL_STATES,
}
assert set(STATE_LABELS_ZH) == set(STATES)

# Item ids: a per-event counter, C-0001, C-0002, … (C for 藏品 collection; short enough to
# write on a label by hand). Sort keys pad the number to 8 digits so they sort past C-9999.
ITEM_ID_PREFIX = "C-"
NOTE_MAX, RECIPIENT_MAX = 200, 60


def item_id_of(sequence: int) -> str:
    return f"{ITEM_ID_PREFIX}{sequence:04d}"


def sequence_of(item_id: str) -> int:
    return int(item_id[len(ITEM_ID_PREFIX) :])


def allowed(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, ())


def editable(state: str) -> bool:
    """The collector may still edit or withdraw an item only while it is merely declared."""
    return state == DECLARED


# What of an item identifies its owner's story: erasure removes these and keeps the facts of
# the object (id, name, category, era, intent, state, dates, recipient) for the museum's list.
PERSONAL_ITEM_FIELDS = ("note", "photo_key")


@dataclass(frozen=True)
class Item:
    event_id: str
    item_id: str
    registration_id: str
    name: str
    intent: str
    state: str = DECLARED
    category: str | None = None
    era: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    received_at: str | None = None
    recipient: str | None = None
    note: str | None = None  # the latest transition's note
    photo_key: str | None = None
    declared_at: str | None = None
    updated_at: str | None = None
    expires_at: int | None = None
    erased: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Item:
        known = {name: data[name] for name in _ITEM_FIELDS if data.get(name) is not None}
        return cls(**known)

    @property
    def declared(self) -> dict[str, Any]:
        """The item as the registration's list holds it (the declared shape, with its id)."""
        shown = {"item_id": self.item_id, "name": self.name, "intent": self.intent}
        for name in ("category", "era"):
            value = getattr(self, name)
            if value:
                shown[name] = value
        return shown

    @property
    def donated_at(self) -> str | None:
        return next((entry["at"] for entry in reversed(self.history) if entry.get("to") == DONATED), None)


_ITEM_FIELDS = tuple(f.name for f in fields(Item))


def history_entry(at: str, actor: str, from_state: str, to_state: str, note: str | None) -> dict[str, Any]:
    entry = {"at": at, "actor": actor, "from": from_state, "to": to_state}
    if note:
        entry["note"] = note
    return entry


def same_declaration(item: Item, wanted: Mapping[str, Any]) -> bool:
    """Whether an entry of a replacement list leaves the item as it is."""
    return (
        item.name == wanted.get("name")
        and item.intent == wanted.get("intent")
        and (item.category or None) == (wanted.get("category") or None)
        and (item.era or None) == (wanted.get("era") or None)
    )


@dataclass(frozen=True)
class ItemsPlan:
    """What a replacement of the declared list writes: new items, edits of declared ones,
    withdrawals of declared ones; items past `declared` stay as they are."""

    new: list[Item]
    edited: list[Item]
    withdrawn: list[Item]
    result: list[Item]  # the whole list afterwards, in the order given (kept ones first)


def plan_replacement(
    current: list[Item], wanted: list[Mapping[str, Any]], new_items: list[Item]
) -> tuple[ItemsPlan | None, dict[str, list[str]]]:
    """Match the wanted list against the stored items. `new_items` are the records for the
    entries without an item_id (ids already drawn), in order. Returns the plan or field errors."""
    by_id = {item.item_id: item for item in current}
    errors: dict[str, list[str]] = {}
    edited, kept_ids, result = [], set(), []
    fresh = iter(new_items)
    for index, entry in enumerate(wanted):
        item_id = entry.get("item_id")
        if item_id is None:
            result.append(next(fresh))
            continue
        stored = by_id.get(item_id)
        if stored is None or item_id in kept_ids:
            errors[f"items.{index}.item_id"] = ["没有这件藏品，或重复列出"]
            continue
        kept_ids.add(item_id)
        if same_declaration(stored, entry):
            result.append(stored)
            continue
        if not editable(stored.state):
            errors[f"items.{index}.item_id"] = [f"该藏品{STATE_LABELS_ZH[stored.state]}，不能再修改"]
            continue
        changed = Item.from_mapping(
            {
                **_as_mapping(stored),
                "name": entry["name"],
                "intent": entry["intent"],
                "category": entry.get("category") or None,
                "era": entry.get("era") or None,
            }
        )
        edited.append(changed)
        result.append(changed)
    withdrawn = []
    for item in current:
        if item.item_id in kept_ids:
            continue
        if editable(item.state):
            withdrawn.append(item)
        else:
            result.insert(0, item)  # received or later: it stays, whatever the list says
    if errors:
        return None, errors
    return ItemsPlan(list(new_items), edited, withdrawn, result), {}


def _as_mapping(item: Item) -> dict[str, Any]:
    return {name: getattr(item, name) for name in _ITEM_FIELDS}
