"""Domain rules of baoming: event kinds and roles, consistency of an event, seat counts.

Pure functions on plain dicts, free of I/O, so they can be tested in microseconds.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

# Asia/Shanghai has been UTC+8 without DST since 1991; a fixed offset needs no tz database.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

AWARD_CEREMONY = "award_ceremony"
COLLECTOR_EXCHANGE = "collector_exchange"
KIND_ROLES: dict[str, tuple[str, ...]] = {
    AWARD_CEREMONY: ("nominee", "family", "guest", "media", "volunteer", "audience"),
    COLLECTOR_EXCHANGE: ("collector", "visitor", "media", "volunteer"),
}
KINDS = tuple(KIND_ROLES)
EVENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,63}")

ROLE_LABELS_ZH = {
    "nominee": "候选人", "family": "家属", "guest": "嘉宾", "media": "媒体",
    "volunteer": "志愿者", "audience": "观众", "collector": "藏家", "visitor": "参观者",
}

DEFAULT_RETENTION_DAYS = 180

# Fields an organiser may change after creating an event.
EDITABLE_EVENT_FIELDS = (
    "title", "venue", "starts_at", "ends_at", "registration_opens_at",
    "registration_closes_at", "capacity", "waitlist", "max_party_size", "roles",
    "retention_days",
)


def now() -> datetime:
    return datetime.now(SHANGHAI)


def to_shanghai_iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


def event_field_errors(event: Mapping[str, Any]) -> dict[str, list[str]]:
    """Cross-field rules of an event (times in order, roles of its kind)."""
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


def seats_remaining(event: Mapping[str, Any]) -> int:
    return max(int(event["capacity"]) - int(event.get("seats_confirmed", 0)), 0)


def event_counts(event: Mapping[str, Any]) -> dict[str, int]:
    return {
        "seats_confirmed": int(event.get("seats_confirmed", 0)),
        "seats_remaining": seats_remaining(event),
        "waitlisted": int(event.get("waitlisted_count", 0)),
        "checked_in": int(event.get("checked_in_count", 0)),
    }


PUBLIC_EVENT_FIELDS = (
    "event_id", "kind", "title", "venue", "starts_at", "ends_at",
    "registration_opens_at", "registration_closes_at", "capacity", "waitlist",
    "max_party_size", "roles", "retention_days",
)


def public_event(event: Mapping[str, Any]) -> dict[str, Any]:
    shown = {name: event.get(name) for name in PUBLIC_EVENT_FIELDS}
    shown["counts"] = event_counts(event)
    return shown


# --- registrations --------------------------------------------------------------------------

CONFIRMED, WAITLISTED, CANCELLED = "confirmed", "waitlisted", "cancelled"
STATUS_LABELS_ZH = {CONFIRMED: "已确认", WAITLISTED: "候补中", CANCELLED: "已取消"}
ITEM_INTENTS = ("exhibit", "exchange", "donate")


def registration_is_open(event: Mapping[str, Any], moment: datetime) -> bool:
    """Open from registration_opens_at (or always) until registration_closes_at (or the event's end)."""
    opens = event.get("registration_opens_at")
    closes = event.get("registration_closes_at") or event.get("ends_at")
    if opens and moment < parse_iso(opens):
        return False
    return not (closes and moment >= parse_iso(closes))


def registration_field_errors(event: Mapping[str, Any], registration: Mapping[str, Any]) -> dict[str, list[str]]:
    """Rules that depend on the event: its roles and its party-size limit."""
    errors: dict[str, list[str]] = {}
    roles = event.get("roles") or KIND_ROLES[event["kind"]]
    if registration["role"] not in roles:
        labels = "、".join(ROLE_LABELS_ZH.get(role, role) for role in roles)
        errors["role"] = [f"本活动可选的身份：{labels}"]
    limit = int(event.get("max_party_size", 1))
    if registration.get("party_size", 1) > limit:
        errors["party_size"] = [f"每份报名最多 {limit} 人"]
    return errors


def retention_expiry(event: Mapping[str, Any]) -> int:
    """Epoch seconds when personal data of this event's registrations expires (the TTL)."""
    ends = parse_iso(event["ends_at"])
    days = int(event.get("retention_days") or DEFAULT_RETENTION_DAYS)
    return int((ends + timedelta(days=days)).timestamp())


def first_promotable(free_seats: int, waiting: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The oldest waiting registration whose party fits the free seats.

    A large party that doesn't fit doesn't block smaller ones behind it.
    `waiting` must be in waitlist order.
    """
    for entry in waiting:
        if int(entry["party_size"]) <= free_seats:
            return entry
    return None


# --- check-in -------------------------------------------------------------------------------

CHECKIN_OK = "ok"
CHECKIN_ALREADY = "already_checked_in"
CHECKIN_INVALID = "invalid"
CHECKIN_WRONG_EVENT = "wrong_event"
CHECKIN_MESSAGES_ZH = {
    CHECKIN_OK: "签到成功",
    CHECKIN_ALREADY: "已签到",
    CHECKIN_INVALID: "无效票",
    CHECKIN_WRONG_EVENT: "非本场活动",
    CANCELLED: "已取消",
    WAITLISTED: "候补中，未确认",
}


def refused_checkin(stored: Mapping[str, Any] | None, nonce: str | None) -> str:
    """Why a check-in's conditional write did not apply, from the item as it was.

    A retried scan carrying the nonce of the scan that succeeded is that same check-in: ok.
    """
    if stored is None or stored.get("erased"):
        return CHECKIN_INVALID
    if stored.get("checked_in_at"):
        return CHECKIN_OK if nonce and stored.get("checkin_nonce") == nonce else CHECKIN_ALREADY
    if stored.get("status") == CANCELLED:
        return CANCELLED
    if stored.get("status") == WAITLISTED:
        return WAITLISTED
    return CHECKIN_INVALID


def event_stats(event: Mapping[str, Any]) -> dict[str, int]:
    return {
        "confirmed": int(event.get("confirmed_count", 0)),
        "waitlisted": int(event.get("waitlisted_count", 0)),
        "cancelled": int(event.get("cancelled_count", 0)),
        "checked_in": int(event.get("checked_in_count", 0)),
        "seats_confirmed": int(event.get("seats_confirmed", 0)),
        "seats_remaining": seats_remaining(event),
    }
