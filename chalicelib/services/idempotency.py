"""Idempotency-Key handling, after Powertools' design: one conditional put claims the key.

The same key with the same body returns the first outcome and writes nothing new, also
when both requests arrive at the same moment (the second waits for the first to finish);
the same key with another body is refused. A refusal (a 4xx domain error) is an outcome
too and is replayed as such; a failure (ServiceUnavailable or a crash) releases the key.
Records expire by TTL after 24 hours.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from chalicelib.domain import tokens
from chalicelib.domain.errors import (
    DomainError,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    ServiceUnavailable,
    ValidationFailed,
)
from chalicelib.storage import idempotency as records

logger = logging.getLogger(__name__)

RECORD_TTL_SECONDS = 24 * 3600
IN_PROGRESS_SECONDS = 30  # longer than any request can run; then the key may be claimed again
WAIT_FOR_FIRST_SECONDS = 10.0
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")

Result = TypeVar("Result")


def check_key(key: str) -> str:
    if not KEY_PATTERN.fullmatch(key):
        raise ValidationFailed(fields={"Idempotency-Key": ["须为 1–255 个可见 ASCII 字符"]})
    return key


def body_fingerprint(body: Any, kid: str | None = None) -> str:
    """`<key id>:<HMAC of the canonical body>`: a keyed MAC, so a record can't be matched
    against guessed names and phones the way a bare SHA-256 could."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    ring = tokens.keyring()
    kid = kid or ring.active_id
    tag = ring.mac(kid, "idempotency-body", canonical)
    return f"{kid}:{tag.hex()}" if tag is not None else ""


def _same_body(recorded: str, body: Any) -> bool:
    kid, colon, _ = recorded.partition(":")
    if not colon:  # written before fingerprints were keyed
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hmac.compare_digest(recorded, hashlib.sha256(canonical.encode("utf-8")).hexdigest())
    return hmac.compare_digest(recorded, body_fingerprint(body, kid))


def _replay(response: str, from_record: Callable[[Any], Result]) -> Result:
    outcome = json.loads(response)
    if "refused" in outcome:
        body = dict(outcome["refused"])
        error_class = DomainError.by_code(body.pop("error"))
        error = error_class.__new__(error_class)
        DomainError.__init__(error, body.pop("message", None), body.pop("fields", None), **body)
        raise error
    return from_record(outcome["result"])


def run_once(
    scope: str,
    key: str,
    body: Any,
    operation: Callable[[str], Result],
    to_record: Callable[[Result], Any],
    from_record: Callable[[Any], Result],
) -> Result:
    """Run `operation` at most once per (scope, key).

    `operation` gets the record's id, so what it creates can point back to the record (erasing
    a registration deletes the idempotency record of the request that made it).
    `to_record`/`from_record` turn the result into what the record keeps and back, so a
    caller keeps secrets out of it (a ticket token is re-derived on replay, never stored).
    """
    record_key = records.record_key(scope, check_key(key))
    fingerprint = body_fingerprint(body)
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while True:
        now = int(time.time())
        existing = records.claim(record_key, fingerprint, now, now + RECORD_TTL_SECONDS, now + IN_PROGRESS_SECONDS)
        if existing is None:
            break
        if existing.body_hash and not _same_body(existing.body_hash, body):
            raise IdempotencyKeyReused(fields={"Idempotency-Key": [IdempotencyKeyReused.message]})
        if existing.completed and existing.response:
            return _replay(existing.response, from_record)
        if time.monotonic() > deadline:
            raise IdempotencyInProgress()
        time.sleep(0.05)
    try:
        result = operation(records.record_id(record_key))
    except ServiceUnavailable:
        _release_quietly(record_key)
        raise
    except DomainError as refusal:
        _complete(record_key, json.dumps({"refused": refusal.body()}, ensure_ascii=False))
        raise
    except Exception:
        logger.exception("idempotent operation failed; releasing the key")
        _release_quietly(record_key)
        raise
    _complete(record_key, json.dumps({"result": to_record(result)}, ensure_ascii=False))
    return result


def _release_quietly(record_key: dict[str, str]) -> None:
    """Free the key after a failure; if even that fails, the claim expires by itself."""
    try:
        records.release(record_key)
    except ServiceUnavailable:
        logger.warning("idempotency record could not be released; it frees itself after %d s", IN_PROGRESS_SECONDS)


def _complete(record_key: dict[str, str], response: str) -> None:
    """Remember the outcome. The operation has happened, so a failure here must not turn its
    reply into an error: the record is released instead (a retry then runs the operation again,
    which recognises what the first attempt made — see registrations._made_by_this_request)."""
    for attempt in range(3):
        try:
            records.complete(record_key, response)
            return
        except ServiceUnavailable:
            time.sleep(0.05 * (attempt + 1))
    logger.warning("idempotency record could not be completed; releasing it")
    try:
        records.release(record_key)
    except ServiceUnavailable:
        logger.warning("idempotency record could not be released; it frees itself after %d s", IN_PROGRESS_SECONDS)
