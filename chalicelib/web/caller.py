"""Who is calling a route behind the authorizer, as the services see it (a `Caller`)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.access import ADMIN_CALLER, Caller
from chalicelib.domain.errors import Forbidden


def caller_of(request_context: dict[str, Any] | None) -> Caller:
    """Who is calling, from what the authorizer put in the request context (routes behind it only)."""
    found = (request_context or {}).get("authorizer") or {}
    if found.get("role") == "admin":
        return ADMIN_CALLER
    if found.get("role") == "staff":
        return Caller("staff", found.get("event_id") or None, found.get("token_id") or None, found.get("label") or None)
    raise Forbidden()
