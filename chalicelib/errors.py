"""API errors: each carries its HTTP status, a stable code and a zh-CN message.

They subclass ChaliceUnhandledError because that is the exception Chalice lets
through to the 'http' middleware, which renders the SPEC's error JSON.
"""
from __future__ import annotations

from chalice import ChaliceUnhandledError


class ApiError(ChaliceUnhandledError):
    status = 400
    code = "bad_request"
    message = "请求有误"

    def __init__(self, message: str | None = None, fields: dict[str, list[str]] | None = None,
                 code: str | None = None, **extra: object):
        self.message = message or self.message
        self.code = code or self.code
        self.fields = fields
        self.extra = extra
        super().__init__(self.message)

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return body


class InvalidJson(ApiError):
    status = 400
    code = "invalid_json"
    message = "请求体不是有效的 JSON"


class ValidationFailed(ApiError):
    status = 422
    code = "validation_error"
    message = "提交的内容有误，请检查标出的字段"


class NotFound(ApiError):
    status = 404
    code = "not_found"
    message = "找不到该资源"


class EventNotFound(NotFound):
    code = "event_not_found"
    message = "活动不存在"


class Conflict(ApiError):
    status = 409
    code = "conflict"
    message = "请求与当前状态冲突"


class EventAlreadyExists(Conflict):
    code = "event_exists"
    message = "活动编号已被使用"


class CapacityBelowConfirmed(Conflict):
    code = "capacity_below_confirmed"
    message = "名额不能少于已确认的座位数"


class ServiceUnavailable(ApiError):
    status = 503
    code = "service_unavailable"
    message = "系统繁忙，请稍后重试"
