"""Paged lists: one page of items and the opaque cursor of the next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    next_cursor: str | None = None
