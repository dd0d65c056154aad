"""Reply schemas: the one definition of each reply's shape. The web layer dumps the services'
domain objects through them, and the OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_dump, validate

from chalicelib.domain import checkins as checkin_rules
from chalicelib.domain import events as event_rules
from chalicelib.domain import messages as message_rules
from chalicelib.domain import registrations as registration_rules
from chalicelib.schemas.awards import AwardViewSchema
from chalicelib.schemas.items import TicketItemSchema
from chalicelib.schemas.questions import QuestionReplySchema


class EventCountsSchema(Schema):
    seats_confirmed = fields.Integer(required=True)
    seats_remaining = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    checked_in = fields.Integer(required=True)


class CheckinListReplySchema(Schema):
    list_id = fields.String(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.String(), allow_none=True)


class EventSchema(Schema):
    event_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(event_rules.KINDS))
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
    verify_phone = fields.Boolean(required=True)
    counts = fields.Nested(EventCountsSchema, required=True)
    checkin_lists = fields.List(fields.Nested(CheckinListReplySchema), attribute="gate_lists", dump_only=True)
    awards = fields.List(fields.Nested(AwardViewSchema), required=True)
    invite_only_roles = fields.List(fields.String(), required=True)
    reserved_seats = fields.Integer(required=True)
    questions = fields.List(fields.Nested(QuestionReplySchema), required=True)


class EventListSchema(Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ErrorSchema(Schema):
    error = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.List(fields.String()))


class RegistrationCreatedSchema(Schema):
    registration_id = fields.String(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf([registration_rules.CONFIRMED, registration_rules.WAITLISTED])
    )
    ticket_token = fields.String(required=True)
    ticket_url = fields.String(required=True)
    qr_png_url = fields.String(required=True)
    qr_svg_url = fields.String(required=True)


class TicketEventSchema(Schema):
    event_id = fields.String(required=True)
    title = fields.String(required=True)
    venue = fields.String(required=True)
    starts_at = fields.String(required=True, metadata={"format": "date-time"})


class TicketAnswerSchema(Schema):
    question_id = fields.String(required=True)
    label = fields.String(required=True)
    answer = fields.String(required=True, metadata={"description": "回答（多选以、连接）"})


class TicketSchema(Schema):
    registration_id = fields.String(required=True)
    event = fields.Nested(TicketEventSchema, required=True)
    name = fields.String(required=True)
    phone_masked = fields.String(required=True, metadata={"example": "138****5678"})
    role = fields.String(required=True)
    party_size = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(registration_rules.STATUSES))
    checked_in_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    seat = fields.String(required=True, allow_none=True)
    items = fields.List(fields.Nested(TicketItemSchema), required=True, metadata={"description": "藏品及其状态"})
    answers = fields.List(
        fields.Nested(TicketAnswerSchema),
        required=True,
        metadata={"description": "自定义问题及回答（报名时的题目顺序）"},
    )


class CancelResultSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf([registration_rules.CANCELLED]))


class CheckinRegistrationSchema(Schema):
    registration_id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    party_size = fields.Integer(required=True)
    seat = fields.String(required=True, allow_none=True)


class CheckinResultSchema(Schema):
    result = fields.String(required=True, validate=validate.OneOf(checkin_rules.RESULTS))
    message = fields.String(required=True)
    registration = fields.Nested(CheckinRegistrationSchema)
    checked_in_at = fields.String(metadata={"format": "date-time"})
    gate = fields.String(allow_none=True)
    heads = fields.Integer(metadata={"description": "本次入场人数"})
    checked_in_heads = fields.Integer(metadata={"description": "此名单上已入场人数"})
    party_size = fields.Integer()
    list_id = fields.String()

    @post_dump
    def _only_for_used_tickets(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """A verdict names the party, and when and where it came in, only for a used ticket."""
        if data.get("registration") is None:
            return {"result": data["result"], "message": data["message"]}
        return {name: value for name, value in data.items() if value is not None or name == "gate"}


class RoleStatsSchema(Schema):
    confirmed = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    checked_in = fields.Integer(required=True)
    seats_confirmed = fields.Integer(required=True)
    checked_in_heads = fields.Integer(required=True)


class TimelineBucketSchema(Schema):
    at = fields.String(required=True, metadata={"format": "date-time", "description": "10 分钟时段的开始"})
    heads = fields.Integer(required=True)


class StatsSchema(Schema):
    confirmed = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)
    checked_in = fields.Integer(required=True, metadata={"description": "至少有一人已入场的报名数"})
    seats_confirmed = fields.Integer(required=True)
    seats_remaining = fields.Integer(required=True)
    checked_in_heads = fields.Integer(required=True, metadata={"description": "已入场人数"})
    by_role = fields.Dict(keys=fields.String(), values=fields.Nested(RoleStatsSchema), required=True)
    by_gate = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    timeline = fields.List(fields.Nested(TimelineBucketSchema), required=True)


class StaffTokenSchema(Schema):
    token_id = fields.String(required=True)
    label = fields.String(required=True)
    token = fields.String(required=True)
    scanner_url = fields.String(required=True)
    expires_at = fields.String(required=True, metadata={"format": "date-time"})


class StaffTokenInfoSchema(Schema):
    token_id = fields.String(required=True)
    label = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    expires_at = fields.String(required=True, metadata={"format": "date-time"})
    last_used_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    revoked_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class StaffTokenListSchema(Schema):
    items = fields.List(fields.Nested(StaffTokenInfoSchema), required=True)


class AuditEntrySchema(Schema):
    at = fields.String(required=True, metadata={"format": "date-time"})
    actor = fields.String(required=True, metadata={"description": "admin、staff:<签到口名称> 或 system"})
    action = fields.String(required=True)
    target = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)


class AuditListSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CollectionItemViewSchema(Schema):
    item_id = fields.String(metadata={"example": "C-0001"})
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
    answers = fields.Dict(required=True, allow_none=True, metadata={"description": "自定义问题的回答"})
    seat = fields.String(required=True, allow_none=True)
    checked_in_heads = fields.Integer(required=True)
    checked_in_by = fields.String(required=True, allow_none=True, metadata={"description": "admin 或签到口名称"})
    source = fields.String(required=True, validate=validate.OneOf(registration_rules.SOURCES))
    award_id = fields.String(required=True, allow_none=True, metadata={"description": "候选人所属奖项"})
    companion_of = fields.String(required=True, allow_none=True, metadata={"description": "所陪同候选人的报名编号"})


class RegistrationListSchema(Schema):
    items = fields.List(fields.Nested(RegistrationAdminSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class RegistrationGateSchema(Schema):
    """What a gate (staff token) sees of a registration: no phone number, only its mask."""

    registration_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    phone_masked = fields.String(required=True, allow_none=True)
    role = fields.String(required=True, allow_none=True)
    party_size = fields.Integer(required=True)
    status = fields.String(required=True)
    seat = fields.String(required=True, allow_none=True)
    checked_in_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    checked_in_heads = fields.Integer(required=True)


class RegistrationGateListSchema(Schema):
    items = fields.List(fields.Nested(RegistrationGateSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class GateListStateSchema(Schema):
    checked_in_heads = fields.Integer(required=True)
    checked_in_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class GateEntrySchema(Schema):
    ticket_hash = fields.String(required=True, metadata={"description": "大写票码的 SHA-256（小写十六进制）"})
    registration_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True, metadata={"description": "已删除个人信息时为 null"})
    role = fields.String(required=True, allow_none=True)
    party_size = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(registration_rules.STATUSES))
    seat = fields.String(required=True, allow_none=True)
    lists = fields.Dict(keys=fields.String(), values=fields.Nested(GateListStateSchema), required=True)


class GateDataSchema(Schema):
    event = fields.Nested(EventSchema, required=True)
    entries = fields.List(fields.Nested(GateEntrySchema), required=True)
    next_since = fields.String(required=True, metadata={"description": "下次增量同步时作为 since 传回"})
    ticket_key_id = fields.String(
        required=True, metadata={"description": "ticket_hash 所用的签名密钥编号；其他密钥签发的票离线时判为 unknown"}
    )


EVENT = EventSchema()
EVENT_LIST = EventListSchema()
REGISTRATION_CREATED = RegistrationCreatedSchema()
TICKET = TicketSchema()
CANCEL_RESULT = CancelResultSchema()
CHECKIN_RESULT = CheckinResultSchema()
STATS = StatsSchema()
STAFF_TOKEN = StaffTokenSchema()
REGISTRATION_LIST = RegistrationListSchema()
REGISTRATION = RegistrationAdminSchema()
REGISTRATION_GATE_LIST = RegistrationGateListSchema()
STAFF_TOKEN_LIST = StaffTokenListSchema()
AUDIT_LIST = AuditListSchema()
GATE_DATA = GateDataSchema()


# --- invite codes (SPEC §6) -----------------------------------------------------------------


class InviteCodeSchema(Schema):
    code_id = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "邀请码（仅管理员可见）"})
    role = fields.String(required=True)
    max_uses = fields.Integer(required=True)
    used = fields.Integer(required=True)
    label = fields.String(required=True, allow_none=True)
    form_url = fields.String(required=True, metadata={"description": "{PUBLIC_BASE_URL}/e/{event_id}?invite={code}"})
    companion_of = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    revoked_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class InviteCodeListSchema(Schema):
    items = fields.List(fields.Nested(InviteCodeSchema), required=True)


INVITE_CODE = InviteCodeSchema()
INVITE_CODE_LIST = InviteCodeListSchema()


# --- guest-list import (SPEC §6) -------------------------------------------------------------


class ImportedRowSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "数据行号（表头下第 1 行为 1）"})
    registration_id = fields.String(required=True)
    ticket_url = fields.String(required=True)


class SkippedRowSchema(Schema):
    row = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["already_registered", "duplicate_in_file"]))


class ImportResultSchema(Schema):
    created = fields.Integer(required=True)
    skipped = fields.List(fields.Nested(SkippedRowSchema), required=True)
    registrations = fields.List(fields.Nested(ImportedRowSchema), required=True)


class ImportRowErrorSchema(Schema):
    row = fields.Integer(required=True)
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.List(fields.String()), required=True)


class ImportErrorSchema(ErrorSchema):
    rows = fields.List(fields.Nested(ImportRowErrorSchema))


IMPORT_RESULT = ImportResultSchema()


class InvitationCardSchema(Schema):
    registration_id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    role_label = fields.String(required=True)
    party_size = fields.Integer(required=True)
    seat = fields.String(required=True, allow_none=True)
    ticket_url = fields.String(required=True)
    qr_svg_url = fields.String(required=True)


class InvitationSheetSchema(Schema):
    event_id = fields.String(required=True)
    title = fields.String(required=True)
    venue = fields.String(required=True)
    starts_at = fields.String(required=True, metadata={"format": "date-time"})
    ends_at = fields.String(required=True, metadata={"format": "date-time"})
    items = fields.List(fields.Nested(InvitationCardSchema), required=True)


INVITATION_SHEET = InvitationSheetSchema()


# --- messages (SPEC §7) ---------------------------------------------------------------------


class MessageSchema(Schema):
    message_id = fields.String(required=True)
    registration_id = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(message_rules.KINDS))
    phone_masked = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(message_rules.STATUSES))
    attempts = fields.Integer(required=True)
    created_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    sent_at = fields.String(metadata={"format": "date-time"})
    error = fields.String(metadata={"description": "上次发送失败的原因（不含手机号和内容）"})

    @post_dump
    def _optional(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {name: value for name, value in data.items() if value is not None or name not in ("sent_at", "error")}


class MessageListSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema), required=True)


class AcceptedSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["accepted"]))


class OutboxEntrySchema(Schema):
    phone = fields.String(required=True)
    text = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(message_rules.KINDS))
    at = fields.String(required=True, metadata={"format": "date-time"})


class OutboxSchema(Schema):
    items = fields.List(fields.Nested(OutboxEntrySchema), required=True)


MESSAGE = MessageSchema()
MESSAGE_LIST = MessageListSchema()
ACCEPTED = AcceptedSchema()
OUTBOX = OutboxSchema()
