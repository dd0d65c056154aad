"""Signed, opaque tokens: HMAC-SHA256 keyed by a server secret, with a key id for rotation.

Each use has its own purpose string mixed into the MAC, so a signature made for one
purpose (say, a list cursor) is never valid for another (a ticket).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
from typing import Any

from chalicelib import secrets

KEY_ID = re.compile(r"[A-Z2-7]")
MAC_BYTES = 16  # 128-bit tags


class KeyRing:
    def __init__(self, keys: list[tuple[str, bytes]]):
        if not keys:
            raise ValueError("at least one signing key is required")
        self.active_id = keys[0][0]
        self._keys = dict(keys)

    @classmethod
    def parse(cls, spec: str) -> "KeyRing":
        keys = []
        for part in spec.split(","):
            kid, sep, secret = part.strip().partition(":")
            if not sep or not KEY_ID.fullmatch(kid) or len(secret) < 16:
                raise ValueError("signing keys must look like 'A:<secret of 16+ chars>,B:...'")
            keys.append((kid, secret.encode("utf-8")))
        return cls(keys)

    def mac(self, kid: str, purpose: str, message: bytes) -> bytes | None:
        key = self._keys.get(kid)
        if key is None:
            return None
        return hmac.new(key, purpose.encode() + b"\x00" + message, hashlib.sha256).digest()[:MAC_BYTES]

    def verify(self, kid: str, purpose: str, message: bytes, tag: bytes) -> bool:
        expected = self.mac(kid, purpose, message)
        return expected is not None and hmac.compare_digest(expected, tag)


@functools.lru_cache(maxsize=1)
def keyring() -> KeyRing:
    return KeyRing.parse(secrets.token_signing_keys())


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
