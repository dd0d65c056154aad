"""Phone verification (SPEC §7): an event with `verify_phone` registers only a phone that
proved itself with a 6-digit code sent by SMS. A code is valid 10 minutes, stored only as a
keyed MAC, and five wrong tries void it; a new code replaces the last one. A code that served a
registration is left to expire: the phone guard already stops a second registration, and a retry
of the same registration (its reply lost) must still pass."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from chalicelib.domain import messages, tokens
from chalicelib.domain.errors import PhoneVerificationOff, ValidationFailed
from chalicelib.domain.events import Event
from chalicelib.domain.messages import CODE
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import enqueue as message_service
from chalicelib.services import events, limits
from chalicelib.services.recovery import Accepted
from chalicelib.storage import messages as message_store

MISSING = "请先获取并填写短信验证码"
WRONG = "验证码不正确或已过期，请重新获取"


def request_code(event_id: str, body: Any, client_ip: str | None) -> Accepted:
    event = events.recent_event(event_id)
    phone = load(requests.PHONE_REQUEST, body)["phone"]
    if not event.verify_phone:
        raise PhoneVerificationOff()
    limits.take(phone, client_ip)
    nonce = secrets.token_hex(16)
    kid = tokens.keyring().active_id
    mac = messages.code_mac(kid, event.event_id, phone, messages.code_from_nonce(nonce))
    assert mac is not None
    message_store.put_code_with_message(
        event.event_id,
        messages.phone_key(event.event_id, phone),
        mac,
        kid,
        int(time.time() + messages.CODE_VALID.total_seconds()),
        message_service.new_message(event, CODE, phone=phone, code_nonce=nonce),
    )
    return Accepted()


def verify(event: Event, data: Mapping[str, Any]) -> None:
    """Before a registration of a `verify_phone` event: its `phone_code` must be the phone's
    current code; a wrong one counts as a try. 422 fields.phone_code otherwise."""
    code = data.get("phone_code")
    if not code:
        raise ValidationFailed(fields={"phone_code": [MISSING]})
    key = messages.phone_key(event.event_id, data["phone"])
    stored = message_store.get_code(event.event_id, key)
    if not stored or int(stored.get("valid_until", 0)) < time.time():
        raise ValidationFailed(fields={"phone_code": [WRONG]})
    if not messages.codes_match(stored["code_mac"], stored.get("kid", ""), event.event_id, data["phone"], code):
        message_store.count_wrong_try(event.event_id, key, stored["code_mac"], messages.CODE_MAX_TRIES)
        raise ValidationFailed(fields={"phone_code": [WRONG]})
