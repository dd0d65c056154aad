"""marshmallow schemas: request validation with zh-CN messages, and response shapes for OpenAPI.

Schemas are built once at import; the OpenAPI document is generated from these same classes.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chalicelib import domain, normalize

MESSAGES = {
    "required": "此项必填",
    "null": "不能为空",
    "type": "类型不正确",
}

SLUG = domain.EVENT_ID
_CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def _messages(**specific: str) -> dict[str, str]:
    return {**MESSAGES, **specific}


def _with_messages(kwargs: dict[str, Any], **defaults: str) -> dict[str, Any]:
    """Field kwargs whose error_messages extend the field's own zh-CN defaults."""
    return {**kwargs, "error_messages": {**_messages(**defaults), **kwargs.get("error_messages", {})}}


class StrictInteger(fields.Integer):
    """An integer that is a JSON number: no strings, no floats, no booleans."""

    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **_with_messages(kwargs, invalid="须为整数", too_large="数值过大"))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """Only JSON true/false, not "yes" or 1."""

    def __init__(self, **kwargs: Any):
        super().__init__(**_with_messages(kwargs, invalid="须为 true 或 false"))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class CleanText(fields.String):
    """Text normalised and trimmed, then length-checked; control characters refused.

    Free text keeps NFC so full-width Chinese punctuation stays as typed; identifiers such
    as names use NFKC, which folds full-width letters and digits to their plain forms.
    """

    def __init__(self, min_length: int = 0, max_length: int = 200, form: str = "NFC", **kwargs: Any):
        self.min_length, self.max_length, self.form = min_length, max_length, form
        kwargs.setdefault("metadata", {"minLength": min_length, "maxLength": max_length})
        super().__init__(**_with_messages(
            kwargs,
            invalid="须为文本",
            control="不能包含控制字符或换行",
            too_short="不能为空" if min_length <= 1 else f"至少 {min_length} 个字符",
            too_long=f"不能超过 {max_length} 个字符",
        ))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = unicodedata.normalize(self.form, value).strip()
        if any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in text):
            raise self.make_error("control")
        length = len(text)  # code points: 𠮷 counts as one character
        if length < max(self.min_length, 0) or (self.min_length and not text):
            raise self.make_error("too_short")
        if length > self.max_length:
            raise self.make_error("too_long")
        return text


class AwareTime(fields.AwareDateTime):
    """ISO 8601 with an offset, kept as a string in Asia/Shanghai time."""

    def __init__(self, **kwargs: Any):
        super().__init__(format="iso", **_with_messages(
            kwargs,
            invalid="须为 ISO 8601 时间，例如 2026-12-20T19:00:00+08:00",
            invalid_awareness="时间须带时区偏移，例如 +08:00",
        ))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        moment = super()._deserialize(value, attr, data, **kwargs)
        return domain.to_shanghai_iso(moment)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class StrictSchema(Schema):
    error_messages = {"unknown": "不支持的字段", "type": "请求体须为 JSON 对象"}


def full_match(pattern: re.Pattern[str], error: str) -> Any:
    """Like validate.Regexp, but the whole value must match (Regexp only anchors the start)."""

    def check(value: str) -> None:
        if not pattern.fullmatch(value):
            raise ValidationError(error)

    return check


def _slug(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=full_match(SLUG, "须为 3–64 位小写字母、数字或连字符，且以字母或数字开头"),
        metadata={"pattern": "^" + SLUG.pattern + "$"},
        error_messages=_messages(invalid="须为文本"),
        **kwargs,
    )


def _kind(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(domain.KINDS, error="须为 award_ceremony 或 collector_exchange"),
        error_messages=_messages(invalid="须为文本"),
        **kwargs,
    )


def _roles(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(error_messages=_messages(invalid="须为文本")),
        validate=validate.Length(min=1, max=10, error="至少选择一个身份"),
        error_messages=_messages(invalid="须为身份列表"),
        **kwargs,
    )


class EventFieldsSchema(StrictSchema):
    """Fields shared by creating and editing an event."""

    title = CleanText(1, 100)
    venue = CleanText(1, 200)
    starts_at = AwareTime()
    ends_at = AwareTime()
    registration_opens_at = AwareTime(allow_none=True)
    registration_closes_at = AwareTime(allow_none=True)
    capacity = StrictInteger(validate=validate.Range(min=1, max=100_000, error="须在 1 到 100000 之间"))
    waitlist = StrictBoolean()
    max_party_size = StrictInteger(validate=validate.Range(min=1, max=20, error="须在 1 到 20 之间"))
    roles = _roles()
    retention_days = StrictInteger(validate=validate.Range(min=1, max=3650, error="须在 1 到 3650 天之间"))


class EventCreateSchema(EventFieldsSchema):
    kind = _kind(required=True)
    event_id = _slug()
    title = CleanText(1, 100, required=True)
    venue = CleanText(1, 200, required=True)
    starts_at = AwareTime(required=True)
    ends_at = AwareTime(required=True)
    capacity = StrictInteger(required=True, validate=validate.Range(min=1, max=100_000, error="须在 1 到 100000 之间"))

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors = domain.event_field_errors(data)
        if errors:
            raise ValidationError(errors)


class EventPatchSchema(EventFieldsSchema):
    """Every field optional; consistency is checked after merging with the stored event."""


class EventCountsSchema(Schema):
    seats_confirmed = fields.Integer(required=True)
    seats_remaining = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    checked_in = fields.Integer(required=True)


class EventSchema(Schema):
    event_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(domain.KINDS))
    title = fields.String(required=True)
    venue = fields.String(required=True)
    starts_at = fields.String(required=True, metadata={"format": "date-time"})
    ends_at = fields.String(required=True, metadata={"format": "date-time"})
    registration_opens_at = fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    registration_closes_at = fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    capacity = fields.Integer(required=True)
    waitlist = fields.Boolean(required=True)
    max_party_size = fields.Integer(required=True)
    roles = fields.List(fields.String(), required=True)
    retention_days = fields.Integer(required=True)
    counts = fields.Nested(EventCountsSchema, required=True)


class EventListSchema(Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ErrorSchema(Schema):
    error = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.List(fields.String())
    )


class EventListQuerySchema(StrictSchema):
    limit = fields.Integer(
        validate=validate.Range(min=1, max=100, error="须在 1 到 100 之间"),
        error_messages=_messages(invalid="须为整数"),
    )
    cursor = fields.String(
        validate=validate.Length(max=2000, error="游标无效"),
        error_messages=_messages(invalid="游标无效"),
    )


class PersonName(fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("须为文本")
        try:
            return normalize.person_name(value)
        except normalize.Invalid as error:
            raise ValidationError(str(error)) from error


class MainlandMobile(fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("请填写 11 位中国大陆手机号，如 13812345678")
        try:
            return normalize.mainland_mobile(value)
        except normalize.Invalid as error:
            raise ValidationError(str(error)) from error


def _role(kind: str) -> fields.String:
    roles = domain.KIND_ROLES[kind]
    labels = "、".join(f"{role}（{domain.ROLE_LABELS_ZH[role]}）" for role in roles)
    return fields.String(
        required=True,
        validate=validate.OneOf(roles, error=f"请选择身份：{labels}"),
        error_messages=_messages(invalid="须为文本", required="请选择身份"),
    )


class CollectionItemSchema(StrictSchema):
    name = CleanText(1, 50, required=True, error_messages=_messages(required="请填写藏品名称"))
    category = CleanText(0, 30)
    era = CleanText(0, 30)
    intent = fields.String(
        required=True,
        validate=validate.OneOf(domain.ITEM_INTENTS, error="须为 exhibit（展示）、exchange（交换）或 donate（捐赠）"),
        error_messages=_messages(invalid="须为文本", required="请选择展示、交换或捐赠"),
    )


class RegistrationFieldsSchema(StrictSchema):
    name = PersonName(required=True, metadata={"minLength": 1, "maxLength": 50},
                      error_messages=_messages(required="请填写姓名"))
    phone = MainlandMobile(required=True, metadata={"example": "13812345678"},
                           error_messages=_messages(required="请填写手机号"))
    consent = StrictBoolean(
        required=True,
        validate=validate.Equal(True, error="须阅读并同意隐私声明才能报名"),
        error_messages=_messages(required="须阅读并同意隐私声明才能报名", invalid="须为 true"),
    )
    party_size = StrictInteger(validate=validate.Range(min=1, max=20, error="人数须在 1 到 20 之间"))
    city = CleanText(0, 60)
    organization = CleanText(0, 60)
    note = CleanText(0, 200)


class AwardRegistrationSchema(RegistrationFieldsSchema):
    role = _role(domain.AWARD_CEREMONY)


class CollectorRegistrationSchema(RegistrationFieldsSchema):
    role = _role(domain.COLLECTOR_EXCHANGE)
    items = fields.List(
        fields.Nested(CollectionItemSchema),
        validate=validate.Length(max=20, error="最多登记 20 件藏品"),
        error_messages=_messages(invalid="须为藏品列表"),
    )


class RegistrationCreatedSchema(Schema):
    registration_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([domain.CONFIRMED, domain.WAITLISTED]))
    ticket_token = fields.String(required=True)
    ticket_url = fields.String(required=True)
    qr_png_url = fields.String(required=True)
    qr_svg_url = fields.String(required=True)


class TicketEventSchema(Schema):
    event_id = fields.String(required=True)
    title = fields.String(required=True)
    venue = fields.String(required=True)
    starts_at = fields.String(required=True, metadata={"format": "date-time"})


class TicketSchema(Schema):
    registration_id = fields.String(required=True)
    event = fields.Nested(TicketEventSchema, required=True)
    name = fields.String(required=True)
    phone_masked = fields.String(required=True, metadata={"example": "138****5678"})
    role = fields.String(required=True)
    party_size = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(
        [domain.CONFIRMED, domain.WAITLISTED, domain.CANCELLED]))
    checked_in_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class CancelResultSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf([domain.CANCELLED]))


class CheckinSchema(StrictSchema):
    code = fields.String(
        required=True, validate=validate.Length(min=1, max=512, error="扫码内容为空或过长"),
        error_messages=_messages(invalid="须为文本", required="请扫描或输入票码"),
        metadata={"description": "扫描到的二维码内容：完整电子票链接或票码"},
    )
    gate = CleanText(0, 30, metadata={"description": "签到口，如 东门", "maxLength": 30})


class CheckinRegistrationSchema(Schema):
    registration_id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    party_size = fields.Integer(required=True)


class CheckinResultSchema(Schema):
    result = fields.String(required=True, validate=validate.OneOf(
        ["ok", "already_checked_in", "invalid", "wrong_event", "cancelled", "waitlisted"]))
    message = fields.String(required=True)
    registration = fields.Nested(CheckinRegistrationSchema)
    checked_in_at = fields.String(metadata={"format": "date-time"})
    gate = fields.String(allow_none=True)


class StatsSchema(Schema):
    confirmed = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)
    checked_in = fields.Integer(required=True)
    seats_confirmed = fields.Integer(required=True)
    seats_remaining = fields.Integer(required=True)


class StaffTokenSchema(Schema):
    token = fields.String(required=True)
    scanner_url = fields.String(required=True)
    expires_at = fields.String(required=True, metadata={"format": "date-time"})


class RegistrationListQuerySchema(EventListQuerySchema):
    status = fields.String(
        validate=validate.OneOf([domain.CONFIRMED, domain.WAITLISTED, domain.CANCELLED],
                                error="须为 confirmed、waitlisted 或 cancelled"),
        error_messages=_messages(invalid="须为文本"),
    )


class ExportQuerySchema(StrictSchema):
    lang = fields.String(
        validate=validate.OneOf(["zh", "en"], error="须为 zh 或 en"),
        error_messages=_messages(invalid="须为文本"),
    )


class CollectionItemViewSchema(Schema):
    name = fields.String(required=True)
    category = fields.String()
    era = fields.String()
    intent = fields.String(required=True)


class RegistrationAdminSchema(Schema):
    registration_id = fields.String(required=True)
    status = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    role = fields.String(required=True, allow_none=True)
    party_size = fields.Integer(required=True)
    city = fields.String(required=True, allow_none=True)
    organization = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    items = fields.List(fields.Nested(CollectionItemViewSchema), required=True, allow_none=True)
    registered_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    checked_in_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    gate = fields.String(required=True, allow_none=True)
    waitlist_position = fields.Integer(required=True, allow_none=True)


class RegistrationListSchema(Schema):
    items = fields.List(fields.Nested(RegistrationAdminSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


EVENT_CREATE = EventCreateSchema()
EVENT_PATCH = EventPatchSchema()
EVENT_LIST_QUERY = EventListQuerySchema()
REGISTRATION_LIST_QUERY = RegistrationListQuerySchema()
EXPORT_QUERY = ExportQuerySchema()
REGISTRATION_BY_KIND = {
    domain.AWARD_CEREMONY: AwardRegistrationSchema(),
    domain.COLLECTOR_EXCHANGE: CollectorRegistrationSchema(),
}


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict → {"items.0.name": [...]} for forms to show inline."""
    if isinstance(messages, list):
        return {prefix or "_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        for field, errs in flatten_errors(value, path).items():
            flat.setdefault(field, []).extend(errs)
    return flat
