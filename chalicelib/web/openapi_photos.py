"""OpenAPI entries of the item photo routes (SPEC §8), merged into web/openapi.py's document."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.ids import ITEM_ID as ITEM_ID_PATTERN
from chalicelib.domain.photos import PHOTO_MAX_BYTES, UPLOAD_SECONDS
from chalicelib.schemas import items, photos
from chalicelib.web.openapi_parts import error_reply as _error
from chalicelib.web.openapi_parts import json_body as _json_body

HOW = (
    "照片不经过本服务（Lambda 单次请求上限 6 MB）：先取上传许可，浏览器把 fields 与文件（字段名 file，"
    f"放在最后）以 multipart/form-data 直接 POST 到 url（S3）；许可只允许这一个 key、所选格式、1 字节至 "
    f"{PHOTO_MAX_BYTES // (1024 * 1024)} MB，{UPLOAD_SECONDS // 60} 分钟内有效，S3 拒绝其他上传。"
    "上传成功（201）后用 key 确认。"
)


def operations(event_id: dict[str, Any], ticket_token: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    item_id = {
        "name": "item_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": f"^{ITEM_ID_PATTERN.pattern}$"},
    }
    common = {
        "400": _error("请求体不是有效的 JSON"),
        "401": _error("缺少或无效的令牌"),
        "403": _error("令牌无权访问此资源"),
        "404": _error("活动或藏品不存在"),
        "409": _error("photo_not_allowed：收藏者个人信息已删除"),
        "422": _error("字段校验失败，fields 列出各字段的错误"),
    }
    by_ticket = {
        "/tickets/{ticket_token}/items/{item_id}/photo-upload": {
            "post": {
                "summary": "收藏者从电子票为自己申报的藏品上传照片：上传许可（活动开始前、藏品未被接收）",
                "description": HOW,
                "operationId": "ticketItemPhotoUpload",
                "security": [],
                "parameters": [ticket_token, item_id],
                "requestBody": _json_body(photos.PhotoUploadRequestSchema),
                "responses": {
                    "200": {
                        "description": "上传许可",
                        "content": {"application/json": {"schema": photos.PhotoUploadSchema}},
                    },
                    **common,
                    "409": _error("items_locked：活动已开始或报名已取消；photo_not_allowed：藏品已被接收"),
                },
            }
        },
        "/tickets/{ticket_token}/items/{item_id}/photo": {
            "post": {
                "summary": "收藏者确认已上传的照片（检查同接收台；藏品须仍为已申报）",
                "operationId": "ticketItemPhotoAttach",
                "security": [],
                "parameters": [ticket_token, item_id],
                "requestBody": _json_body(photos.PhotoAttachSchema),
                "responses": {
                    "200": {
                        "description": "带照片的藏品",
                        "content": {"application/json": {"schema": items.TicketItemSchema}},
                    },
                    **common,
                    "409": _error("photo_not_uploaded、items_locked 或 photo_not_allowed"),
                    "422": _error("photo_rejected：照片超过 5 MB、为空或不是 JPEG/PNG；或 key 无效"),
                },
            }
        },
    }
    return {
        **by_ticket,
        "/events/{event_id}/items/{item_id}/photo-upload": {
            "post": {
                "summary": "藏品照片上传许可（S3 预签名 POST；管理员或本活动工作人员）",
                "description": HOW,
                "operationId": "itemPhotoUpload",
                "security": bearer,
                "parameters": [event_id, item_id],
                "requestBody": _json_body(photos.PhotoUploadRequestSchema),
                "responses": {
                    "200": {
                        "description": "上传许可",
                        "content": {"application/json": {"schema": photos.PhotoUploadSchema}},
                    },
                    **common,
                },
            }
        },
        "/events/{event_id}/items/{item_id}/photo": {
            "post": {
                "summary": "确认已上传的照片为藏品照片（替换原照片）",
                "description": (
                    "检查 S3 中的对象（存在、不超过 5 MB、JPEG/PNG：类型与文件头一致；不合格即删除并 422 "
                    "photo_rejected），复制到 photos/ 并写入藏品（条件写入）；未上传或已过期为 409 "
                    "photo_not_uploaded。答复中的 photo_url 为 10 分钟有效的预签名地址。"
                ),
                "operationId": "itemPhotoAttach",
                "security": bearer,
                "parameters": [event_id, item_id],
                "requestBody": _json_body(photos.PhotoAttachSchema),
                "responses": {
                    "200": {
                        "description": "带照片的藏品",
                        "content": {"application/json": {"schema": items.ItemSchema}},
                    },
                    **common,
                    "409": _error("photo_not_uploaded：照片尚未上传成功；photo_not_allowed：个人信息已删除"),
                    "422": _error("photo_rejected：照片超过 5 MB、为空或不是 JPEG/PNG；或 key 无效"),
                },
            }
        },
    }
