"""HTTP shaping shared by the routes: JSON bodies in; JSON, files and pages out; errors as the SPEC's JSON."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.config import settings
from chalicelib.domain.errors import DomainError, InvalidRequest, PayloadTooLarge
from chalicelib.web.errors import RETRY_AFTER_SECONDS, framework_error, status_of

JSON_TYPE = "application/json; charset=utf-8"
MAX_BODY_BYTES = 256 * 1024
# JSON nested deeper than any request of the API needs; deeper input is refused before parsing
# (Python's parser would raise RecursionError at ~1,000 levels).
MAX_JSON_DEPTH = 32
# Personal data: never stored by shared caches or proxies.
PRIVATE = {"Cache-Control": "no-store"}
# Page assets: short-lived cache, so a deploy reaches phones within the hour.
STATIC = {"Cache-Control": "public, max-age=3600"}
HTML_TYPE = "text/html; charset=utf-8"
# Pages load only what the app serves; no inline scripts from elsewhere, no framing.
PAGE_SECURITY = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def page_security() -> dict[str, str]:
    """PAGE_SECURITY with the photo bucket's origin (config's `photo_origin`, the one place it is
    named) allowed for images and for the desk's upload: item photos go from the browser straight
    to S3 and are shown from presigned S3 URLs (SPEC §8)."""
    origin = settings().photo_origin
    policy = (
        PAGE_SECURITY["Content-Security-Policy"]
        .replace("img-src 'self' data: blob:", f"img-src 'self' data: blob: {origin}")
        .replace("connect-src 'self'", f"connect-src 'self' {origin}")
    )
    return {**PAGE_SECURITY, "Content-Security-Policy": policy}


# A static file asked for with its content hash (`?v=`, as pages link them) never changes at that URL.
STATIC_VERSIONED = {"Cache-Control": "public, max-age=31536000, immutable"}
# Never changes for a given URL; private because the URL itself is the ticket.
IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}
# Inside the app only PNG is binary: JSON, HTML and SVG stay text. API Gateway, which turns
# a base64 body back into bytes only when the first type of the request's Accept header
# is a binary media type (browsers list image/avif or text/html first), gets */* from
# infra/resources.json; text bodies (isBase64Encoded false) pass through it unchanged.
BINARY_TYPES = ["image/png", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf"]
# What a guest-list import accepts as its raw body (SPEC §6). Deployed, API Gateway passes only
# binary types through byte for byte, and text/csv can't be one (CSV exports must stay text), so
# the console uploads every file as application/octet-stream; text/csv is for UTF-8 files.
IMPORT_TYPES = [
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
]
BINARY_TYPES += ["application/octet-stream"]


def _payload(content: bytes | str, content_type: str) -> bytes | str:
    """Bytes for the BINARY_TYPES (Chalice base64-encodes them); text for anything else,
    because Lambda's response is JSON and can't carry raw bytes."""
    if isinstance(content, bytes) and content_type.split(";")[0] not in BINARY_TYPES:
        return content.decode("utf-8")
    return content


def content_response(content: bytes | str, content_type: str, headers: dict[str, str] | None = None) -> Response:
    """An image, stylesheet, script or other non-JSON body."""
    return Response(
        body=_payload(content, content_type), status_code=200, headers={"Content-Type": content_type, **(headers or {})}
    )


def json_depth(text: bytes | str) -> int:
    """The deepest nesting of brackets outside strings, without parsing (linear, no recursion)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def static_caching(content: bytes, requested_version: str | None) -> dict[str, str]:
    """Immutable for a year when the URL names this content's hash, else an hour."""
    if requested_version and requested_version == hashlib.sha256(content).hexdigest()[:10]:
        return STATIC_VERSIONED
    return STATIC


def without_body(response: Response) -> Response:
    """A HEAD answer: the GET's status and headers, no body (a body would corrupt a kept-alive connection)."""
    content_type = str(response.headers.get("Content-Type", "")).split(";")[0]
    empty: bytes | str = b"" if content_type in BINARY_TYPES else ""
    return Response(body=empty, status_code=response.status_code, headers=response.headers)


def read_json(raw_body: bytes | str | None) -> Any:
    if not raw_body:
        raise InvalidRequest(message="请求体不能为空")
    if len(raw_body) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    if json_depth(raw_body) > MAX_JSON_DEPTH:
        raise InvalidRequest(message=f"JSON 嵌套过深（最多 {MAX_JSON_DEPTH} 层）")
    try:
        return json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise InvalidRequest() from error


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        headers={"Content-Type": JSON_TYPE, **(headers or {})},
    )


def error_response(error: DomainError) -> Response:
    status = status_of(error)
    headers = _retry_after(status)
    if getattr(error, "retry_after", None):
        headers["Retry-After"] = str(error.retry_after)  # type: ignore[attr-defined]
    return json_response(error.body(), status=status, headers=headers)


def _retry_after(status: int) -> dict[str, str]:
    return {"Retry-After": RETRY_AFTER_SECONDS} if status in (429, 503) else {}


def in_contract_shape(response: Response) -> Response:
    """A response Chalice made itself (405, 415, its 400 for a binary Accept, an unhandled
    exception's 500: `{"Code", "Message"}` in English) in the SPEC's error JSON, in Chinese."""
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        headers = {name: str(value) for name, value in response.headers.items() if name.lower() != "content-type"}
        return json_response(
            framework_error(response.status_code),
            response.status_code,
            {**headers, **_retry_after(response.status_code)},
        )
    return response


def no_content() -> Response:
    return Response(body="", status_code=204, headers={**PRIVATE})


def html_response(status: int, html: str, headers: dict[str, str] | None = None) -> Response:
    all_headers: dict[str, str | list[str]] = {
        "Content-Type": HTML_TYPE,
        **page_security(),
        **_retry_after(status),
        **(headers or {}),
    }
    return Response(body=html, status_code=status, headers=all_headers)


def reply(schema: Any, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A service's result, shaped by its reply schema (the one definition of that reply)."""
    return json_response(schema.dump(value), status, headers)


def file_response(export: Any) -> Response:
    """An export as an attachment, or a 303 to where a large one was put (or, asked for with
    `delivery=link`, that URL as JSON: a page's fetch may not follow a redirect to another origin)."""
    if export.url and export.link_only:
        return json_response({"download_url": export.url, "expires_in": export.url_seconds}, headers=PRIVATE)
    if export.url:
        return Response(body="", status_code=303, headers={"Location": export.url, **PRIVATE})
    return Response(
        body=_payload(export.body, export.content_type),
        status_code=200,
        headers={
            "Content-Type": export.content_type,
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            **PRIVATE,
        },
    )


def domain_errors_as_json(view: Callable[..., Response]) -> Callable[..., Response]:
    """A view that answers a domain error with its status and the SPEC's error JSON.

    Chalice turns any other exception from a view into its own English 500 before
    middleware sees it, so the mapping happens here, around each view.
    """

    @functools.wraps(view)
    def answering(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except DomainError as error:
            return error_response(error)

    return answering
