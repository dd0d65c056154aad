"""Signed, opaque tokens: HMAC-SHA256 keyed by a server secret, with a key id for rotation.

Each use has its own purpose string mixed into the MAC, so a signature made for one
purpose (say, a list cursor) is never valid for another (a ticket).

Pure: the key ring's secret comes from a source the application installs at start-up
(`use_key_source`; the services layer installs the one that reads env/SSM), so this
module reads nothing itself.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import Callable
from typing import Any

from chalicelib.domain.ids import EVENT_ID, ITEM_ID

KEY_ID = re.compile(r"[A-Z2-7]")
MAC_BYTES = 16  # 128-bit tags


class KeyRing:
    def __init__(self, keys: list[tuple[str, bytes]]):
        if not keys:
            raise ValueError("at least one signing key is required")
        self.active_id = keys[0][0]
        self._keys = dict(keys)

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        keys = []
        for part in spec.split(","):
            kid, sep, secret = part.strip().partition(":")
            if not sep or not KEY_ID.fullmatch(kid) or len(secret) < 16:
                raise ValueError("signing keys must look like 'A:<secret of 16+ chars>,B:...'")
            keys.append((kid, secret.encode("utf-8")))
        return cls(keys)

    def key(self, kid: str) -> bytes | None:
        return self._keys.get(kid)

    def mac(self, kid: str, purpose: str, message: bytes) -> bytes | None:
        key = self.key(kid)
        if key is None:
            return None
        return hmac.new(key, purpose.encode() + b"\x00" + message, hashlib.sha256).digest()[:MAC_BYTES]

    def verify(self, kid: str, purpose: str, message: bytes, tag: bytes) -> bool:
        expected = self.mac(kid, purpose, message)
        return expected is not None and hmac.compare_digest(expected, tag)


_key_source: Callable[[], str] | None = None


def use_key_source(source: Callable[[], str]) -> None:
    """Where the 'KID:secret,…' spec comes from; read on first use, then cached."""
    global _key_source
    _key_source = source
    keyring.cache_clear()


@functools.lru_cache(maxsize=1)
def keyring() -> KeyRing:
    if _key_source is None:
        raise RuntimeError("no token signing key source installed")
    return KeyRing.parse(_key_source())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Strict decoding: only the canonical spelling is accepted, so spare bits can't be flipped."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("non-canonical base64")
    return data


def sign_cursor(scope: str, position: dict[str, Any]) -> str:
    """An opaque page cursor bound to its list (scope): clients can't edit or move it."""
    ring = keyring()
    payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    tag = ring.mac(ring.active_id, "cursor:" + scope, payload)
    assert tag is not None
    return f"{ring.active_id}.{_b64(payload)}.{_b64(tag)}"


def open_cursor(scope: str, cursor: str) -> dict[str, Any] | None:
    """The position inside a cursor, or None when it is forged, edited or from another list."""
    try:
        kid, payload_text, tag_text = cursor.split(".")
        payload, tag = _unb64(payload_text), _unb64(tag_text)
    except ValueError:
        return None
    if not keyring().verify(kid, "cursor:" + scope, payload, tag):
        return None
    position = json.loads(payload)
    return position if isinstance(position, dict) else None


def reset_for_tests() -> None:
    keyring.cache_clear()


# --- tickets ----------------------------------------------------------------------------------
#
# A ticket token is  <EVENT-ID>.<K><REGISTRATION-ID><MAC>  in uppercase, so a QR code can
# use alphanumeric mode: K is the signing key id, the registration id is 16 Crockford base32
# characters (48-bit time + 32 random bits; that alphabet is in ASCII order, so ids sort by
# registration time), the MAC is 160 bits of HMAC-SHA256 over the event and registration
# ids in RFC 4648 base32. No personal data is inside.

_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_SET = frozenset(_CROCKFORD)
REGISTRATION_ID_LENGTH = 16
TICKET_MAC_BYTES = 20
_TICKET_BODY_LENGTH = 1 + REGISTRATION_ID_LENGTH + TICKET_MAC_BYTES * 8 // 5
MAX_TICKET_LENGTH = 64 + 1 + _TICKET_BODY_LENGTH


def new_registration_id() -> str:
    bits = (int(time.time() * 1000) << 32) | int.from_bytes(os.urandom(4), "big")
    return "".join(_CROCKFORD[(bits >> shift) & 31] for shift in range(75, -1, -5))


def _signed_id_mac(purpose: bytes, kid: str, event_id: str, object_id: str) -> bytes | None:
    """The MAC of a signed id (a ticket's registration, an item tag's item) under key `kid`; the
    purpose keeps one kind of token from passing as the other. None for an unknown key."""
    key = keyring().key(kid)
    if key is None:
        return None
    message = purpose + b"\x00" + event_id.encode("ascii") + b"\x00" + object_id.encode("ascii")
    return hmac.new(key, message, hashlib.sha256).digest()[:TICKET_MAC_BYTES]


def _ticket_mac(kid: str, event_id: str, registration_id: str) -> bytes | None:
    return _signed_id_mac(b"ticket", kid, event_id, registration_id)


def mint_ticket(event_id: str, registration_id: str) -> str:
    kid = keyring().active_id
    tag = _ticket_mac(kid, event_id, registration_id)
    assert tag is not None
    return f"{event_id.upper()}.{kid}{registration_id}{base64.b32encode(tag).decode('ascii')}"


def open_ticket(token: str) -> tuple[str, str] | None:
    """(event_id, registration_id) of a genuine ticket token; None for anything forged or malformed.

    Case-insensitive, because some scanners and keyboards change case; nothing else is forgiven.
    """
    if not isinstance(token, str) or not token.isascii() or len(token) > MAX_TICKET_LENGTH:
        return None
    event_part, dot, body = token.strip().upper().rpartition(".")
    event_id = event_part.lower()
    if not dot or len(body) != _TICKET_BODY_LENGTH:
        return None
    if not EVENT_ID.fullmatch(event_id):
        return None
    kid, registration_id, tag_text = body[0], body[1 : 1 + REGISTRATION_ID_LENGTH], body[1 + REGISTRATION_ID_LENGTH :]
    if not (_CROCKFORD_SET.issuperset(registration_id) and _BASE32.issuperset(tag_text)):
        return None
    expected = _ticket_mac(kid, event_id, registration_id)
    if expected is None or not hmac.compare_digest(expected, base64.b32decode(tag_text)):
        return None
    return event_id, registration_id


def phone_guard(kid: str, event_id: str, phone: str) -> str:
    """A keyed hash of (event, phone): finds a duplicate registration without storing the phone in a key."""
    tag = keyring().mac(kid, "phone-guard", f"{event_id}\x00{phone}".encode())
    if tag is None:
        raise RuntimeError(f"signing key {kid!r} of this event's phone guards is no longer configured")
    return tag.hex()


def phone_tail_tag(kid: str | None, event_id: str, last_four: str) -> str:
    """A keyed hash of (event, a phone's last four digits): the search index's key for them,
    so the table's keys never hold digits of a phone."""
    ring = keyring()
    tag = ring.mac(kid or ring.active_id, "phone-tail", f"{event_id}\x00{last_four}".encode())
    if tag is None:
        raise RuntimeError(f"signing key {kid!r} of this event's phone guards is no longer configured")
    # Base32 (letters and 2-7): a tag can never read like a phone number, which starts with 1.
    return base64.b32encode(tag).decode("ascii")[:20].lower()


# --- staff (gate) tokens ----------------------------------------------------------------------
# Random, not signed: a staff token can be revoked, so it is looked up; only its hash is stored.

STAFF_PREFIX = "st_"


def staff_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- item tags (SPEC §8) ------------------------------------------------------------------------
# An item token is  <EVENT-ID>.<K><ITEM-ID>.<MAC>  in uppercase (QR alphanumeric mode, like a
# ticket): K the signing key id, the item id as C-0001, the MAC 160 bits of HMAC-SHA256 over the
# event and item ids in RFC 4648 base32. Two dots where a ticket has one, so a desk tells them apart.

MAX_ITEM_TOKEN_LENGTH = 64 + 2 + 1 + 10 + TICKET_MAC_BYTES * 8 // 5


def _item_mac(kid: str, event_id: str, item_id: str) -> bytes | None:
    return _signed_id_mac(b"item", kid, event_id, item_id)


def mint_item_token(event_id: str, item_id: str) -> str:
    kid = keyring().active_id
    tag = _item_mac(kid, event_id, item_id)
    assert tag is not None
    return f"{event_id.upper()}.{kid}{item_id}.{base64.b32encode(tag).decode('ascii')}"


def open_item_token(token: str) -> tuple[str, str] | None:
    """(event_id, item_id) of a genuine item token; None for anything forged or malformed."""
    if not isinstance(token, str) or not token.isascii() or len(token) > MAX_ITEM_TOKEN_LENGTH:
        return None
    parts = token.strip().upper().split(".")
    if len(parts) != 3 or len(parts[1]) < 2:
        return None
    event_id, kid, item_id, tag_text = parts[0].lower(), parts[1][0], parts[1][1:], parts[2]
    if not EVENT_ID.fullmatch(event_id) or not ITEM_ID.fullmatch(item_id):
        return None
    if len(tag_text) != TICKET_MAC_BYTES * 8 // 5 or not _BASE32.issuperset(tag_text):
        return None
    expected = _item_mac(kid, event_id, item_id)
    if expected is None or not hmac.compare_digest(expected, base64.b32decode(tag_text)):
        return None
    return event_id, item_id
