"""Request schemas: what the API accepts, validated with zh-CN messages. Built once at import;
the OpenAPI document is generated from these same classes."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from chalicelib.domain import events as event_rules
from chalicelib.domain import gate as gate_rules
from chalicelib.domain import registrations as registration_rules
from chalicelib.schemas.awards import AwardSchema, award_id_field
from chalicelib.schemas.fields import (
    SLUG,
    AwareTime,
    BoundedList,
    CleanText,
    MainlandMobile,
    PersonName,
    StrictBoolean,
    StrictInteger,
    StrictSchema,
    full_match,
    zh_messages,
)
from chalicelib.schemas.questions import answers_field, questions_field


def _slug(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=full_match(SLUG, "须为 3–64 位小写字母、数字或连字符，且以字母或数字开头"),
        metadata={"pattern": "^" + SLUG.pattern + "$"},
        error_messages=zh_messages(invalid="须为文本"),
        **kwargs,
    )


def _kind(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(event_rules.KINDS, error="须为 award_ceremony 或 collector_exchange"),
        error_messages=zh_messages(invalid="须为文本"),
        **kwargs,
    )


def _roles(**kwargs: Any) -> fields.List:
    return BoundedList(
        fields.String(error_messages=zh_messages(invalid="须为文本")),
        max_length=10,
        too_long="身份最多 10 个",
        validate=validate.Length(min=1, error="至少选择一个身份"),
        error_messages=zh_messages(invalid="须为身份列表"),
        **kwargs,
    )


class CheckinListSchema(StrictSchema):
    list_id = fields.String(
        required=True,
        validate=full_match(gate_rules.LIST_ID, "须为 1–30 位小写字母、数字、下划线或连字符"),
        metadata={"pattern": "^" + gate_rules.LIST_ID.pattern + "$"},
        error_messages=zh_messages(invalid="须为文本", required="请填写名单编号"),
    )
    name = CleanText(1, 20, required=True, error_messages=zh_messages(required="请填写名单名称"))
    roles = _roles(metadata={"description": "可入场的身份（不填则不限）"})


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
    checkin_lists = BoundedList(
        fields.Nested(CheckinListSchema),
        max_length=gate_rules.MAX_LISTS,
        too_long=f"签到名单最多 {gate_rules.MAX_LISTS} 个",
        validate=validate.Length(min=1, error="至少一个签到名单"),
        metadata={"description": "签到名单（默认 [{list_id: main, name: 入场}]）；main 总是存在"},
    )
    awards = BoundedList(
        fields.Nested(AwardSchema),
        max_length=20,
        too_long="奖项最多 20 个",
        error_messages=zh_messages(invalid="须为奖项列表"),
        metadata={"description": "颁奖典礼的奖项（仅 award_ceremony）"},
    )
    invite_only_roles = BoundedList(
        fields.String(error_messages=zh_messages(invalid="须为文本")),
        max_length=10,
        too_long="身份最多 10 个",
        error_messages=zh_messages(invalid="须为身份列表"),
        metadata={"description": "仅凭邀请码或名单导入才能报名的身份（公开报名表不提供）"},
    )
    reserved_seats = StrictInteger(
        validate=validate.Range(min=0, max=100_000, error="须在 0 到 100000 之间"),
        metadata={"description": "为受邀和导入的嘉宾预留的座位；公开报名最多占用 capacity − reserved_seats"},
    )
    verify_phone = StrictBoolean()
    questions = questions_field()


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
        errors = event_rules.event_field_errors(data)
        if errors:
            raise ValidationError(errors)


class EventPatchSchema(EventFieldsSchema):
    """Every field optional; consistency is checked after merging with the stored event."""


class EventListQuerySchema(StrictSchema):
    limit = fields.Integer(
        validate=validate.Range(min=1, max=100, error="须在 1 到 100 之间"),
        error_messages=zh_messages(invalid="须为整数"),
    )
    cursor = fields.String(
        validate=validate.Length(max=2000, error="游标无效"),
        error_messages=zh_messages(invalid="游标无效"),
    )


def _role(kind: str) -> fields.String:
    roles = event_rules.KIND_ROLES[kind]
    labels = "、".join(f"{role}（{event_rules.ROLE_LABELS_ZH[role]}）" for role in roles)
    return fields.String(
        required=True,
        validate=validate.OneOf(roles, error=f"请选择身份：{labels}"),
        error_messages=zh_messages(invalid="须为文本", required="请选择身份"),
    )


class CollectionItemSchema(StrictSchema):
    name = CleanText(1, 50, required=True, error_messages=zh_messages(required="请填写藏品名称"))
    category = CleanText(0, 30)
    era = CleanText(0, 30)
    intent = fields.String(
        required=True,
        validate=validate.OneOf(
            registration_rules.ITEM_INTENTS, error="须为 exhibit（展示）、exchange（交换）或 donate（捐赠）"
        ),
        error_messages=zh_messages(invalid="须为文本", required="请选择展示、交换或捐赠"),
    )


class RegistrationFieldsSchema(StrictSchema):
    name = PersonName(
        required=True, metadata={"minLength": 1, "maxLength": 50}, error_messages=zh_messages(required="请填写姓名")
    )
    phone = MainlandMobile(
        required=True, metadata={"example": "13812345678"}, error_messages=zh_messages(required="请填写手机号")
    )
    consent = StrictBoolean(
        required=True,
        validate=validate.Equal(True, error="须阅读并同意隐私声明才能报名"),
        error_messages=zh_messages(required="须阅读并同意隐私声明才能报名", invalid="须为 true"),
    )
    party_size = StrictInteger(validate=validate.Range(min=1, max=20, error="人数须在 1 到 20 之间"))
    city = CleanText(0, 60)
    organization = CleanText(0, 60)
    note = CleanText(0, 200)
    invite_code = fields.String(
        validate=validate.Length(min=1, max=64, error="邀请码无效"),
        error_messages=zh_messages(invalid="须为文本"),
        metadata={"description": "邀请码（邀请链接 ?invite= 中的值）"},
    )
    phone_code = fields.String(
        validate=validate.Regexp(r"^[0-9]{6}$", error="请填写短信中的 6 位验证码"),
        metadata={"pattern": "^[0-9]{6}$", "description": "活动要求短信验证（verify_phone）时必填"},
        error_messages=zh_messages(invalid="请填写短信中的 6 位验证码"),
    )
    answers = answers_field


class AwardRegistrationSchema(RegistrationFieldsSchema):
    role = _role(event_rules.AWARD_CEREMONY)
    award_id = award_id_field()


class CollectorRegistrationSchema(RegistrationFieldsSchema):
    role = _role(event_rules.COLLECTOR_EXCHANGE)
    items = BoundedList(
        fields.Nested(CollectionItemSchema),
        max_length=registration_rules.MAX_ITEMS,
        too_long=f"最多登记 {registration_rules.MAX_ITEMS} 件藏品",
        error_messages=zh_messages(invalid="须为藏品列表"),
    )


class CheckinSchema(StrictSchema):
    code = fields.String(
        validate=validate.Length(min=1, max=512, error="扫码内容为空或过长"),
        error_messages=zh_messages(invalid="须为文本", required="请扫描或输入票码"),
        metadata={"description": "扫描到的二维码内容：完整电子票链接或票码（与 registration_id 二选一）"},
    )
    registration_id = fields.String(
        validate=validate.Length(min=1, max=32, error="报名编号无效"),
        error_messages=zh_messages(invalid="须为文本"),
        metadata={"description": "手动签到：搜索到的报名编号（与 code 二选一）"},
    )
    gate = CleanText(0, 30, metadata={"description": "签到口，如 东门", "maxLength": 30})
    list_id = fields.String(
        validate=full_match(gate_rules.LIST_ID, "签到名单编号无效"),
        error_messages=zh_messages(invalid="须为文本"),
        metadata={"description": "签到名单（默认 main）"},
    )
    heads = StrictInteger(
        validate=validate.Range(min=1, max=20, error="须在 1 到 20 之间"),
        metadata={"description": "本次入场人数（默认：该报名在此名单上尚未入场的全部人数）"},
    )
    scanned_at = AwareTime(metadata={"description": "离线扫码时设备上的扫码时间；记为签到时间"})

    @validates_schema
    def _code_or_registration(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("code" in data) == ("registration_id" in data):
            raise ValidationError({"code": ["请扫描票码，或从搜索结果中选择报名（二选一）"]})


class RegistrationListQuerySchema(EventListQuerySchema):
    status = fields.String(
        validate=validate.OneOf(registration_rules.STATUSES, error="须为 confirmed、waitlisted 或 cancelled"),
        error_messages=zh_messages(invalid="须为文本"),
    )
    role = fields.String(
        validate=validate.OneOf(sorted(event_rules.ROLE_LABELS_ZH), error="没有这个身份"),
        error_messages=zh_messages(invalid="须为文本"),
    )
    q = fields.String(
        validate=validate.Length(max=50, error="搜索内容不能超过 50 个字符"),
        error_messages=zh_messages(invalid="须为文本"),
        metadata={"description": "搜索：姓名的一部分、手机号后 4 位或报名编号"},
    )


class AuditQuerySchema(EventListQuerySchema):
    """Paging of the audit log (limit, cursor)."""


class StatsQuerySchema(StrictSchema):
    list_id = fields.String(
        validate=validate.Length(min=1, max=40, error="签到名单编号无效"),
        error_messages=zh_messages(invalid="须为文本"),
        metadata={"description": "签到名单（默认 main）"},
    )


class GateDataQuerySchema(StrictSchema):
    since = fields.String(
        validate=validate.Length(min=1, max=20, error="须为上次返回的 next_since"),
        error_messages=zh_messages(invalid="须为文本"),
        metadata={"description": "上次返回的 next_since：只返回此后有变化的报名"},
    )


class StaffTokenCreateSchema(StrictSchema):
    label = CleanText(1, 30, metadata={"description": "签到口名称，如 东门·张三（默认 签到口）"})


class ExportQuerySchema(StrictSchema):
    lang = fields.String(
        validate=validate.OneOf(["zh", "en"], error="须为 zh 或 en"),
        error_messages=zh_messages(invalid="须为文本"),
    )
    delivery = fields.String(
        validate=validate.OneOf(["file", "link"], error="须为 file 或 link"),
        error_messages=zh_messages(invalid="须为文本"),
        metadata={
            "description": "file（默认）：大文件 303 跳转到临时下载链接；link：大文件以 JSON 返回该链接"
            "（页面脚本的 fetch 受 CSP 限制，不能跟随跨域跳转）"
        },
    )


class PhoneRequestSchema(StrictSchema):
    """Ticket recovery and verification codes (SPEC §7): just the phone."""

    phone = MainlandMobile(
        required=True, metadata={"example": "13812345678"}, error_messages=zh_messages(required="请填写手机号")
    )


class MessageListQuerySchema(StrictSchema):
    registration_id = fields.String(metadata={"pattern": "^[0-9A-HJKMNP-TV-Z]{16}$"})
    status = fields.String(validate=validate.OneOf(("queued", "sent", "failed"), error="须为 queued、sent 或 failed"))


class OutboxQuerySchema(StrictSchema):
    phone = fields.String(required=True, metadata={"example": "13812345678"})


PHONE_REQUEST = PhoneRequestSchema()
EVENT_CREATE = EventCreateSchema()
EVENT_PATCH = EventPatchSchema()
EVENT_LIST_QUERY = EventListQuerySchema()
REGISTRATION_LIST_QUERY = RegistrationListQuerySchema()
EXPORT_QUERY = ExportQuerySchema()
REGISTRATION_BY_KIND = {
    event_rules.AWARD_CEREMONY: AwardRegistrationSchema(),
    event_rules.COLLECTOR_EXCHANGE: CollectorRegistrationSchema(),
}

CHECKIN = CheckinSchema()
AUDIT_QUERY = AuditQuerySchema()
STATS_QUERY = StatsQuerySchema()
GATE_DATA_QUERY = GateDataQuerySchema()
STAFF_TOKEN_CREATE = StaffTokenCreateSchema()


# --- invite codes (SPEC §6) -----------------------------------------------------------------


class InviteCodeCreateSchema(StrictSchema):
    role = fields.String(
        required=True,
        validate=validate.OneOf(sorted(event_rules.ROLE_LABELS_ZH), error="没有这个身份"),
        error_messages=zh_messages(invalid="须为文本", required="请选择身份"),
    )
    max_uses = StrictInteger(
        validate=validate.Range(min=1, max=1000, error="须在 1 到 1000 之间"),
        metadata={"description": "可使用次数（默认 1）"},
    )
    label = CleanText(1, 30, metadata={"description": "备注，如 候选人郑国强及家属"})
    companion_of = fields.String(
        validate=validate.Length(min=1, max=32, error="报名编号无效"),
        error_messages=zh_messages(invalid="须为文本"),
        metadata={"description": "陪同对象（本活动某位候选人的报名编号）：用此码报名者记为其陪同人"},
    )


INVITE_CODE_CREATE = InviteCodeCreateSchema()


# --- guest-list import (SPEC §6) -------------------------------------------------------------


class ImportQuerySchema(StrictSchema):
    skip_duplicates = fields.Boolean(
        truthy={"true", "1"},
        falsy={"false", "0"},
        error_messages=zh_messages(invalid="须为 true 或 false"),
        metadata={"description": "true：已报名或文件内重复的手机号跳过（列在 skipped 中），不报错"},
    )


IMPORT_QUERY = ImportQuerySchema()
