"""The partition of an event: every item of the event lives under it (see storage/__init__.py).
A module of its own so the authorizer's path (staff tokens) imports no domain dataclasses."""

from __future__ import annotations

import time

EVENT_SK = "EVENT"


def event_partition(event_id: str) -> str:
    return f"EVENT#{event_id}"


def changed_now() -> int:
    """The `changed_ms` stamp of a write that changes what gate data shows (storage/gate.py): every
    write of a registration's status, name, role, party size or seat sets it (the `gsi2` index)."""
    return int(time.time() * 1000)
