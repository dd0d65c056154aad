"""Who may call what: the admin token everywhere; (later) staff tokens on their own event.

The authorizer raises `Unauthorized` for a missing or unknown token: API Gateway turns an
authorizer failing with exactly "Unauthorized" into a 401, whereas a policy that denies the
route gives a 403.
"""
from __future__ import annotations

import hmac

from chalice import AuthResponse

from chalicelib import secrets


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


def authorize(authorization_header: str | None) -> AuthResponse:
    token = bearer_token(authorization_header)
    if token and is_admin_token(token):
        return AuthResponse(routes=["*"], principal_id="admin", context={"role": "admin"})
    raise Unauthorized()
