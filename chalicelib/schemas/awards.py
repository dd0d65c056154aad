"""Award ceremony schemas (SPEC §9): an event's awards, the organiser's edit of a registration
(seat, award, companion) and the programme reply."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chalicelib.domain import awards as award_rules
from chalicelib.domain.ids import REGISTRATION_ID
from chalicelib.schemas.fields import SLUG, CleanText, StrictInteger, StrictSchema, full_match, zh_messages

_SLUG_ERROR = "须为 3–64 位小写字母、数字或连字符，且以字母或数字开头"


def award_id_field(required: bool = False, allow_none: bool = False) -> fields.String:
    return fields.String(
        required=required,
        allow_none=allow_none,
        validate=full_match(SLUG, "奖项编号" + _SLUG_ERROR),
        metadata={"pattern": "^" + SLUG.pattern + "$", "description": "奖项编号（events.awards[].award_id）"},
        error_messages=zh_messages(invalid="须为文本", required="请填写奖项编号"),
    )


class AwardSchema(StrictSchema):
    award_id = award_id_field(required=True)
    name = CleanText(1, 40, required=True, error_messages=zh_messages(required="请填写奖项名称"))
    slots = StrictInteger(
        required=True,
        validate=validate.Range(
            min=award_rules.MIN_SLOTS,
            max=award_rules.MAX_SLOTS,
            error=f"名额须在 {award_rules.MIN_SLOTS} 到 {award_rules.MAX_SLOTS} 之间",
        ),
        error_messages=zh_messages(required="请填写名额"),
    )


class RegistrationPatchSchema(StrictSchema):
    """PATCH /events/{event_id}/registrations/{registration_id}: any subset; "" or null clears."""

    seat = CleanText(
        0,
        award_rules.SEAT_MAX_LENGTH,
        allow_none=True,
        metadata={
            "minLength": 0,
            "maxLength": award_rules.SEAT_MAX_LENGTH,
            "description": "座位，如 A区3排5座、第3桌（1–20 个字符；空字符串或 null 清除）。"
            "本活动有效报名的座位互不重复",
        },
    )
    award_id = award_id_field(allow_none=True)
    companion_of = fields.String(
        allow_none=True,
        validate=full_match(REGISTRATION_ID, "须为候选人的报名编号"),
        metadata={"pattern": "^" + REGISTRATION_ID.pattern + "$", "description": "所陪同候选人的报名编号"},
        error_messages=zh_messages(invalid="须为文本"),
    )


# --- replies ------------------------------------------------------------------------------------


class AwardViewSchema(Schema):
    award_id = fields.String(required=True)
    name = fields.String(required=True)
    slots = fields.Integer(required=True)


class CompanionsSchema(Schema):
    total = fields.Integer(required=True, metadata={"description": "陪同人员的有效报名数"})
    checked_in = fields.Integer(required=True, metadata={"description": "其中已签到的报名数"})


class ProgrammeNomineeSchema(Schema):
    registration_id = fields.String(required=True)
    name = fields.String(required=True)
    seat = fields.String(required=True, allow_none=True)
    checked_in = fields.Boolean(required=True)
    companions = fields.Nested(CompanionsSchema, required=True)
    party_size = fields.Integer(required=True)
    status = fields.String(required=True)


class ProgrammeAwardSchema(Schema):
    award_id = fields.String(
        required=True, allow_none=True, metadata={"description": "null：未分配奖项（或奖项已删除）的候选人"}
    )
    name = fields.String(required=True)
    slots = fields.Integer(required=True, allow_none=True)
    nominees = fields.List(
        fields.Nested(ProgrammeNomineeSchema), required=True, metadata={"description": "未到的在前，其余按报名顺序"}
    )


class ProgrammeSchema(Schema):
    awards = fields.List(fields.Nested(ProgrammeAwardSchema), required=True)


REGISTRATION_PATCH = RegistrationPatchSchema()
PROGRAMME = ProgrammeSchema()
