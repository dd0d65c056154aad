"""The gate (SPEC §5): check-in lists with role rules, heads of a party, offline scan times,
earliest-scan-wins, and the gate data a scanner keeps for offline verdicts. Pure rules, no I/O."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.clock import parse_iso

MAIN_LIST = "main"
MAX_LISTS = 10
DEFAULT_LISTS: tuple[dict[str, Any], ...] = ({"list_id": MAIN_LIST, "name": "入场"},)
LIST_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,29}")
# An offline scan's device time is believed within [event start − 1 day, server now + 5 min].
SCANNED_BEFORE_START = timedelta(days=1)
SCANNED_CLOCK_SKEW = timedelta(minutes=5)
# A `since` delta overlaps the previous one by this much: registration writes are stamped by
# each container's clock and the change index is eventually consistent (entries sent twice
# are harmless; the device merges by registration id).
SINCE_OVERLAP_MS = 15_000

NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class CheckinList:
    list_id: str
    name: str
    roles: list[str] | None = None  # None: every role

    def admits(self, role: str | None) -> bool:
        return self.roles is None or (role is not None and role in self.roles)


def checkin_lists(stored: Sequence[Mapping[str, Any]] | None) -> list[CheckinList]:
    """An event's lists, `main` first (always there, with its default name unless renamed)."""
    lists = [
        CheckinList(str(item["list_id"]), str(item.get("name") or item["list_id"]), item.get("roles") or None)
        for item in (stored or ())
    ]
    if not any(item.list_id == MAIN_LIST for item in lists):
        lists.insert(0, CheckinList(MAIN_LIST, DEFAULT_LISTS[0]["name"]))
    return lists


def list_errors(lists: Sequence[Mapping[str, Any]], event_roles: Sequence[str]) -> list[str]:
    """Cross-field rules of `checkin_lists`: unique ids, roles of the event."""
    errors = []
    ids = [item.get("list_id") for item in lists]
    if len(set(ids)) != len(ids):
        errors.append("签到名单编号不能重复")
    for item in lists:
        unknown = [role for role in item.get("roles") or () if role not in event_roles]
        if unknown:
            errors.append(f"名单「{item.get('name')}」的身份不属于本活动：{', '.join(unknown)}")
    return errors


@dataclass(frozen=True)
class ListState:
    """One registration's check-in on one list. `at`/`gate`/`by` are those of its first head in
    (or of the earliest scan, once an offline scan moved them back); `first_heads` the heads
    that check-in admitted."""

    heads: int = 0
    at: str | None = None
    gate: str | None = None
    by: str | None = None
    first_heads: int = 0
    nonces: frozenset[str] = field(default_factory=frozenset)


def ticket_hash(token: str) -> str:
    """What gate data holds instead of a ticket: lowercase hex SHA-256 of the token in upper case."""
    return hashlib.sha256(token.strip().upper().encode("ascii")).hexdigest()


def scanned_at_error(scanned_at: datetime, starts_at: str, now: datetime) -> str | None:
    if scanned_at < parse_iso(starts_at) - SCANNED_BEFORE_START:
        return "扫码时间早于活动开始前一天，请检查设备时间"
    if scanned_at > now + SCANNED_CLOCK_SKEW:
        return "扫码时间晚于当前时间，请检查设备时间"
    return None


def heads_error(requested: int | None, state: ListState, party_size: int) -> str | None:
    """Why `requested` heads can't come in now (None if they can, or if nobody is left)."""
    remaining = party_size - state.heads
    if requested is None or remaining <= 0:
        return None
    if requested > party_size:
        return f"本报名共 {party_size} 人"
    if requested > remaining:
        return f"本报名还有 {remaining} 人未签到"
    return None


def is_earlier(scanned_at: str | None, recorded: str | None) -> bool:
    return bool(scanned_at and recorded and parse_iso(scanned_at) < parse_iso(recorded))
