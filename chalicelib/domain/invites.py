"""Invite codes (SPEC §6): a code lets its holder register with one role, `max_uses` times.

A code is  <code id body: 10 random base32 characters><key id><MAC: 16 base32 characters>  in
lower case: the MAC is 80 bits of HMAC-SHA256 (the server's signing key, the event's key id)
over the event and the code id, so nobody can make a valid code without the key and only the
code id is stored. The console can show a code again (it re-derives it from the id).
"""

from __future__ import annotations

import base64
import hmac
import secrets as random_source
from dataclasses import dataclass

from chalicelib.domain import tokens

CODE_ID_PREFIX = "ic-"
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_ALPHABET_SET = frozenset(_ALPHABET)
ID_BODY_LENGTH = 10
TAG_LENGTH = 16  # 80 bits
CODE_LENGTH = ID_BODY_LENGTH + 1 + TAG_LENGTH
MAX_USES_LIMIT = 1000


@dataclass(frozen=True)
class InviteCode:
    code_id: str
    event_id: str
    role: str
    max_uses: int
    used: int
    label: str | None
    created_at: str
    kid: str
    companion_of: str | None = None
    revoked_at: str | None = None

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and self.used < self.max_uses


@dataclass(frozen=True)
class InviteCodeView:
    """An invite code as the organiser sees it (the code itself included: it is theirs to hand out)."""

    code_id: str
    code: str
    role: str
    max_uses: int
    used: int
    label: str | None
    form_url: str
    companion_of: str | None
    created_at: str
    revoked_at: str | None


def new_code_id() -> str:
    return CODE_ID_PREFIX + "".join(random_source.choice(_ALPHABET) for _ in range(ID_BODY_LENGTH))


def _tag(kid: str, event_id: str, code_id: str) -> str | None:
    mac = tokens.keyring().mac(kid, "invite-code", f"{event_id}\x00{code_id}".encode())
    if mac is None:
        return None
    return base64.b32encode(mac).decode("ascii").lower()[:TAG_LENGTH]


def mint_code(kid: str, event_id: str, code_id: str) -> str:
    tag = _tag(kid, event_id, code_id)
    if tag is None:
        raise RuntimeError(f"signing key {kid!r} of this event is no longer configured")
    return code_id[len(CODE_ID_PREFIX) :] + kid.lower() + tag


def open_code(event_id: str, code: str) -> str | None:
    """The code id of a genuine code of this event; None for anything forged or malformed."""
    if not isinstance(code, str) or not code.isascii():
        return None
    code = code.strip().lower()
    if len(code) != CODE_LENGTH or not _ALPHABET_SET.issuperset(code):
        return None
    body, kid, tag = code[:ID_BODY_LENGTH], code[ID_BODY_LENGTH].upper(), code[ID_BODY_LENGTH + 1 :]
    code_id = CODE_ID_PREFIX + body
    expected = _tag(kid, event_id, code_id)
    if expected is None or not hmac.compare_digest(expected, tag):
        return None
    return code_id
