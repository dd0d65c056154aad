"""Retention follows the event: when its end or `retention_days` changes, every personal item
of the event (registrations, phone guards, waitlist and search entries), its audit entries and
its gate links get the new expiry — asynchronously, page by page, for an event of any size.

Deployed, a scheduled function (app.py, every minute) works the pending jobs; locally, `make
run` drives the same function from a worker thread.
"""

from __future__ import annotations

import logging
import time

from chalicelib.domain.events import Event
from chalicelib.storage import retention as jobs

logger = logging.getLogger(__name__)


def schedule(event: Event) -> None:
    jobs.put_job(event.event_id, event.retention_expiry(), int(event.staff_tokens_expire().timestamp()))


def run_pending(seconds: float = 50.0) -> int:
    """Work the pending jobs for about `seconds`; returns how many pages were done. What is left
    is saved and picked up by the next run."""
    deadline = time.monotonic() + seconds
    pages = 0
    for job in jobs.pending_jobs():
        current: jobs.RestampJob | None = job
        while current is not None and time.monotonic() < deadline:
            following = jobs.work_page(current)
            pages += 1
            if following is None:
                jobs.finish(current)
            elif not jobs.save_progress(following):
                break  # restarted by a newer edit: the next run starts it over
            current = following
        if time.monotonic() >= deadline:
            break
    if pages:
        logger.info("retention re-stamp: %d pages", pages)
    return pages
