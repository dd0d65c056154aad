"""Signed page cursors for every list: a cursor only opens the list (and filters) it was made for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.domain import tokens
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.listing import Page


def start_of(scope: str, cursor: str | None) -> dict[str, Any] | None:
    """Where the page starts: None for the first page; a 422 for a forged, edited or moved cursor."""
    if not cursor:
        return None
    start = tokens.open_cursor(scope, cursor)
    if start is None:
        raise ValidationFailed(fields={"cursor": ["游标无效，或属于另一列表/筛选条件"]})
    return start


def page_of(items: Sequence[Any], scope: str, last: dict[str, Any] | None) -> Page:
    return Page(items, tokens.sign_cursor(scope, last) if last else None)
