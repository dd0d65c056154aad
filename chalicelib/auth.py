"""Who may call what: the admin token everywhere; a staff token only its event's check-ins and stats.

The authorizer raises `Unauthorized` for a missing or unknown token: API Gateway turns an
authorizer failing with exactly "Unauthorized" into a 401, whereas a policy that does not
list the route gives a 403. Staff tokens are random; only their SHA-256 is stored.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets as random_source
import time
from datetime import timedelta

from chalice import AuthResponse, AuthRoute

from chalicelib import domain, events, repository, secrets
from chalicelib.config import settings

STAFF_PREFIX = "st_"
STAFF_VALID_AFTER_EVENT = timedelta(days=1)


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


def _staff_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def staff_routes(event_id: str) -> list[AuthRoute]:
    return [AuthRoute(f"/events/{event_id}/checkins", ["POST"]), AuthRoute(f"/events/{event_id}/stats", ["GET"])]


def _staff_event(token: str) -> str | None:
    if not token.startswith(STAFF_PREFIX) or len(token) > 100:
        return None
    record = repository.get_staff_token(_staff_hash(token))
    if record is None or int(record.get("expires_at", 0)) < time.time():
        return None
    return record["event_id"]


def authorize(authorization_header: str | None) -> AuthResponse:
    token = bearer_token(authorization_header)
    if token and is_admin_token(token):
        return AuthResponse(routes=["*"], principal_id="admin", context={"role": "admin"})
    event_id = _staff_event(token) if token else None
    if event_id:
        return AuthResponse(routes=staff_routes(event_id), principal_id=f"staff:{event_id}",
                            context={"role": "staff", "event_id": event_id})
    raise Unauthorized()


def create_staff_token(event_id: str) -> dict[str, str]:
    """A new gate token for one event, valid until a day after it ends."""
    event = events.require_event(event_id)
    token = STAFF_PREFIX + random_source.token_urlsafe(32)
    expires = domain.parse_iso(event["ends_at"]) + STAFF_VALID_AFTER_EVENT
    repository.put_staff_token(_staff_hash(token), event["event_id"],
                               domain.to_shanghai_iso(domain.now()), int(expires.timestamp()))
    return {
        "token": token,
        # The token travels in the fragment: browsers never send it to servers or write it to logs.
        "scanner_url": f"{settings().public_base_url}/scan/{event['event_id']}#token={token}",
        "expires_at": domain.to_shanghai_iso(expires),
    }
