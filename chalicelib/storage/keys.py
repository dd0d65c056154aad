"""The partition of an event: every item of the event lives under it (see storage/__init__.py).
A module of its own so the authorizer's path (staff tokens) imports no domain dataclasses."""

from __future__ import annotations

EVENT_SK = "EVENT"


def event_partition(event_id: str) -> str:
    return f"EVENT#{event_id}"
