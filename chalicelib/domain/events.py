"""Events: kinds and roles, the Event record, its consistency rules, seats and registration window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.clock import SHANGHAI, parse_iso

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
    def has_waiting(self) -> bool:
        return self.waitlisted_count > 0

    def fits_now(self, party_size: int) -> bool:
        """A newcomer gets a seat only if it is free and nobody is waiting for one (no jumping the queue)."""
        return self.seats_confirmed + party_size <= self.capacity and not (self.waitlist and self.has_waiting)

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
        if self.seats_remaining > 0:
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
    "verify_phone",
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
    return errors


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
