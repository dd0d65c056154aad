"""HTTP shaping shared by the routes: JSON bodies in, JSON responses and error bodies out."""
from __future__ import annotations

import json
from typing import Any

from chalice import Response

from chalicelib.errors import ApiError, InvalidJson

JSON_TYPE = "application/json; charset=utf-8"
MAX_BODY_BYTES = 64 * 1024
# Personal data: never stored by shared caches or proxies.
PRIVATE = {"Cache-Control": "no-store"}
# Never changes for a given URL; private because the URL itself is the ticket.
IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}
# API Gateway turns a base64 body back into bytes only when the request's Accept header
# matches a binary media type, and it only looks at the first type a browser lists
# (image/avif, text/html, ...). With */* every Accept matches; text bodies pass unchanged.
BINARY_TYPES = ["*/*"]


def binary_response(body: bytes | str, content_type: str, headers: dict[str, str] | None = None) -> Response:
    """Any non-JSON body; with BINARY_TYPES = */* Chalice wants it as bytes."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return Response(body=body, status_code=200, headers={"Content-Type": content_type, **(headers or {})})


def read_json(raw_body: bytes | None) -> Any:
    if not raw_body:
        raise InvalidJson(message="请求体不能为空")
    if len(raw_body) > MAX_BODY_BYTES:
        raise InvalidJson(message="请求体过大")
    try:
        return json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidJson() from error


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        headers={"Content-Type": JSON_TYPE, **(headers or {})},
    )


def error_response(error: ApiError) -> Response:
    return json_response(error.body(), status=error.status)
