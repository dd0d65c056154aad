"""Award ceremony programme: awards of an event, nominees and their companions, seats, and the
stage manager's view of who is in the hall. Pure rules and records, no I/O (SPEC §9).

- An event of kind `award_ceremony` may list `awards: [{award_id, name, slots}]` (≤ 20).
- A nominee's registration carries `award_id` (required for the role `nominee` once the event
  has awards); a companion (family, guest…) carries `companion_of`, a nominee's registration id.
- `seat` is free text (1–20 characters, e.g. A区3排5座, 第3桌); two live registrations of an
  event never hold the same seat. Seats are compared by `seat_key` (NFKC, case-folded, spaces
  removed), so `A区 3排5座` and `Ａ区3排5座` are the same seat.
- `slots` is the number of places the award has in the programme. It is not a hard limit:
  the programme shows nominees against slots and flags an award with more nominees than slots
  (organisers seat alternates; a hard limit would turn a late nomination into an error at the door).
- Removing an award from the event keeps its nominees: the programme lists them (and nominees
  registered before the event had awards) last, under 未分配奖项, until they are given an award.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.domain.events import Event
from chalicelib.domain.registrations import CANCELLED, Registration

NOMINEE = "nominee"
MAX_AWARDS = 20
MIN_SLOTS, MAX_SLOTS = 1, 100
SEAT_MAX_LENGTH = 20
UNASSIGNED_NAME = "未分配奖项"
# The attributes a registration edit (PATCH) may change.
EDITABLE_FIELDS = ("seat", "award_id", "companion_of")


class SeatTaken(Conflict):
    code = "seat_taken"
    message = "该座位已分配给本活动的另一份报名"


class RegistrationNotLive(Conflict):
    code = "registration_cancelled"
    message = "该报名已取消或个人信息已删除，不能分配座位或奖项"


# --- the event's awards ---------------------------------------------------------------------


def awards_of(event: Event) -> list[dict[str, Any]]:
    return list(event.awards or [])


def award_ids(event: Event) -> list[str]:
    return [award["award_id"] for award in awards_of(event)]


def resolve_award(event: Event, value: str | None) -> str | None:
    """The award_id an organiser means by `value`: an award's id or its name (as an import
    file's 奖项 column holds either); None when no award of the event matches."""
    if not value:
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    for award in awards_of(event):
        if text == award["award_id"] or text == unicodedata.normalize("NFKC", award["name"]).strip():
            return str(award["award_id"])
    return None


def award_assignment_errors(event: Event, role: str | None, award_id: str | None) -> dict[str, list[str]]:
    """A registration's award: required for nominees once the event has awards, one of the
    event's awards, and only for nominees."""
    ids = award_ids(event)
    if award_id is None:
        if role == NOMINEE and ids:
            return {"award_id": ["请选择候选人所属的奖项"]}
        return {}
    if role != NOMINEE:
        return {"award_id": ["只有候选人可以属于某个奖项"]}
    if award_id not in ids:
        if not ids:
            return {"award_id": ["本活动没有设置奖项"]}
        return {"award_id": [f"本活动没有这个奖项；可选：{'、'.join(ids)}"]}
    return {}


def companion_errors(registration: Registration, nominee: Registration | None) -> dict[str, list[str]]:
    """`companion_of` must name a live nominee of the same event, not the registration itself."""
    if nominee is None or nominee.erased or nominee.event_id != registration.event_id:
        return {"companion_of": ["找不到这位候选人的报名"]}
    if nominee.registration_id == registration.registration_id:
        return {"companion_of": ["不能陪同自己"]}
    if nominee.role != NOMINEE:
        return {"companion_of": ["只能陪同身份为候选人的报名"]}
    if nominee.status == CANCELLED:
        return {"companion_of": ["这位候选人的报名已取消"]}
    if registration.role == NOMINEE:
        return {"companion_of": ["候选人本人不能登记为陪同人员"]}
    return {}


# --- seats ------------------------------------------------------------------------------------


def seat_key(seat: str) -> str:
    """What makes two seats the same: NFKC (full-width letters and digits), case folded,
    without spaces. Used as the key of the seat's lock item."""
    return "".join(unicodedata.normalize("NFKC", seat).casefold().split())


# --- the programme ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Companions:
    total: int
    checked_in: int


@dataclass(frozen=True)
class ProgrammeNominee:
    registration_id: str
    name: str
    seat: str | None
    checked_in: bool
    companions: Companions
    party_size: int = 1
    status: str = "confirmed"


@dataclass(frozen=True)
class ProgrammeAward:
    award_id: str | None
    name: str
    slots: int | None
    nominees: list[ProgrammeNominee]

    @property
    def arrived(self) -> int:
        return sum(1 for nominee in self.nominees if nominee.checked_in)


@dataclass(frozen=True)
class Programme:
    awards: list[ProgrammeAward]


def _live(registration: Registration) -> bool:
    return registration.status != CANCELLED and not registration.erased


def build_programme(event: Event, registrations: Iterable[Registration]) -> Programme:
    """Per award (in the event's order), its live nominees: not yet arrived first, then in
    registration order; each with seat and companions (live registrations naming it).
    Nominees whose award is unset or no longer exists come last under 未分配奖项."""
    nominees: list[Registration] = []
    companions: dict[str, list[Registration]] = {}
    for registration in registrations:
        if not _live(registration):
            continue
        if registration.role == NOMINEE:
            nominees.append(registration)
        elif registration.companion_of:
            companions.setdefault(registration.companion_of, []).append(registration)
    nominees.sort(key=lambda r: r.registration_id)

    def entry(nominee: Registration) -> ProgrammeNominee:
        theirs = companions.get(nominee.registration_id, [])
        return ProgrammeNominee(
            nominee.registration_id,
            nominee.name or "",
            nominee.seat,
            bool(nominee.checked_in_at),
            Companions(len(theirs), sum(1 for c in theirs if c.checked_in_at)),
            nominee.party_size,
            nominee.status,
        )

    def ordered(group: list[Registration]) -> list[ProgrammeNominee]:
        entries = [entry(nominee) for nominee in group]  # registration order
        return sorted(entries, key=lambda n: n.checked_in)  # stable: not yet arrived first

    known = set(award_ids(event))
    awards = [
        ProgrammeAward(
            award["award_id"],
            award["name"],
            int(award["slots"]),
            ordered([n for n in nominees if n.award_id == award["award_id"]]),
        )
        for award in awards_of(event)
    ]
    unassigned = [n for n in nominees if n.award_id not in known]
    if unassigned:
        awards.append(ProgrammeAward(None, UNASSIGNED_NAME, None, ordered(unassigned)))
    return Programme(awards)
