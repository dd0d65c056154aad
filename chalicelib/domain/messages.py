"""Messages (SMS, SPEC §7): the queue's records, their texts, retries, verification codes and
the limits on recovery and codes. Pure: no I/O; keyed MACs use the token key ring."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import tokens
from chalicelib.domain.clock import SHANGHAI

TICKET, PROMOTED, RECOVERY, CODE = "ticket", "promoted", "recovery", "code"
KINDS = (TICKET, PROMOTED, RECOVERY, CODE)
KIND_LABELS_ZH = {TICKET: "电子票", PROMOTED: "候补转正", RECOVERY: "找回电子票", CODE: "验证码"}
QUEUED, SENT, FAILED = "queued", "sent", "failed"
STATUSES = (QUEUED, SENT, FAILED)
STATUS_LABELS_ZH = {QUEUED: "待发送", SENT: "已发送", FAILED: "发送失败"}

MAX_ATTEMPTS = 5
# Seconds to wait after failed attempt n (1-based) before attempt n + 1.
RETRY_DELAYS = (15, 60, 300, 900)
# A claimed message not finished within this time (a crashed worker) is claimed again.
LEASE_SECONDS = 60

CODE_DIGITS = 6
CODE_VALID = timedelta(minutes=10)
CODE_MAX_TRIES = 5
CODE_RESEND_SECONDS = 60  # the form's countdown, and the per-phone limit below

# Recovery and codes together, across events (SPEC §7).
PHONE_PER_MINUTE = 1
PHONE_PER_DAY = 5
IP_PER_HOUR = 30

TITLE_IN_TEXT = 24  # characters of the event's title an SMS carries


@dataclass(frozen=True)
class Message:
    """One text to one phone. A message of a registration holds no phone number: the sender reads
    it from the registration, so an erasure leaves nothing behind. A code (no registration yet)
    or an unresolved recovery request carries the phone until it is sent."""

    message_id: str
    event_id: str
    kind: str
    status: str = QUEUED
    registration_id: str | None = None
    attempts: int = 0
    created_at: str | None = None
    sent_at: str | None = None
    error: str | None = None
    due_ms: int = 0
    phone: str | None = None
    phone_masked: str | None = None
    phone_tag: str | None = None  # a keyed hash of the phone a code was sent to (erasure finds it)
    code_nonce: str | None = None
    lease_until: int | None = None
    expires_at: int | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Message:
        return cls(**{name: data[name] for name in _MESSAGE_FIELDS if data.get(name) is not None})


_MESSAGE_FIELDS = tuple(f.name for f in fields(Message))


def retry_delay(attempts: int) -> int | None:
    """Seconds before the next attempt after `attempts` failed ones; None when they are used up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def _title(title: str) -> str:
    return title if len(title) <= TITLE_IN_TEXT else title[: TITLE_IN_TEXT - 1] + "…"


def text_of(kind: str, title: str, link: str = "", code: str = "", waitlisted: bool = False) -> str:
    """The zh-CN text of a message: short, the event's title, the ticket link or the code."""
    name = f"「{_title(title)}」"
    if kind == TICKET and waitlisted:
        return f"您已进入{name}候补名单，有空位将短信通知。电子票：{link}"
    if kind == TICKET:
        return f"您已成功报名{name}，电子票：{link}"
    if kind == PROMOTED:
        return f"好消息：您已从候补转为正式报名{name}，电子票：{link}"
    if kind == RECOVERY:
        return f"您报名{name}的电子票：{link}（如非本人操作请忽略）"
    return f"验证码 {code}，用于报名{name}，10 分钟内有效，请勿告诉他人。"


def template_params(kind: str, title: str, link: str = "", code: str = "") -> dict[str, str]:
    """What a template-based provider (Alibaba Cloud SMS) fills into its approved template."""
    if kind == CODE:
        return {"code": code}
    return {"title": _title(title), "link": link}


# --- verification codes ---------------------------------------------------------------------


def code_from_nonce(nonce: str) -> str:
    """The 6-digit code a nonce stands for: derived with the server key, so the queue never
    holds the code itself, only the nonce (removed once sent)."""
    ring = tokens.keyring()
    tag = ring.mac(ring.active_id, "sms-code", nonce.encode()) or b""
    return f"{int.from_bytes(tag, 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def code_mac(kid: str, event_id: str, phone: str, code: str) -> str | None:
    """The stored form of a code: a keyed MAC of (event, phone, code), never the code."""
    tag = tokens.keyring().mac(kid, "phone-code", f"{event_id}\x00{phone}\x00{code}".encode())
    return tag.hex() if tag else None


def codes_match(stored: str, kid: str, event_id: str, phone: str, code: str) -> bool:
    expected = code_mac(kid, event_id, phone, code)
    return expected is not None and hmac.compare_digest(expected, stored)


def phone_key(event_id: str, phone: str) -> str:
    """The key of a phone's code within an event (never the phone itself in a key)."""
    ring = tokens.keyring()
    return (ring.mac(ring.active_id, "phone-code-key", f"{event_id}\x00{phone}".encode()) or b"").hex()


def limit_key(what: str, value: str) -> str:
    """A keyed hash naming a rate-limit counter: of a phone (across events) or a client address."""
    ring = tokens.keyring()
    tag = ring.mac(ring.active_id, f"limit-{what}", value.encode())
    return (tag or hashlib.sha256(value.encode()).digest()).hex()[:32]


def outbox_key(phone: str) -> str:
    return limit_key("outbox", phone)


# --- limits -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Windows:
    """The windows a request at `moment` counts in: the phone's day (Asia/Shanghai) and the
    address's clock hour, with the seconds until each ends."""

    day: str
    day_ends_in: int
    hour: str
    hour_ends_in: int


def windows(moment: datetime) -> Windows:
    local = moment.astimezone(SHANGHAI)
    day_end = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    hour_end = (local + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return Windows(
        local.strftime("%Y-%m-%d"),
        max(int((day_end - local).total_seconds()), 1),
        local.strftime("%Y-%m-%dT%H"),
        max(int((hour_end - local).total_seconds()), 1),
    )
