"""The waitlist moves up: after a cancellation, an erasure, a new waiting entry or more capacity."""

from __future__ import annotations

from chalicelib.domain import clock
from chalicelib.domain.errors import WriteConflict
from chalicelib.domain.registrations import WaitlistEntry, first_promotable
from chalicelib.services import enqueue as message_service
from chalicelib.services.retry import MAX_ATTEMPTS, backoff
from chalicelib.storage import events as event_store
from chalicelib.storage import registrations as registration_store

MAX_PROMOTIONS_PER_PASS = 200
WAITLIST_PAGE = 100


def _oldest_that_fits(event_id: str, free_seats: int, free_public_seats: int | None = None) -> WaitlistEntry | None:
    """The first waiting party, in waitlist order, that fits: read page by page, however long
    the waitlist (a window of the first N would leave a small party waiting behind N big ones)."""
    after = None
    while True:
        entries = registration_store.waitlist_entries(event_id, after, WAITLIST_PAGE)
        entry = first_promotable(free_seats, entries, free_public_seats)
        if entry is not None or len(entries) < WAITLIST_PAGE:
            return entry
        after = entries[-1].position


def promote(event_id: str) -> list[str]:
    """Confirm waiting parties, oldest first, while seats are free for them.

    Each promotion is one transaction with the counters; concurrent passes can't promote the
    same registration twice or exceed capacity. Returns the promoted registration ids.
    """
    promoted: list[str] = []
    failures = 0
    while len(promoted) < MAX_PROMOTIONS_PER_PASS and failures < MAX_ATTEMPTS:
        event = event_store.get(event_id, consistent=True)
        if event is None or not event.has_waiting:
            break
        free = event.capacity - event.seats_confirmed
        if free <= 0:
            break
        entry = _oldest_that_fits(event_id, free, event.public_seat_limit - event.public_seats_confirmed)
        if entry is None:
            break
        try:
            registration_store.promote(
                event_id,
                entry,
                event.capacity,
                clock.now_iso(),
                event.reserved_seats,
                messages=[message_service.promoted_message(event, entry.registration_id)],
            )
            promoted.append(entry.registration_id)
        except WriteConflict:
            failures += 1  # another pass moved first; look again
            backoff(failures)
    return promoted
