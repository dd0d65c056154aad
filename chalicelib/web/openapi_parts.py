"""Building blocks of the OpenAPI document's operations, shared by web/openapi.py and the feature
modules whose entries it merges (openapi_items.py, openapi_photos.py)."""

from __future__ import annotations

from typing import Any


def error_reply(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


def ok_reply(description: str, schema: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_body(schema: Any) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}
