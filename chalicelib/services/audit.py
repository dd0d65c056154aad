"""The audit log: what the services record after each organiser or gate action, and its pages."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from chalicelib.domain import clock, tokens
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.events import Event
from chalicelib.domain.listing import Page
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.storage import audit as audit_store

logger = logging.getLogger(__name__)
DEFAULT_PAGE_SIZE = 50


def record(event: Event, actor: str, action: str, target: str | None = None, detail: str | None = None) -> None:
    """Append an entry. Written after the action succeeded; a failure to write it is logged,
    not raised, because the action itself has already happened and must not be retried."""
    entry = AuditEntry(clock.now_iso(), actor, action, target, detail)
    try:
        audit_store.put(event.event_id, entry, event.retention_expiry())
    except Exception:
        logger.exception("audit entry %s on %s could not be written", action, event.event_id)


def entries(event_id: str, query: Mapping[str, str]) -> Page:
    params = load(requests.AUDIT_QUERY, dict(query))
    scope = f"event:{event_id}:audit"
    start = None
    if params.get("cursor"):
        start = tokens.open_cursor(scope, params["cursor"])
        if start is None:
            raise ValidationFailed(fields={"cursor": ["游标无效或已过期"]})
    items, last = audit_store.page(event_id, params.get("limit", DEFAULT_PAGE_SIZE), start)
    return Page(items, tokens.sign_cursor(scope, last) if last else None)
