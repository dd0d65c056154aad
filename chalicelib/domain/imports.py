"""Guest-list import (SPEC §6): the columns an organiser's file may have, in zh or en, and the
import record that keeps a 5,000-row import all-or-nothing (see services/imports.py)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from chalicelib.domain.events import ROLE_LABELS_ZH, Event

MAX_ROWS = 5000
MAX_FILE_BYTES = 4 * 1024 * 1024  # base64 in a Lambda request (6 MB) leaves room for this

# Column -> the headers that name it (compared after NFKC, trimming and lower-casing).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "phone": ("手机号", "phone", "手机", "手机号码"),
    "role": ("身份", "role"),
    "party_size": ("人数", "party_size"),
    "city": ("城市", "city"),
    "organization": ("单位", "organization"),
    "note": ("备注", "note"),
    "seat": ("座位", "seat"),
    "award_id": ("奖项", "award_id"),
}
REQUIRED_COLUMNS = ("name", "phone", "role")
COLUMN_LABELS_ZH = {column: headers[0] for column, headers in COLUMNS.items()}

# Import records: pending while rows are written; done or rolled back at the end.
PENDING, ROLLING_BACK, DONE, ROLLED_BACK = "pending", "rolling_back", "done", "rolled_back"
# An import still pending this long after it started has crashed (the function's timeout is 30 s).
STALE_AFTER_SECONDS = 120
LAWFUL_BASIS_IMPORT = "organiser_import"  # PIPL: provided by the organiser, not consented on the form


def header_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "_")


_HEADER_TO_COLUMN = {header_key(header): column for column, headers in COLUMNS.items() for header in headers}


def column_of(header: str) -> str | None:
    return _HEADER_TO_COLUMN.get(header_key(header))


def role_code(event: Event, text: str) -> str | None:
    """A role written as its code (`nominee`) or its Chinese label (`候选人`), if the event has it."""
    key = header_key(text)
    for role in event.roles:
        if key == role or key == header_key(ROLE_LABELS_ZH.get(role, role)):
            return role
    return None


@dataclass(frozen=True)
class ImportRecord:
    """What an import keeps while it runs and after: counts and ids, never personal data."""

    import_id: str
    event_id: str
    status: str
    started_at: str
    started_epoch: int
    seats: int
    count: int
    role_counts: dict[str, list[int]] = field(default_factory=dict)  # role -> [registrations, seats]
    rows: list[list[object]] = field(default_factory=list)  # [row, registration_id] once done
    skipped: list[list[object]] = field(default_factory=list)  # [row, reason]


@dataclass(frozen=True)
class ImportedRow:
    row: int
    registration_id: str
    ticket_url: str


@dataclass(frozen=True)
class SkippedRow:
    row: int
    reason: str  # already_registered | duplicate_in_file


@dataclass(frozen=True)
class ImportResult:
    created: int
    skipped: list[SkippedRow]
    registrations: list[ImportedRow]
    import_id: str = ""
