"""Domain errors: each has a stable code and a zh-CN message for the person who caused it.

They know nothing of HTTP: the web layer's one table (chalicelib/web/errors.py) maps each
class to a status code. Storage raises the same errors (or the internal signals at the
end of this module) so that no other layer ever decodes a DynamoDB failure.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "bad_request"
    message = "请求有误"

    def __init__(self, message: str | None = None, fields: dict[str, list[str]] | None = None, **extra: Any):
        self.message = message or type(self).message
        self.fields = fields
        self.extra = extra
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """The SPEC's error JSON: {error, message, fields?, …extra}."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return body

    @classmethod
    def by_code(cls, code: str) -> type[DomainError]:
        """The error class with this code (to replay a remembered outcome); DomainError if none."""
        pending: list[type[DomainError]] = [cls]
        while pending:
            candidate = pending.pop()
            if candidate.code == code:
                return candidate
            pending.extend(candidate.__subclasses__())
        return DomainError


class InvalidRequest(DomainError):
    """The request body is not JSON or too large to read."""

    code = "invalid_json"
    message = "请求体不是有效的 JSON"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    message = "请求体过大（上限 256 KB）"


class ValidationFailed(DomainError):
    code = "validation_error"
    message = "提交的内容有误，请检查标出的字段"


class InviteCodeUnusable(ValidationFailed):
    """An invite code that is unknown, revoked, used up or for another role (SPEC §6)."""

    INVALID = "邀请码无效、已撤销或已用完，或不适用于所选身份"

    def __init__(self, message: str | None = None, fields: dict[str, list[str]] | None = None, **extra: Any):
        super().__init__(message, fields or {"invite_code": [self.INVALID]}, **extra)


class NotFound(DomainError):
    code = "not_found"
    message = "找不到该资源"


class EventNotFound(NotFound):
    code = "event_not_found"
    message = "活动不存在"


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    message = "电子票不存在或链接有误"


class RegistrationNotFound(NotFound):
    code = "registration_not_found"
    message = "报名记录不存在"


class StaffTokenNotFound(NotFound):
    code = "staff_token_not_found"
    message = "签到链接不存在"


class InviteCodeNotFound(NotFound):
    code = "invite_code_not_found"
    message = "邀请码不存在"


class Forbidden(DomainError):
    code = "forbidden"
    message = "无权进行此操作"


class Conflict(DomainError):
    code = "conflict"
    message = "请求与当前状态冲突"


class EventAlreadyExists(Conflict):
    code = "event_exists"
    message = "活动编号已被使用"


class CapacityBelowConfirmed(Conflict):
    code = "capacity_below_confirmed"
    message = "名额不能少于已确认的座位数"


class QuestionInUse(Conflict):
    code = "question_in_use"
    message = "已有回答的问题只能改名称或增加选项，不能删除或改题型"


class EventFull(Conflict):
    code = "event_full"
    message = "名额已满，本活动不设候补"


class PhoneTaken(Conflict):
    """The phone already has a live registration for this event (its guard item exists).

    `existing_registration_id` names it for the service (an earlier attempt of the same
    idempotent request may have made it); it is never part of the reply."""

    code = "already_registered"
    message = "该手机号已报名本活动；如需查看电子票，请使用报名成功后收到的链接，或点“找回电子票”用短信接收"

    def __init__(self, existing_registration_id: str | None = None):
        super().__init__()
        self.existing_registration_id = existing_registration_id


class RegistrationClosed(Conflict):
    code = "registration_closed"
    message = "当前不在报名时间内"


class TicketAlreadyUsed(Conflict):
    code = "already_checked_in"
    message = "该票已签到，无法取消"


class EventEnded(Conflict):
    code = "event_ended"
    message = "活动已结束，不能再签发签到链接"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    message = "该 Idempotency-Key 已用于另一份不同的报名内容"


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    message = "相同的请求正在处理中，请稍后重试"


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    message = "系统繁忙，请稍后重试"


# --- collector exchange: items (SPEC §8) ---------------------------------------------------


class ItemNotFound(NotFound):
    code = "item_not_found"
    message = "藏品不存在"


class InvalidTransition(Conflict):
    """Not allowed from the item's current state; the reply names both (`from`, `to`)."""

    code = "invalid_transition"
    message = "藏品当前状态不允许此操作"

    def __init__(self, from_state: str, to_state: str, message: str | None = None):
        super().__init__(message)
        self.extra = {"from": from_state, "to": to_state}


class ItemsLocked(Conflict):
    code = "items_locked"
    message = "活动已开始（或报名已取消），不能再修改申报的藏品"


class NoDonations(Conflict):
    code = "no_donations"
    message = "该报名没有已捐赠的藏品"


class PhotoNotUploaded(Conflict):
    """Confirming a photo whose upload isn't in the bucket (never sent, refused by S3, or expired)."""

    code = "photo_not_uploaded"
    message = "照片尚未上传成功（或上传已过期），请重新选择照片上传"


class PhotoRejected(ValidationFailed):
    """An uploaded file that can't be an item's photo: too large, empty, or not JPEG/PNG."""

    code = "photo_rejected"
    message = "照片不符合要求"

    def __init__(self, message: str):
        super().__init__(message, fields={"photo": [message]})


class PhotoNotAllowed(Conflict):
    """An item that can't take a new photo from this caller: its collector was erased, or (from the
    ticket) it already reached the desk."""

    code = "photo_not_allowed"
    message = "该藏品收藏者的个人信息已删除，不能再添加照片"


class RateLimited(DomainError):
    """Too many recovery or code requests for a phone or from an address (SPEC §7)."""

    code = "rate_limited"
    message = "请求过于频繁，请稍后再试"

    def __init__(self, retry_after: int):
        super().__init__()
        self.retry_after = max(int(retry_after), 1)


class PhoneVerificationOff(Conflict):
    code = "phone_verification_off"
    message = "本活动报名无需短信验证码"


class MessageNotFound(NotFound):
    code = "message_not_found"
    message = "短信记录不存在"


# --- signals from storage: a conditional write did not apply --------------------------------
# Services catch these and decide again; one that escapes is answered as ServiceUnavailable.


class StorageSignal(ServiceUnavailable):
    pass


class SeatsChanged(StorageSignal):
    """The event's seats, capacity or waitlist were not what the writer read: `event` is the stored one."""

    def __init__(self, event: Any):
        super().__init__()
        self.event = event


class RegistrationChanged(StorageSignal):
    """The registration was not in the state the writer read: `registration` is the stored one (or None)."""

    def __init__(self, registration: Any):
        super().__init__()
        self.registration = registration


class EventChanged(StorageSignal):
    """Someone else edited the event meanwhile: `event` is the stored one (None when it is gone)."""

    def __init__(self, event: Any):
        super().__init__()
        self.event = event


class WriteConflict(StorageSignal):
    """A concurrent transaction touched the same items, or a fresh id collided: retry."""


class ItemChanged(StorageSignal):
    """The item was not in the state the writer read: `item` is the stored one (or None)."""

    def __init__(self, item: Any):
        super().__init__()
        self.item = item


class ImportRowTaken(StorageSignal):
    """An import's row found its phone registered (or its seat held, `field` = "seat") meanwhile:
    `registration_id` is the row's new id."""

    def __init__(self, registration_id: str, field: str = "phone"):
        super().__init__()
        self.registration_id = registration_id
        self.field = field


class ImportAborted(StorageSignal):
    """The import is no longer pending (recovery rolled it back): stop writing."""
