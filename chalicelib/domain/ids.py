"""Identifier patterns, written once: the API validates, the OpenAPI document and the tokens reuse them."""

from __future__ import annotations

import re

EVENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,63}")
# Registration ids are 16 Crockford base32 characters, time-ordered (chalicelib.domain.tokens).
REGISTRATION_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{16}")
# Item ids (SPEC §8): a per-event counter shown as C-0001 (chalicelib.domain.items).
ITEM_ID = re.compile(r"C-[0-9]{4,8}")
