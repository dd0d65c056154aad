"""Who is asking: the admin, or a gate (staff token) of one event. Set by the authorizer."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.audit import ADMIN, staff_actor

DEFAULT_STAFF_LABEL = "签到口"


@dataclass(frozen=True)
class Caller:
    role: str  # "admin" or "staff"
    event_id: str | None = None  # a staff token's event
    token_id: str | None = None
    label: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def actor(self) -> str:
        """How the audit log and `checked_in_by` name this caller."""
        return ADMIN if self.is_admin else staff_actor(self.label or DEFAULT_STAFF_LABEL)


ADMIN_CALLER = Caller(ADMIN)


@dataclass(frozen=True)
class StaffTokenInfo:
    """A gate link as the organiser sees it in the list: never the token itself."""

    token_id: str
    label: str
    created_at: str
    expires_at: str
    last_used_at: str | None = None
    revoked_at: str | None = None


@dataclass(frozen=True)
class IssuedStaffToken:
    token_id: str
    label: str
    token: str
    scanner_url: str
    expires_at: str
