"""Check-in verdicts: what the gate shows for a scanned ticket, decided from the stored registration."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.gate import ListState
from chalicelib.domain.registrations import CANCELLED, WAITLISTED, Registration

OK = "ok"
ALREADY_CHECKED_IN = "already_checked_in"
INVALID = "invalid"
WRONG_EVENT = "wrong_event"
NOT_ALLOWED = "not_allowed"
RESULTS = (OK, ALREADY_CHECKED_IN, INVALID, WRONG_EVENT, CANCELLED, WAITLISTED, NOT_ALLOWED)
MESSAGES_ZH = {
    OK: "签到成功",
    ALREADY_CHECKED_IN: "已签到",
    INVALID: "无效票",
    WRONG_EVENT: "非本场活动",
    CANCELLED: "已取消",
    WAITLISTED: "候补中，未确认",
    NOT_ALLOWED: "该身份不在此签到名单内",
}


@dataclass(frozen=True)
class CheckedInParty:
    registration_id: str
    name: str
    role: str
    party_size: int
    seat: str | None = None

    @classmethod
    def of(cls, registration: Registration) -> CheckedInParty:
        return cls(
            registration.registration_id,
            registration.name or "",
            registration.role or "",
            registration.party_size,
            registration.seat,
        )


@dataclass(frozen=True)
class CheckinVerdict:
    result: str
    registration: CheckedInParty | None = None
    checked_in_at: str | None = None
    gate: str | None = None
    # Party check-in (SPEC §5): heads admitted by this scan, heads in on the list, the party's size.
    heads: int | None = None
    checked_in_heads: int | None = None
    party_size: int | None = None
    list_id: str | None = None

    @property
    def message(self) -> str:
        return MESSAGES_ZH[self.result]


def refused_checkin(stored: Registration | None, nonce: str | None) -> CheckinVerdict:
    """Why a check-in's conditional write did not apply, from the registration as it was.

    A retried scan carrying the nonce of the scan that succeeded is that same check-in: ok.
    A used ticket says when and where it was used.
    """
    if stored is None or stored.erased:
        return CheckinVerdict(INVALID)
    if stored.checked_in_at:
        result = OK if nonce and stored.checkin_nonce == nonce else ALREADY_CHECKED_IN
        return CheckinVerdict(result, CheckedInParty.of(stored), stored.checked_in_at, stored.gate)
    if stored.status in (CANCELLED, WAITLISTED):
        return CheckinVerdict(stored.status)
    return CheckinVerdict(INVALID)


@dataclass(frozen=True)
class GateRecord:
    """A registration with its state on each check-in list (storage/gate.py reads both from one item)."""

    registration: Registration
    lists: dict[str, ListState]
    changed_ms: int = 0

    def on(self, list_id: str) -> ListState:
        return self.lists.get(list_id) or ListState()
