"""Invite codes (SPEC §6): the organiser mints codes for a role (invite-only ones included),
lists and revokes them; a registration with a code is checked here and its use counted in the
registration's own transaction (storage/invite_codes.use_action)."""

from __future__ import annotations

from typing import Any

from chalicelib.config import settings
from chalicelib.domain import audit, clock, invites, tokens
from chalicelib.domain.access import ADMIN_CALLER, Caller
from chalicelib.domain.awards import companion_errors
from chalicelib.domain.errors import InviteCodeNotFound, InviteCodeUnusable, ValidationFailed
from chalicelib.domain.events import Event, role_label
from chalicelib.domain.invites import InviteCode, InviteCodeView
from chalicelib.domain.registrations import CONFIRMED, Registration
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import audit as audit_log
from chalicelib.services import events
from chalicelib.storage import invite_codes
from chalicelib.storage import registrations as registration_store


def form_url(event_id: str, code: str) -> str:
    return f"{settings().public_base_url}/e/{event_id}?invite={code}"


def _view(code: InviteCode) -> InviteCodeView:
    text = invites.mint_code(code.kid, code.event_id, code.code_id)
    return InviteCodeView(
        code.code_id,
        text,
        code.role,
        code.max_uses,
        code.used,
        code.label,
        form_url(code.event_id, text),
        code.companion_of,
        code.created_at,
        code.revoked_at,
    )


def create_invite_code(event_id: str, body: Any, caller: Caller | None = None) -> InviteCodeView:
    data = load(requests.INVITE_CODE_CREATE, body)
    event = events.require_event(event_id)
    if data["role"] not in event.roles:
        labels = "、".join(role_label(role) for role in event.roles)
        raise ValidationFailed(fields={"role": [f"本活动可选的身份：{labels}"]})
    companion_of = data.get("companion_of")
    if companion_of is not None:
        nominee = registration_store.find(event_id, companion_of)
        # The same rule as a PATCH (SPEC §9): a live nominee of this event, for a companion's role.
        future_guest = Registration(registration_id="", event_id=event_id, status=CONFIRMED, role=data["role"])
        problems = companion_errors(future_guest, nominee)
        if problems:
            raise ValidationFailed(fields=problems)
    code = InviteCode(
        code_id=invites.new_code_id(),
        event_id=event.event_id,
        role=data["role"],
        max_uses=data.get("max_uses", 1),
        used=0,
        label=data.get("label"),
        created_at=clock.now_iso(),
        kid=event.guard_kid or tokens.keyring().active_id,
        companion_of=companion_of,
    )
    invite_codes.put(code, event.retention_expiry())
    audit_log.record(event, (caller or ADMIN_CALLER).actor, audit.INVITE_CODE_CREATE, code.code_id, code.role)
    return _view(code)


def list_invite_codes(event_id: str) -> list[InviteCodeView]:
    events.require_event(event_id)
    return [_view(code) for code in invite_codes.list_for_event(event_id)]


def revoke_invite_code(event_id: str, code_id: str, caller: Caller) -> None:
    event = events.require_event(event_id)
    if not code_id.startswith(invites.CODE_ID_PREFIX) or len(code_id) > 20:
        raise InviteCodeNotFound()
    code = invite_codes.revoke(event_id, code_id, clock.now_iso())
    audit_log.record(event, caller.actor, audit.INVITE_CODE_REVOKE, code_id, code.role)


def usable_code(event: Event, text: str, role: str) -> InviteCode:
    """The code a registration names, if it is genuine, of this event, live, not used up and of
    this role; else InviteCodeUnusable. The use itself is counted in the registration's transaction."""
    code_id = invites.open_code(event.event_id, text)
    code = invite_codes.get(event.event_id, code_id, consistent=True) if code_id else None
    if code is None or not code.usable or code.role != role:
        raise InviteCodeUnusable()
    return code


def role_of_code(event: Event, text: str) -> str | None:
    """The role an invite link preselects on the form (None for an unusable code)."""
    code_id = invites.open_code(event.event_id, text)
    code = invite_codes.get(event.event_id, code_id) if code_id else None
    return code.role if code is not None and code.usable else None
