"""Collector items (SPEC §8): what the item routes accept and the one definition of their replies."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_dump, validate

from chalicelib.domain import items as item_rules
from chalicelib.domain import registrations as registration_rules
from chalicelib.domain.ids import ITEM_ID, REGISTRATION_ID
from chalicelib.schemas.fields import BoundedList, CleanText, StrictSchema, full_match, zh_messages
from chalicelib.schemas.requests import CollectionItemSchema


def _item_id(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=full_match(ITEM_ID, "藏品编号无效"),
        metadata={"pattern": "^" + ITEM_ID.pattern + "$", "example": "C-0001"},
        error_messages=zh_messages(invalid="须为文本"),
        **kwargs,
    )


def _state(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(item_rules.STATES, error="须为 " + "、".join(item_rules.STATES)),
        error_messages=zh_messages(invalid="须为文本"),
        **kwargs,
    )


# --- requests --------------------------------------------------------------------------------


class DeclaredItemSchema(CollectionItemSchema):
    """The registration's item shape; with `item_id`, an edit of that item."""

    item_id = _item_id()


class ItemsReplaceSchema(StrictSchema):
    items = BoundedList(
        fields.Nested(DeclaredItemSchema),
        max_length=registration_rules.MAX_ITEMS,
        too_long=f"最多登记 {registration_rules.MAX_ITEMS} 件藏品",
        required=True,
        error_messages=zh_messages(invalid="须为藏品列表", required="请提供藏品列表（可为空列表）"),
    )


class TransitionSchema(StrictSchema):
    to = fields.String(
        required=True,
        validate=validate.OneOf(
            [state for state in item_rules.STATES if state != item_rules.DECLARED],
            error="须为 received、exhibited、returned、exchanged 或 donated",
        ),
        error_messages=zh_messages(invalid="须为文本", required="请选择操作"),
    )
    from_ = fields.String(
        data_key="from",
        validate=validate.OneOf(item_rules.STATES, error="须为藏品状态之一"),
        error_messages=zh_messages(invalid="须为文本"),
        metadata={
            "description": "可选：操作者看到的当前状态；已被他处改变则 409（两处同时操作不同去向时只有一处成功）"
        },
    )
    note = CleanText(0, item_rules.NOTE_MAX)
    recipient = CleanText(0, item_rules.RECIPIENT_MAX, metadata={"description": "受赠单位（捐赠时必填）"})


class DeskLookupSchema(StrictSchema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=512, error="扫码内容为空或过长"),
        error_messages=zh_messages(invalid="须为文本", required="请扫描或输入票码、藏品标签"),
        metadata={"description": "扫描到的电子票或藏品标签内容（完整链接或令牌）"},
    )


class ItemListQuerySchema(StrictSchema):
    state = _state()
    intent = fields.String(
        validate=validate.OneOf(registration_rules.ITEM_INTENTS, error="须为 exhibit、exchange 或 donate"),
        error_messages=zh_messages(invalid="须为文本"),
    )
    registration_id = fields.String(
        validate=full_match(REGISTRATION_ID, "报名编号无效"), error_messages=zh_messages(invalid="须为文本")
    )


# --- replies ---------------------------------------------------------------------------------


class TicketItemSchema(Schema):
    item_id = fields.String(required=True, allow_none=True, metadata={"example": "C-0001"})
    name = fields.String(required=True)
    category = fields.String(required=True, allow_none=True)
    era = fields.String(required=True, allow_none=True)
    intent = fields.String(required=True, validate=validate.OneOf(registration_rules.ITEM_INTENTS))
    state = fields.String(required=True, validate=validate.OneOf(item_rules.STATES))
    photo_url = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "藏品照片（预签名地址，10 分钟内有效）；没有照片则为空"},
    )

    @post_dump
    def _no_empty_id(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["item_id"] = data.get("item_id") or None
        return data


class TicketItemsSchema(Schema):
    items = fields.List(fields.Nested(TicketItemSchema), required=True)


class HistoryEntrySchema(Schema):
    at = fields.String(required=True, metadata={"format": "date-time"})
    actor = fields.String(required=True, metadata={"description": "admin 或 staff:<签到口名称>"})
    from_ = fields.String(required=True, data_key="from", attribute="from")
    to = fields.String(required=True)
    note = fields.String()


class ItemSchema(TicketItemSchema):
    registration_id = fields.String(required=True)
    received_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    recipient = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True, metadata={"description": "最近一次操作的备注"})
    history = fields.List(fields.Nested(HistoryEntrySchema), required=True)


class ItemRowSchema(ItemSchema):
    collector_name = fields.String(
        required=True, allow_none=True, metadata={"description": "收藏者姓名（已删除个人信息则为空）"}
    )


class ItemListSchema(Schema):
    items = fields.List(fields.Nested(ItemRowSchema), required=True)


class CollectorSchema(Schema):
    registration_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    phone_masked = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)


class DeskViewSchema(Schema):
    collector = fields.Nested(CollectorSchema, required=True, allow_none=True)
    items = fields.List(fields.Nested(ItemSchema), required=True)
    item_id = fields.String(required=True, allow_none=True, metadata={"description": "扫描的藏品标签对应的藏品"})


ITEMS_REPLACE = ItemsReplaceSchema()
TRANSITION = TransitionSchema()
DESK_LOOKUP = DeskLookupSchema()
ITEM_LIST_QUERY = ItemListQuerySchema()
TICKET_ITEMS = TicketItemsSchema()
TICKET_ITEM = TicketItemSchema()
ITEM = ItemSchema()
ITEM_LIST = ItemListSchema()
DESK_VIEW = DeskViewSchema()
