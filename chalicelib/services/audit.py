"""The audit log: what the services record after each organiser or gate action, and its pages."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from chalicelib.domain import clock
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.events import Event
from chalicelib.domain.listing import Page
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import paging
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
    start = paging.start_of(scope, params.get("cursor"))
    items, last = audit_store.page(event_id, params.get("limit", DEFAULT_PAGE_SIZE), start)
    return paging.page_of(items, scope, last)
