"""Idempotency-Key handling, after Powertools' design: one conditional put claims the key.

The same key with the same body returns the first response and writes nothing new, also
when both requests arrive at the same moment (the second waits for the first to finish);
the same key with another body is refused. Records expire by TTL after 24 hours.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from typing import Any, Callable

from chalicelib import repository
from chalicelib.errors import ApiError, Conflict, ValidationFailed

logger = logging.getLogger(__name__)

RECORD_TTL_SECONDS = 24 * 3600
IN_PROGRESS_SECONDS = 30  # longer than any request can run; then the key may be claimed again
WAIT_FOR_FIRST_SECONDS = 10.0
_KEY = re.compile(r"[\x21-\x7e]{1,255}")

Outcome = tuple[int, Any]


class KeyReused(ApiError):
    status = 422
    code = "idempotency_key_reused"
    message = "该 Idempotency-Key 已用于另一份不同的报名内容"


class StillInProgress(Conflict):
    code = "idempotency_in_progress"
    message = "相同的请求正在处理中，请稍后重试"


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValidationFailed(fields={"Idempotency-Key": ["须为 1–255 个可见 ASCII 字符"]})
    return key


def body_fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _unchanged(body: Any) -> Any:
    return body


def run_once(scope: str, key: str, body: Any, operation: Callable[[], Outcome],
             to_record: Callable[[Any], Any] = _unchanged, from_record: Callable[[Any], Any] = _unchanged) -> Outcome:
    """Run `operation` at most once per (scope, key); 4xx outcomes are remembered too.

    `to_record`/`from_record` let a caller keep secrets out of the stored response (a
    ticket token is re-derived on replay rather than stored for a day).
    """
    record_key = repository.idempotency_key(scope, check_key(key))
    fingerprint = body_fingerprint(body)
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while True:
        now = int(time.time())
        existing = repository.claim_idempotency(
            record_key, fingerprint, now, now + RECORD_TTL_SECONDS, now + IN_PROGRESS_SECONDS
        )
        if existing is None:
            break
        if existing.get("body_hash") != fingerprint:
            raise KeyReused(fields={"Idempotency-Key": [KeyReused.message]})
        if existing.get("status") == "completed":
            return int(existing["status_code"]), from_record(json.loads(existing["response_body"]))
        if time.monotonic() > deadline:
            raise StillInProgress()
        time.sleep(0.05)
    try:
        outcome = operation()
    except ApiError as error:
        if error.status >= 500:
            repository.release_idempotency(record_key)
            raise
        outcome = (error.status, error.body())
    except Exception:
        logger.exception("idempotent operation failed; releasing the key")
        repository.release_idempotency(record_key)
        raise
    repository.complete_idempotency(record_key, outcome[0], json.dumps(to_record(outcome[1]), ensure_ascii=False))
    return outcome
