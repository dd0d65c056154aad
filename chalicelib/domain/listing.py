"""Paged lists: one page of items and the opaque cursor of the next."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    next_cursor: str | None = None
