"""Registrations: statuses, the Registration record, rules that depend on the event, the waitlist order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from chalicelib.domain.events import KIND_ROLES, ROLE_LABELS_ZH, Event
from chalicelib.domain.normalize import mask_phone

CONFIRMED, WAITLISTED, CANCELLED = "confirmed", "waitlisted", "cancelled"
STATUSES = (CONFIRMED, WAITLISTED, CANCELLED)
STATUS_LABELS_ZH = {CONFIRMED: "已确认", WAITLISTED: "候补中", CANCELLED: "已取消"}
# What a participant sees on the ticket: checked_in wins over confirmed.
CHECKED_IN = "checked_in"
TICKET_STATUS_LABELS_ZH = {**STATUS_LABELS_ZH, CHECKED_IN: "已签到"}
ITEM_INTENTS = ("exhibit", "exchange", "donate")
ITEM_INTENT_LABELS_ZH = {"exhibit": "展示", "exchange": "交换", "donate": "捐赠"}
assert set(ITEM_INTENT_LABELS_ZH) == set(ITEM_INTENTS)
MAX_ITEMS = 20

# What identifies a person; erasure removes exactly these and keeps the anonymous rest.
# `search_terms` holds the characters of the name (the search index's keys).
# `idempotency_record` points at the record of the request that made it, which holds a MAC of
# the body (name and phone) for a day: erasure deletes that record too.
PERSONAL_FIELDS = (
    "name",
    "phone",
    "phone_guard",
    "city",
    "organization",
    "note",
    "items",
    "answers",
    "search_terms",
    "idempotency_record",
)

# How a registration came in.
FORM, INVITE, IMPORT = "form", "invite", "import"
SOURCES = (FORM, INVITE, IMPORT)
SOURCE_LABELS_ZH = {FORM: "报名表", INVITE: "邀请码", IMPORT: "名单导入"}


@dataclass(frozen=True)
class Registration:
    """One registration (a party of `party_size`) as stored; personal fields are None once erased."""

    registration_id: str
    event_id: str
    status: str
    role: str | None = None
    party_size: int = 1
    name: str | None = None
    phone: str | None = None
    phone_guard: str | None = None
    city: str | None = None
    organization: str | None = None
    note: str | None = None
    items: list[dict[str, Any]] | None = None
    registered_at: str | None = None
    consent_version: str | None = None
    consent_at: str | None = None
    expires_at: int | None = None
    waitlist_position: int | None = None
    promoted_at: str | None = None
    cancelled_at: str | None = None
    checked_in_at: str | None = None
    gate: str | None = None
    checkin_nonce: str | None = None
    checked_in_heads: int = 0
    checked_in_by: str | None = None
    source: str = FORM
    seat: str | None = None
    answers: dict[str, Any] | None = None
    companion_of: str | None = None  # a nominee's registration id (an invite code bound to them)
    invite_code_id: str | None = None  # the invite code it was made with
    import_id: str | None = None  # the import that wrote it (SPEC §6)
    lawful_basis: str | None = None  # None: consent on the form; organiser_import for an import
    search_terms: list[str] | None = None
    idempotency_record: str | None = None
    erased: bool = False
    erased_at: str | None = None
    # Award ceremonies (domain/awards.py): a nominee's award (companion_of above names a companion's nominee).
    award_id: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Registration:
        known = {name: data[name] for name in _REGISTRATION_FIELDS if data.get(name) is not None}
        if known.get("checked_in_at") and not known.get("checked_in_heads"):
            known["checked_in_heads"] = known.get("party_size", 1)  # checked in before heads were counted
        return cls(**known)

    @property
    def phone_masked(self) -> str | None:
        return mask_phone(self.phone) if self.phone else None

    @property
    def holds_seat_unused(self) -> bool:
        """A live registration whose ticket was not used yet: cancelling it frees what it holds."""
        return self.status != CANCELLED and not self.checked_in_at


_REGISTRATION_FIELDS = tuple(f.name for f in fields(Registration))


@dataclass(frozen=True)
class WaitlistEntry:
    position: int
    registration_id: str
    party_size: int
    role: str | None = None  # None on entries written before per-role counts existed
    public: bool = True  # a form registration: only the public share of the seats (SPEC §6)


@dataclass(frozen=True)
class TicketEvent:
    event_id: str
    title: str
    venue: str
    starts_at: str
    kind: str | None = None  # what the ticket page offers (a collector edits their items)


@dataclass(frozen=True)
class TicketView:
    """What the ticket's holder sees: the phone masked."""

    registration_id: str
    event: TicketEvent
    name: str
    phone_masked: str
    role: str
    party_size: int
    status: str
    checked_in_at: str | None
    seat: str | None = None
    items: list[Any] = field(default_factory=list)  # collector items with their states (SPEC §8)
    answers: list[dict[str, str]] = field(default_factory=list)  # [{question_id, label, answer}] (SPEC §6)

    @property
    def ticket_status(self) -> str:
        if self.checked_in_at and self.status != CANCELLED:
            return CHECKED_IN
        return self.status


@dataclass(frozen=True)
class IssuedTicket:
    """The reply to a registration: its status and where its ticket lives."""

    registration_id: str
    event_id: str
    status: str
    ticket_token: str
    ticket_url: str
    qr_png_url: str
    qr_svg_url: str


@dataclass(frozen=True)
class Cancelled:
    status: str = CANCELLED


def registration_field_errors(event: Event, registration: Mapping[str, Any]) -> dict[str, list[str]]:
    """Rules that depend on the event: its roles and its party-size limit."""
    errors: dict[str, list[str]] = {}
    roles = event.roles or KIND_ROLES[event.kind]
    if registration["role"] not in roles:
        labels = "、".join(ROLE_LABELS_ZH.get(role, role) for role in roles)
        errors["role"] = [f"本活动可选的身份：{labels}"]
    limit = event.max_party_size or 1
    if registration.get("party_size", 1) > limit:
        errors["party_size"] = [f"每份报名最多 {limit} 人"]
    return errors


def first_promotable(
    free_seats: int, waiting: Sequence[WaitlistEntry], free_public_seats: int | None = None
) -> WaitlistEntry | None:
    """The oldest waiting party that fits the free seats; `waiting` in waitlist order.
    A public entry also has to fit `free_public_seats` (capacity − reserved − public seats held).

    A large party that doesn't fit doesn't block smaller ones behind it.
    """
    for entry in waiting:
        limit = free_seats if free_public_seats is None or not entry.public else min(free_seats, free_public_seats)
        if entry.party_size <= limit:
            return entry
    return None
