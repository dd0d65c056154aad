"""Events: kinds and roles, the Event record, its consistency rules, seats and registration window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.clock import SHANGHAI, parse_iso
from chalicelib.domain.gate import CheckinList, checkin_lists, list_errors
from chalicelib.domain.questions import question_field_errors

AWARD_CEREMONY = "award_ceremony"
COLLECTOR_EXCHANGE = "collector_exchange"
KIND_ROLES: dict[str, tuple[str, ...]] = {
    AWARD_CEREMONY: ("nominee", "family", "guest", "media", "volunteer", "audience"),
    COLLECTOR_EXCHANGE: ("collector", "visitor", "media", "volunteer"),
}
KINDS = tuple(KIND_ROLES)
KIND_LABELS_ZH = {AWARD_CEREMONY: "颁奖典礼", COLLECTOR_EXCHANGE: "收藏交流会"}  # SPEC §4
ROLE_LABELS_ZH = {
    "nominee": "候选人",
    "family": "家属",
    "guest": "嘉宾",
    "media": "媒体",
    "volunteer": "志愿者",
    "audience": "观众",
    "collector": "藏家",
    "visitor": "参观者",
}
DEFAULT_RETENTION_DAYS = 180
STAFF_VALID_AFTER_EVENT = timedelta(days=1)

# Registration states of an event as a participant sees them on its form.
NOT_OPEN, OPEN, WAITLIST, FULL, CLOSED = "not_open", "open", "waitlist", "full", "closed"


@dataclass(frozen=True)
class EventCounts:
    seats_confirmed: int
    seats_remaining: int
    waitlisted: int
    checked_in: int


# Per-role counters kept on the event item (see storage/events.py).
ROLE_METRICS = ("confirmed", "waitlisted", "checked_in", "seats_confirmed", "checked_in_heads")
TIMELINE_BUCKET_MINUTES = 10
NO_GATE = "未填写"  # the gate of a check-in that named none


@dataclass(frozen=True)
class TimelineBucket:
    at: str  # the bucket's start, ISO 8601 +08:00
    heads: int


@dataclass(frozen=True)
class EventStats:
    confirmed: int
    waitlisted: int
    cancelled: int
    checked_in: int
    seats_confirmed: int
    seats_remaining: int
    checked_in_heads: int = 0
    by_role: dict[str, dict[str, int]] = field(default_factory=dict)
    by_gate: dict[str, int] = field(default_factory=dict)
    timeline: list[TimelineBucket] = field(default_factory=list)


@dataclass(frozen=True)
class Event:
    """An event as stored: what the organiser set, plus counters kept by conditional writes."""

    event_id: str
    kind: str
    title: str
    venue: str
    starts_at: str
    ends_at: str
    capacity: int
    registration_opens_at: str | None = None
    registration_closes_at: str | None = None
    waitlist: bool = True
    max_party_size: int = 1
    roles: list[str] = field(default_factory=list)
    retention_days: int = DEFAULT_RETENTION_DAYS
    verify_phone: bool = False  # registration needs an SMS code sent to the phone (SPEC §7)
    created_at: str | None = None
    updated_at: str | None = None
    # Phone guards of this event are keyed with this signing key, kept while the event lives.
    guard_kid: str | None = None
    version: int = 1
    seats_confirmed: int = 0
    confirmed_count: int = 0
    waitlisted_count: int = 0
    cancelled_count: int = 0
    checked_in_count: int = 0
    waitlist_seq: int = 0
    checked_in_heads: int = 0
    role_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    gate_heads: dict[str, int] = field(default_factory=dict)
    timeline_heads: dict[str, int] = field(default_factory=dict)
    # Check-in lists (SPEC §5): [{list_id, name, roles?}]; None means the default `main` only.
    checkin_lists: list[dict[str, Any]] | None = None
    # Award ceremonies: [{award_id, name, slots}] (domain/awards.py)
    awards: list[dict[str, Any]] = field(default_factory=list)
    # Guests known in advance (SPEC §6): roles only an invite code or an import can take, seats
    # the public can't take, and the seats public (form) registrations hold now.
    invite_only_roles: list[str] = field(default_factory=list)
    reserved_seats: int = 0
    public_seats_confirmed: int = 0
    # Custom questions (SPEC §6, domain/questions.py) and the answers stored per question.
    questions: list[dict[str, Any]] = field(default_factory=list)
    answer_counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Event:
        """The known fields of a stored item or a plain dict; absent counters are 0."""
        known = {name: data[name] for name in _EVENT_FIELDS if data.get(name) is not None}
        event = cls(**known)
        if not event.roles:
            event = replace(event, roles=list(KIND_ROLES.get(event.kind, ())))
        return event

    def changed(self, **changes: Any) -> Event:
        return replace(self, **changes)

    @property
    def seats_remaining(self) -> int:
        return max(self.capacity - self.seats_confirmed, 0)

    @property
    def counts(self) -> EventCounts:
        return EventCounts(self.seats_confirmed, self.seats_remaining, self.waitlisted_count, self.checked_in_count)

    @property
    def stats(self) -> EventStats:
        by_role = {
            role: {metric: self.role_counts.get(role, {}).get(metric, 0) for metric in ROLE_METRICS}
            for role in self.roles
        }
        for role, counts in self.role_counts.items():  # a role dropped from the event keeps its history
            by_role.setdefault(role, {metric: counts.get(metric, 0) for metric in ROLE_METRICS})
        timeline = [TimelineBucket(at, heads) for at, heads in sorted(self.timeline_heads.items()) if heads]
        return EventStats(
            self.confirmed_count,
            self.waitlisted_count,
            self.cancelled_count,
            self.checked_in_count,
            self.seats_confirmed,
            self.seats_remaining,
            self.checked_in_heads,
            by_role,
            dict(self.gate_heads),
            timeline,
        )

    @property
    def gate_lists(self) -> list[CheckinList]:
        """The check-in lists, `main` first and always present."""
        return checkin_lists(self.checkin_lists)

    @property
    def has_waiting(self) -> bool:
        return self.waitlisted_count > 0

    def fits_now(self, party_size: int) -> bool:
        """A newcomer gets a seat only if it is free and nobody is waiting for one (no jumping the queue)."""
        return self.seats_confirmed + party_size <= self.capacity and not (self.waitlist and self.has_waiting)

    @property
    def public_seat_limit(self) -> int:
        """The seats public (form) registrations may hold in all: capacity − reserved_seats."""
        return max(self.capacity - self.reserved_seats, 0)

    @property
    def public_seats_remaining(self) -> int:
        return max(min(self.capacity - self.seats_confirmed, self.public_seat_limit - self.public_seats_confirmed), 0)

    def fits_publicly(self, party_size: int) -> bool:
        """`fits_now` within the public share of the seats."""
        return self.fits_now(party_size) and self.public_seats_confirmed + party_size <= self.public_seat_limit

    def fits_privileged(self, party_size: int) -> bool:
        """Invited and imported guests may take any free seat up to capacity (the reserved ones too)."""
        return self.seats_confirmed + party_size <= self.capacity

    def invite_registration_is_open(self, moment: datetime) -> bool:
        """An invite code works until the event ends, whatever the public registration window."""
        return moment < parse_iso(self.ends_at)

    def registration_is_open(self, moment: datetime) -> bool:
        """Open from registration_opens_at (or always) until registration_closes_at (or the event's end)."""
        closes = self.registration_closes_at or self.ends_at
        if self.registration_opens_at and moment < parse_iso(self.registration_opens_at):
            return False
        return not (closes and moment >= parse_iso(closes))

    def registration_state(self, moment: datetime) -> str:
        """`not_open`, `closed`, `open`, `waitlist` (full, waitlist on) or `full` (no waitlist)."""
        if self.registration_opens_at and moment < parse_iso(self.registration_opens_at):
            return NOT_OPEN
        if not self.registration_is_open(moment):
            return CLOSED
        if self.public_seats_remaining > 0:
            return OPEN
        return WAITLIST if self.waitlist else FULL

    def staff_tokens_expire(self) -> datetime:
        """Gate links work until a day after the event ends (late scans, the clean-up)."""
        return parse_iso(self.ends_at) + STAFF_VALID_AFTER_EVENT

    def retention_expiry(self) -> int:
        """Epoch seconds when personal data of this event's registrations expires (the TTL)."""
        days = self.retention_days or DEFAULT_RETENTION_DAYS
        return int((parse_iso(self.ends_at) + timedelta(days=days)).timestamp())


_EVENT_FIELDS = tuple(f.name for f in fields(Event))
# What an organiser may change after creating an event (PATCH); kind and event_id are fixed.
EDITABLE_EVENT_FIELDS = (
    "title",
    "venue",
    "starts_at",
    "ends_at",
    "registration_opens_at",
    "registration_closes_at",
    "capacity",
    "waitlist",
    "max_party_size",
    "roles",
    "retention_days",
    "checkin_lists",
    "awards",
    "invite_only_roles",
    "reserved_seats",
    "verify_phone",
    "questions",
)


def event_field_errors(event: Mapping[str, Any]) -> dict[str, list[str]]:
    """Cross-field rules of an event's settings (times in order, roles of its kind)."""
    errors: dict[str, list[str]] = {}
    starts, ends = event.get("starts_at"), event.get("ends_at")
    opens, closes = event.get("registration_opens_at"), event.get("registration_closes_at")
    if starts and ends and parse_iso(ends) <= parse_iso(starts):
        errors["ends_at"] = ["结束时间必须晚于开始时间"]
    if opens and closes and parse_iso(closes) <= parse_iso(opens):
        errors["registration_closes_at"] = ["报名截止时间必须晚于报名开始时间"]
    if closes and ends and parse_iso(closes) > parse_iso(ends):
        errors.setdefault("registration_closes_at", []).append("报名截止时间不能晚于活动结束时间")
    roles = event.get("roles")
    allowed = KIND_ROLES.get(event.get("kind", ""), ())
    if roles is not None:
        unknown = [role for role in roles if role not in allowed]
        if unknown:
            errors["roles"] = [f"该类活动没有这些身份：{', '.join(unknown)}；可选：{', '.join(allowed)}"]
        elif len(set(roles)) != len(roles):
            errors["roles"] = ["身份不能重复"]
    lists = event.get("checkin_lists")
    if lists:
        list_problems = list_errors(lists, roles if roles is not None else allowed)
        if list_problems:
            errors["checkin_lists"] = list_problems
    errors.update(award_field_errors(event.get("kind"), event.get("awards")))
    invite_only = event.get("invite_only_roles")
    if invite_only:
        offered = roles if roles is not None else allowed
        outside = [role for role in invite_only if role not in offered]
        if outside:
            errors["invite_only_roles"] = [f"仅限邀请的身份须是本活动的身份：{', '.join(outside)}"]
        elif len(set(invite_only)) != len(invite_only):
            errors["invite_only_roles"] = ["身份不能重复"]
    if event.get("questions"):
        errors.update(question_field_errors(event["questions"], roles if roles is not None else allowed))
    reserved, capacity = event.get("reserved_seats"), event.get("capacity")
    if reserved is not None and capacity is not None and reserved > capacity:
        errors["reserved_seats"] = ["预留座位不能多于名额"]
    return errors


def award_field_errors(kind: str | None, awards: list[Mapping[str, Any]] | None) -> dict[str, list[str]]:
    """Event-level rules of `awards` (SPEC §9; the rest in domain/awards.py): award ceremonies
    only, ids unique."""
    if not awards:
        return {}
    if kind != AWARD_CEREMONY:
        return {"awards": ["只有颁奖典礼可以设置奖项"]}
    seen: set[str] = set()
    for index, award in enumerate(awards):
        if award["award_id"] in seen:
            return {f"awards.{index}.award_id": ["奖项编号不能重复"]}
        seen.add(award["award_id"])
    return {}


def timeline_bucket(moment: datetime) -> str:
    """The start of the 10-minute bucket a check-in falls in, ISO 8601 in Asia/Shanghai."""
    shanghai = moment.astimezone(SHANGHAI)
    start = shanghai.replace(
        minute=shanghai.minute - shanghai.minute % TIMELINE_BUCKET_MINUTES, second=0, microsecond=0
    )
    return start.isoformat(timespec="seconds")


def settings_of(event: Event) -> dict[str, Any]:
    """The organiser-set fields of an event, as a PATCH merges them."""
    return {"kind": event.kind, **{name: getattr(event, name) for name in EDITABLE_EVENT_FIELDS}}


def role_label(role: str) -> str:
    return ROLE_LABELS_ZH.get(role, role)
