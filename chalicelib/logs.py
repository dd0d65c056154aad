"""Log hygiene: no full phone number and no ticket or bearer token ever reaches a log line.

Redaction happens where every record is made (the log record factory), so it covers our
loggers, Chalice's (which logs request paths, and ticket paths carry the token), botocore's
and anything else, whatever handler Lambda or a developer attaches.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_PHONE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
# <EVENT-ID>.<key id><registration id><MAC>, in either case
_TICKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,63}\.[A-Za-z2-7][0-9A-Za-z]{16}[A-Za-z2-7]{32}")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",]+")
_STAFF = re.compile(r"st_[A-Za-z0-9_-]{20,}")


def redact(text: str) -> str:
    text = _TICKET.sub("[ticket]", text)
    text = _STAFF.sub("[staff-token]", text)
    text = _BEARER.sub(r"\1[token]", text)
    return _PHONE.sub(r"\1****\2", text)


def install_redaction() -> None:
    """Idempotent: wraps the current record factory once."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
