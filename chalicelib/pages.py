"""The participant and staff pages (zh-CN, mobile first), served by the app itself.

Everything a page needs comes from the app (no CDN, no web fonts); URLs are relative so
the pages work under API Gateway's stage prefix. Each page function returns (status, html).
"""
from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from chalicelib.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent / "static"
_ASSET_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,80}")
_UNDER_CONSTRUCTION = (404, "<!doctype html><meta charset=utf-8><title>报名</title><p>页面建设中</p>")


def registration_page(event_id: str) -> tuple[int, str]:
    return _UNDER_CONSTRUCTION


def ticket_page(ticket_token: str) -> tuple[int, str]:
    return _UNDER_CONSTRUCTION


def scanner_page(event_id: str) -> tuple[int, str]:
    return _UNDER_CONSTRUCTION


def privacy_page() -> tuple[int, str]:
    return _UNDER_CONSTRUCTION


def static_asset(name: str) -> tuple[bytes, str]:
    """(content, content type) of a file directly under chalicelib/static or its vendor/ folder."""
    if not _ASSET_NAME.fullmatch(name) or ".." in name:
        raise NotFound()
    for folder in (STATIC_DIR, STATIC_DIR / "vendor"):
        path = folder / name
        if path.is_file():
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith("javascript"):
                content_type += "; charset=utf-8"
            return path.read_bytes(), content_type
    raise NotFound()
