"""Messages (SPEC §7): a queue of texts written together with what they announce, and the sender
that drains it off the request path.

Enqueue: a message is an item written in the same DynamoDB transaction as the registration
(`ticket`) or the promotion (`promoted`) it announces, so none is lost and none is written twice
(an idempotent retry of a registration replays its reply and writes nothing). Another feature
that creates registrations (an import) does the same: build `enqueue.ticket_message(event, registration)`
and pass it in `messages=[…]` of `storage.registrations.insert_confirmed/insert_waitlisted`,
or add `storage.messages.put_action(message)` to its own transaction.

Send: deployed, a function on the table's stream takes each new queued message at once, and a
scheduled one every minute takes what is due again (retries with backoff); locally `make run`
runs `send_due` in a worker thread. A worker claims a message with a conditional write (attempt
count + lease), so two workers never send it at the same time; up to 5 attempts, then `failed`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.config import settings
from chalicelib.domain import clock, messages, tokens
from chalicelib.domain.errors import MessageNotFound, NotFound, ValidationFailed
from chalicelib.domain.events import Event
from chalicelib.domain.ids import REGISTRATION_ID
from chalicelib.domain.messages import CODE, QUEUED, RECOVERY, Message
from chalicelib.domain.normalize import Invalid, mainland_mobile
from chalicelib.domain.registrations import CANCELLED, WAITLISTED, Registration
from chalicelib.services import events, tickets
from chalicelib.services.enqueue import now_ms as _now_ms
from chalicelib.storage import dynamo, sms
from chalicelib.storage import events as event_store
from chalicelib.storage import messages as message_store
from chalicelib.storage import registrations as registration_store

logger = logging.getLogger(__name__)


# --- the sender ---------------------------------------------------------------------------------


def send_due(now_ms: int | None = None, limit: int = 50) -> int:
    """Send what is due (new messages and retries whose time has come); returns how many were
    attempted. Safe to run in several workers at once."""
    now_ms = _now_ms() if now_ms is None else now_ms
    attempted = 0
    for event_id, message_id in message_store.due(now_ms, limit):
        if send_one(event_id, message_id, now_ms):
            attempted += 1
    return attempted


def send_for(seconds: float) -> int:
    """Send what is due, batch after batch, for about `seconds` (the scheduled function)."""
    deadline = time.monotonic() + seconds
    total = 0
    while time.monotonic() < deadline:
        attempted = send_due()
        total += attempted
        if attempted == 0:
            break
    return total


def send_stream_records(images: list[dict[str, Any] | None]) -> int:
    """The table's stream delivered these new item images: send the queued messages among them."""
    attempted = 0
    for event_id, message_id in message_store.queued_in_images(images):
        if send_one(event_id, message_id):
            attempted += 1
    return attempted


def send_one(event_id: str, message_id: str, now_ms: int | None = None) -> bool:
    """One attempt at one message, if it is queued, due and not held by another worker."""
    now_ms = _now_ms() if now_ms is None else now_ms
    message = message_store.get(event_id, message_id)
    if message is None or message.status != QUEUED or message.due_ms > now_ms:
        return False
    claimed = message_store.claim(message, now_ms // 1000)
    if claimed is None:
        return False
    try:
        _deliver(claimed)
    except sms.SendFailed as failure:
        _failed(claimed, failure.reason, now_ms)
    except Exception as error:  # a provider bug or the store: the message is retried, never lost
        logger.warning("sending message %s failed: %s", claimed.message_id, type(error).__name__)
        _failed(claimed, type(error).__name__, now_ms)
    return True


def _failed(message: Message, reason: str, now_ms: int) -> None:
    delay = messages.retry_delay(message.attempts)
    if delay is None:
        message_store.mark_failed(message, reason)
    else:
        message_store.reschedule(message, now_ms + delay * 1000, reason)


def _live_registration_of_phone(event: Event, phone: str) -> Registration | None:
    if not event.guard_kid:
        return None
    guard = tokens.phone_guard(event.guard_kid, event.event_id, phone)
    found = dynamo.get(registration_store.guard_key(event.event_id, guard), consistent=True)
    if not found or not found.get("registration_id"):
        return None
    registration = registration_store.get(event.event_id, found["registration_id"], consistent=True)
    if registration is None or registration.erased or registration.status == CANCELLED:
        return None
    return registration


def _deliver(message: Message) -> None:
    event = event_store.get(message.event_id)
    if event is None:
        raise sms.SendFailed("event_gone")
    registration: Registration | None = None
    if message.registration_id is None and message.kind == RECOVERY:
        registration = _live_registration_of_phone(event, message.phone or "")
        if registration is None:
            message_store.delete(message)  # not registered (or cancelled): nobody to tell, nothing kept
            return
        message_store.resolve(message, registration.registration_id)
        message = replace(message, registration_id=registration.registration_id, phone=None)
    elif message.registration_id:
        registration = registration_store.get(event.event_id, message.registration_id, consistent=True)
        if registration is None or registration.erased:
            message_store.delete(message)  # erased meanwhile: the message goes with the person
            return
        if registration.status == CANCELLED:
            message_store.mark_failed(message, "registration_cancelled")  # not sent, and not retried
            return
    phone = registration.phone if registration else message.phone
    if not phone:
        raise sms.SendFailed("no_phone")
    link = tickets.ticket_url(tokens.mint_ticket(event.event_id, registration.registration_id)) if registration else ""
    code = messages.code_from_nonce(message.code_nonce) if message.kind == CODE and message.code_nonce else ""
    waitlisted = registration is not None and registration.status == WAITLISTED
    text = messages.text_of(message.kind, event.title, link, code, waitlisted)
    params = messages.template_params(message.kind, event.title, link, code)
    sent_at = clock.now_iso()
    sms.provider().send(message, phone, text, params, sent_at)
    message_store.mark_sent(message, sent_at)


# --- what the organiser sees --------------------------------------------------------------------


@dataclass(frozen=True)
class MessageView:
    message_id: str
    registration_id: str | None
    kind: str
    phone_masked: str | None
    status: str
    attempts: int
    created_at: str | None
    sent_at: str | None = None
    error: str | None = None


def _query_errors(query: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(query) - {"registration_id", "status"})
    for name in unknown:
        errors[name] = ["不支持的查询参数"]
    rid = query.get("registration_id")
    if rid is not None and not REGISTRATION_ID.fullmatch(rid):
        errors["registration_id"] = ["报名编号格式不正确"]
    status = query.get("status")
    if status is not None and status not in messages.STATUSES:
        errors["status"] = ["须为 queued、sent 或 failed"]
    return errors


def _views(event_id: str, found: list[Message]) -> list[MessageView]:
    missing = sorted({m.registration_id for m in found if m.registration_id and not m.phone_masked})
    masked: dict[str, str | None] = {}
    for start in range(0, len(missing), 100):
        for registration in registration_store.get_many(event_id, missing[start : start + 100]):
            masked[registration.registration_id] = registration.phone_masked
    return [
        MessageView(
            m.message_id,
            m.registration_id,
            m.kind,
            m.phone_masked or masked.get(m.registration_id or ""),
            m.status,
            m.attempts,
            m.created_at,
            m.sent_at,
            m.error if m.status != messages.SENT else None,
        )
        for m in found
    ]


def list_messages(event_id: str, query: dict[str, Any]) -> dict[str, list[MessageView]]:
    errors = _query_errors(query)
    if errors:
        raise ValidationFailed(fields=errors)
    events.require_event(event_id)
    found = [
        m
        for m in message_store.of_event(event_id, query.get("registration_id"), query.get("status"))
        if m.registration_id or m.kind != RECOVERY  # an unresolved recovery request is nobody's message yet
    ]
    return {"items": _views(event_id, found)}


def retry(event_id: str, message_id: str) -> MessageView:
    """Queue a failed (or sent) message again with fresh attempts; a queued one stays as it is."""
    events.require_event(event_id)
    if not REGISTRATION_ID.fullmatch(message_id):
        raise MessageNotFound()
    message = message_store.requeue(event_id, message_id, _now_ms())
    if message is None or (message.registration_id is None and message.kind == RECOVERY):
        raise MessageNotFound()
    return _views(event_id, [message])[0]


# --- the local outbox ---------------------------------------------------------------------------


def outbox(query: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What the `outbox` provider stored for a phone, oldest first (the local stage only)."""
    if not settings().local_stage:
        raise NotFound()
    try:
        phone = mainland_mobile(str(query.get("phone") or ""))
    except Invalid as invalid:
        raise ValidationFailed(fields={"phone": [str(invalid)]}) from invalid
    entries = message_store.outbox_of(messages.outbox_key(phone))
    return {
        "items": [
            {"phone": entry["phone"], "text": entry["text"], "kind": entry["kind"], "at": entry["at"]}
            for entry in entries
        ]
    }


# --- erasure ------------------------------------------------------------------------------------


def erase_for(registration: Registration) -> None:
    """The person's messages in the event (and codes sent to the phone), and local outbox entries."""
    tag = messages.outbox_key(registration.phone) if registration.phone else None
    message_store.delete_of_person(registration.event_id, registration.registration_id, tag)
    if registration.phone:
        message_store.outbox_delete(messages.outbox_key(registration.phone), registration.event_id)
