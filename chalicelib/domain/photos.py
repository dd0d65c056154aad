"""Item photos (SPEC §8, optional per item): what may be uploaded and where it lives. Pure: no I/O.

The photo never passes through Lambda (a 6 MB payload limit): the browser POSTs it straight to S3
with a presigned POST whose policy fixes the key, the type and the size. It lands under
`uploads/` (expired by the bucket after a day); confirming it checks the object and copies it to
`photos/`, where only photos an item record names are kept.

    uploads/<event_id>/<item_id>/<nonce>.<jpg|png>   a presigned POST's target (1 day at most)
    photos/<event_id>/<item_id>/<nonce>.<jpg|png>    the item's photo (`photo_key`)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.ids import EVENT_ID, ITEM_ID

PHOTO_MAX_BYTES = 5 * 1024 * 1024  # 5 MiB: S3 refuses a larger POST (content-length-range)
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
UPLOAD_SECONDS = 600  # a presigned POST is valid 10 minutes
VIEW_SECONDS = 600  # a photo's presigned GET URL, in replies to staff and the collector
UPLOADS, PHOTOS = "uploads/", "photos/"
NONCE = re.compile(r"[A-Za-z0-9_-]{16,43}")
TOO_LARGE = f"照片不能超过 {PHOTO_MAX_BYTES // (1024 * 1024)} MB"
WRONG_TYPE = "只接受 JPEG 或 PNG 格式的照片"
_KEY = re.compile(
    r"(?P<area>uploads|photos)/(?P<event>" + EVENT_ID.pattern + r")/(?P<item>" + ITEM_ID.pattern + r")/"
    r"(?P<nonce>" + NONCE.pattern + r")\.(?P<ext>jpg|png)"
)


def item_prefix(area: str, event_id: str, item_id: str) -> str:
    return f"{area}{event_id}/{item_id}/"


def upload_key(event_id: str, item_id: str, nonce: str, content_type: str) -> str:
    return f"{item_prefix(UPLOADS, event_id, item_id)}{nonce}.{PHOTO_TYPES[content_type]}"


def is_upload_key_of(key: str, event_id: str, item_id: str) -> bool:
    """Whether `key` is an upload target this item's presign could have named."""
    found = _KEY.fullmatch(key or "")
    return bool(found and found["area"] == "uploads" and found["event"] == event_id and found["item"] == item_id)


def photo_key_of(upload: str) -> str:
    """Where a confirmed upload is kept."""
    return PHOTOS + upload[len(UPLOADS) :]


def declared_type(key: str) -> str:
    """The content type a key's extension stands for (the presign fixed both together)."""
    return "image/png" if key.endswith(".png") else "image/jpeg"


def sniffed_type(head: bytes) -> str | None:
    """The type the file's first bytes say (JPEG's SOI marker, PNG's signature), else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def refusal(size: int, stored_type: str | None, head: bytes, key: str) -> str | None:
    """Why an uploaded object can't be an item's photo (a zh-CN message), or None when it can.
    S3 already refused what the policy forbids; this holds for a store that doesn't check
    policies (the embedded one) and for a file that lies about its type."""
    if size > PHOTO_MAX_BYTES:
        return TOO_LARGE
    if size < 1:
        return "照片文件是空的"
    expected = declared_type(key)
    if (stored_type or "").split(";")[0].strip().lower() != expected or sniffed_type(head) != expected:
        return WRONG_TYPE
    return None


@dataclass(frozen=True)
class PhotoUpload:
    """A presigned POST: the browser sends `fields` then the file (as `file`) to `url`."""

    url: str
    fields: dict[str, Any]
    key: str
    content_type: str
    max_bytes: int
    expires_in: int
