"""The one table from domain errors to HTTP status codes, and the SPEC's error JSON.

A class not listed takes the status of its nearest listed ancestor; a DomainError that
reaches here unlisted is a 400.
"""

from __future__ import annotations

from chalicelib.domain import errors

STATUS_OF: dict[type[errors.DomainError], int] = {
    errors.DomainError: 400,
    errors.InvalidRequest: 400,
    errors.PayloadTooLarge: 413,
    errors.ValidationFailed: 422,
    errors.IdempotencyKeyReused: 422,
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.Conflict: 409,
    errors.ServiceUnavailable: 503,
    errors.RateLimited: 429,
}


def status_of(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 500


# Errors Chalice or the gateway produce themselves, before or around a view, in the SPEC's shape.
FRAMEWORK_ERRORS = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "请提供有效的令牌（Authorization: Bearer …）"),
    403: ("forbidden", "此令牌无权访问该资源"),
    404: ("not_found", "找不到该地址"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求体过大（上限 256 KB）"),
    415: ("unsupported_media_type", "请求体须为 JSON（Content-Type: application/json）"),
    429: ("too_many_requests", "请求过于频繁，请稍后重试"),
    500: ("internal_error", "服务器内部错误，请稍后重试"),
    503: ("service_unavailable", "系统繁忙，请稍后重试"),
}
RETRY_AFTER_SECONDS = "2"


def framework_error(status: int) -> dict[str, str]:
    code, message = FRAMEWORK_ERRORS.get(status, FRAMEWORK_ERRORS[500 if status >= 500 else 400])
    return {"error": code, "message": message}


# A gate verdict is a 200 only when the person may come in; an unknown ticket is a 404, and a
# known ticket that can't be used (again) here is a 409, so a plain HTTP client can tell them apart.
VERDICT_STATUS = {"ok": 200, "invalid": 404}


def verdict_status(result: str) -> int:
    return VERDICT_STATUS.get(result, 409)
