"""Who may call what: the admin token everywhere; a staff token only its event's check-ins and stats.

The authorizer raises `Unauthorized` for a missing or unknown token: API Gateway turns an
authorizer failing with exactly "Unauthorized" into a 401, whereas a policy that does not
list the route gives a 403. Staff tokens are random; only their SHA-256 is stored.

A light path on purpose: the authorizer runs as its own Lambda function, so this module
imports no services, schemas or templates — only the token rules and two storage reads.
"""

from __future__ import annotations

import hmac
import time

from chalice.app import AuthResponse, AuthRoute

from chalicelib.domain.tokens import STAFF_PREFIX, staff_token_hash
from chalicelib.storage import secrets, staff_tokens


class Unauthorized(Exception):
    def __init__(self) -> None:
        super().__init__("Unauthorized")


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def is_admin_token(token: str) -> bool:
    return hmac.compare_digest(token.encode("utf-8"), secrets.admin_token().encode("utf-8"))


def staff_routes(event_id: str) -> list[str | AuthRoute]:
    """A gate's token: check-ins, live counts, the search and the programme of its own event, nothing else."""
    return [
        AuthRoute(f"/events/{event_id}/checkins", ["POST"]),
        AuthRoute(f"/events/{event_id}/stats", ["GET"]),
        AuthRoute(f"/events/{event_id}/registrations", ["GET"]),
        AuthRoute(f"/events/{event_id}/checkin-data", ["GET"]),
        AuthRoute(f"/events/{event_id}/programme", ["GET"]),  # the stage board (SPEC §9)
        # The intake desk (SPEC §8): its items, their transitions and tags, lookups by scan.
        AuthRoute(f"/events/{event_id}/items", ["GET"]),
        AuthRoute(f"/events/{event_id}/items/*", ["GET", "POST"]),
        AuthRoute(f"/events/{event_id}/desk/lookup", ["POST"]),
    ]


def _staff_record(token: str) -> staff_tokens.StaffTokenRecord | None:
    if not token.startswith(STAFF_PREFIX) or len(token) > 100:
        return None
    record = staff_tokens.get(staff_token_hash(token))
    if record is None or record.expires_at < time.time():
        return None  # unknown, revoked (its lookup item is gone) or expired
    return record


def authorize(authorization_header: str | None) -> AuthResponse:
    token = bearer_token(authorization_header)
    if token and is_admin_token(token):
        return AuthResponse(routes=["*"], principal_id="admin", context={"role": "admin"})
    record = _staff_record(token) if token else None
    if record:
        context = {
            "role": "staff",
            "event_id": record.event_id,
            "token_id": record.token_id or "",
            "label": record.label or "",
        }
        return AuthResponse(
            routes=staff_routes(record.event_id), principal_id=f"staff:{record.event_id}", context=context
        )
    raise Unauthorized()
