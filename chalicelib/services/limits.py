"""Limits on ticket recovery and verification codes (SPEC §7), counted together and across
events: per phone at most 1 a minute and 5 a day, per client address at most 30 an hour.
Checked before anything about the phone is looked at, so the answer never depends on whether
it is registered. Counters are items that expire by TTL."""

from __future__ import annotations

import time

from chalicelib.domain import clock, messages
from chalicelib.domain.errors import RateLimited, ServiceUnavailable, WriteConflict
from chalicelib.services.retry import MAX_ATTEMPTS, backoff
from chalicelib.storage import messages as message_store


def take(phone: str, client_ip: str | None) -> None:
    """Count one request, or raise RateLimited(seconds until allowed again)."""
    now = clock.now()
    windows = messages.windows(now)
    for attempt in range(MAX_ATTEMPTS):
        try:
            wait = message_store.take_allowance(
                messages.limit_key("phone", phone),
                messages.limit_key("ip", client_ip or "unknown"),
                int(time.time()),
                windows.day,
                windows.day_ends_in,
                windows.hour,
                windows.hour_ends_in,
                messages.CODE_RESEND_SECONDS,
                messages.PHONE_PER_DAY,
                messages.IP_PER_HOUR,
            )
        except WriteConflict:  # two requests for the same phone at once: decide again
            backoff(attempt)
            continue
        if wait is not None:
            raise RateLimited(wait)
        return
    raise ServiceUnavailable()
