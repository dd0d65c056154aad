"""The audit log of an event: who did what, when. Entries never hold a phone number, a ticket or a token."""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "admin"
SYSTEM = "system"
COLLECTOR = "collector"  # a collector from their ticket (item photos, SPEC §8)

EVENT_CREATE = "event.create"
EVENT_UPDATE = "event.update"
STAFF_TOKEN_CREATE = "staff_token.create"
STAFF_TOKEN_REVOKE = "staff_token.revoke"
EXPORT_CSV = "export.csv"
EXPORT_XLSX = "export.xlsx"
REGISTRATION_CANCEL = "registration.cancel"
REGISTRATION_ERASE = "registration.erase"
REGISTRATION_UPDATE = "registration.update"
CHECKIN_MANUAL = "checkin.manual"
REGISTRATIONS_IMPORT = "registrations.import"
INVITE_CODE_CREATE = "invite_code.create"
INVITE_CODE_REVOKE = "invite_code.revoke"
ITEM_TRANSITION = "item.transition"
ITEM_PHOTO = "item.photo"


def staff_actor(label: str) -> str:
    return f"staff:{label}"


@dataclass(frozen=True)
class AuditEntry:
    at: str
    actor: str  # admin, staff:<label> or system
    action: str
    target: str | None = None  # an id: registration, staff token, file format
    detail: str | None = None  # e.g. which fields an edit changed; never personal data
