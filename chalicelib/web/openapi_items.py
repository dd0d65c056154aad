"""OpenAPI entries of the collector exchange's routes (SPEC §8), merged into web/openapi.py's document."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.ids import ITEM_ID as ITEM_ID_PATTERN
from chalicelib.schemas import items, requests
from chalicelib.web.openapi_parts import error_reply as _error
from chalicelib.web.openapi_parts import json_body as _json_body
from chalicelib.web.openapi_parts import ok_reply as _ok


def operations(
    event_id: dict[str, Any], ticket_token: dict[str, Any], registration_id: dict[str, Any]
) -> dict[str, dict[str, dict[str, Any]]]:
    admin: list[dict[str, list[str]]] = [{"bearer": []}]
    item_id = {
        "name": "item_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": f"^{ITEM_ID_PATTERN.pattern}$"},
    }
    unauthorized, forbidden = _error("缺少或无效的令牌"), _error("令牌无权访问此资源")
    not_found, invalid = _error("资源不存在"), _error("字段校验失败，fields 列出各字段的错误")
    export_query = {"in": "query", "schema": requests.ExportQuerySchema}

    def export(kind: str, media: dict[str, Any]) -> dict[str, Any]:
        return {
            "get": {
                "summary": f"藏品清单 {kind}（博物馆登记用；UTF-8 带 BOM、CRLF，防公式注入）",
                "operationId": f"items{kind.capitalize()}",
                "security": admin,
                "parameters": [event_id, export_query],
                "responses": {
                    "200": {"description": kind, "content": media},
                    "303": {"description": "文件较大：Location 指向有效期数分钟的下载链接"},
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                    "422": invalid,
                },
            }
        }

    return {
        "/tickets/{ticket_token}/items": {
            "put": {
                "summary": "收藏者修改申报的藏品（活动开始前；已接收的藏品保留）",
                "operationId": "replaceTicketItems",
                "security": [],
                "parameters": [ticket_token],
                "requestBody": _json_body(items.ItemsReplaceSchema),
                "responses": {
                    "200": _ok("修改后的藏品列表", items.TicketItemsSchema),
                    "400": _error("请求体不是有效的 JSON"),
                    "404": not_found,
                    "409": _error("活动已开始或报名已取消（items_locked）"),
                    "422": invalid,
                },
            }
        },
        "/events/{event_id}/items": {
            "get": {
                "summary": "本活动的藏品（按状态、意向、报名筛选；管理员或本活动工作人员）",
                "operationId": "listItems",
                "security": admin,
                "parameters": [event_id, {"in": "query", "schema": items.ItemListQuerySchema}],
                "responses": {
                    "200": _ok("藏品", items.ItemListSchema),
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                    "422": invalid,
                },
            }
        },
        "/events/{event_id}/items/{item_id}": {
            "get": {
                "summary": "一件藏品及其流转记录",
                "operationId": "getItem",
                "security": admin,
                "parameters": [event_id, item_id],
                "responses": {
                    "200": _ok("藏品", items.ItemSchema),
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                },
            }
        },
        "/events/{event_id}/items/{item_id}/transitions": {
            "post": {
                "summary": "藏品流转：接收、展出、归还、交换、捐赠（捐赠须填受赠单位；两处同时操作只有一处成功）",
                "operationId": "itemTransition",
                "security": admin,
                "parameters": [event_id, item_id],
                "requestBody": _json_body(items.TransitionSchema),
                "responses": {
                    "200": _ok("流转后的藏品", items.ItemSchema),
                    "400": _error("请求体不是有效的 JSON"),
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                    "409": _error("invalid_transition：当前状态不允许（带 from、to）"),
                    "422": invalid,
                },
            }
        },
        "/events/{event_id}/items/{item_id}/tag.png": {
            "get": {
                "summary": "藏品标签 PNG（二维码 + 编号 + 名称，50 mm 宽，203 dpi）",
                "operationId": "itemTagPng",
                "security": admin,
                "parameters": [event_id, item_id],
                "responses": {
                    "200": {
                        "description": "PNG",
                        "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                },
            }
        },
        "/events/{event_id}/desk/lookup": {
            "post": {
                "summary": "接收台扫码：电子票 → 收藏者及其藏品；藏品标签 → 该藏品",
                "operationId": "deskLookup",
                "security": admin,
                "parameters": [event_id],
                "requestBody": _json_body(items.DeskLookupSchema),
                "responses": {
                    "200": _ok("收藏者与藏品", items.DeskViewSchema),
                    "400": _error("请求体不是有效的 JSON"),
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                    "422": invalid,
                },
            }
        },
        "/events/{event_id}/items.csv": export("csv", {"text/csv": {"schema": {"type": "string"}}}),
        "/events/{event_id}/items.xlsx": export(
            "xlsx",
            {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                }
            },
        ),
        "/events/{event_id}/registrations/{registration_id}/donation-certificate.pdf": {
            "get": {
                "summary": "捐赠证书 PDF（A4 一页；中文为可提取的文字）",
                "operationId": "donationCertificate",
                "security": admin,
                "parameters": [event_id, registration_id],
                "responses": {
                    "200": {
                        "description": "PDF",
                        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                    "409": _error("no_donations：没有已捐赠的藏品"),
                },
            }
        },
    }


def pages(event_id: dict[str, Any], page: Any) -> dict[str, dict[str, dict[str, Any]]]:
    token = {
        "name": "item_token",
        "in": "path",
        "required": True,
        "description": "藏品标签令牌（标签二维码内容的最后一段）",
        "schema": {"type": "string", "maxLength": 200},
    }
    return {
        "/desk/{event_id}": page("藏品接收台（工作人员令牌放在 # 之后）", "deskPage", [event_id]),
        "/i/{item_token}": page("藏品标签打开的页面（编号、名称、状态）", "itemPage", [token]),
        "/admin/events/{event_id}/items": page(
            "主办方控制台：藏品清单（按状态、意向筛选，捐赠证书）", "adminItemsPage", [event_id]
        ),
    }
