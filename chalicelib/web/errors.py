"""The one table from domain errors to HTTP status codes, and the SPEC's error JSON.

A class not listed takes the status of its nearest listed ancestor; a DomainError that
reaches here unlisted is a 400.
"""

from __future__ import annotations

from chalicelib.domain import errors

STATUS_OF: dict[type[errors.DomainError], int] = {
    errors.DomainError: 400,
    errors.InvalidRequest: 400,
    errors.ValidationFailed: 422,
    errors.IdempotencyKeyReused: 422,
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.Conflict: 409,
    errors.ServiceUnavailable: 503,
}


def status_of(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 500


# A gate verdict is a 200 only when the person may come in; an unknown ticket is a 404, and a
# known ticket that can't be used (again) here is a 409, so a plain HTTP client can tell them apart.
VERDICT_STATUS = {"ok": 200, "invalid": 404}


def verdict_status(result: str) -> int:
    return VERDICT_STATUS.get(result, 409)
