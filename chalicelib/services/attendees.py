"""The organiser's attendee list: paged, and CSV/XLSX downloads of any size.

Exports stream registrations from DynamoDB pages into a spooled temporary file; one that
fits a Lambda response is returned directly, a larger one goes to S3 behind a URL.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.config import settings
from chalicelib.domain import tokens
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.listing import Page
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import events
from chalicelib.storage import registrations as registration_store

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_PAGE_SIZE = 50
_SPOOL_IN_MEMORY_BYTES = 1_000_000


def list_registrations(event_id: str, query: Mapping[str, str]) -> Page:
    params = load(requests.REGISTRATION_LIST_QUERY, dict(query))
    events.require_event(event_id)
    status = params.get("status")
    scope = f"event:{event_id}:registrations:{status or 'all'}"
    start = None
    if params.get("cursor"):
        start = tokens.open_cursor(scope, params["cursor"])
        if start is None:
            raise ValidationFailed(fields={"cursor": ["游标无效，或属于另一活动/筛选条件"]})
    items, last = registration_store.page(event_id, status, params.get("limit", DEFAULT_PAGE_SIZE), start)
    return Page(items, tokens.sign_cursor(scope, last) if last else None)


@dataclass(frozen=True)
class Export:
    """Either the file's bytes (small enough to answer with) or a URL to fetch it from."""

    filename: str
    content_type: str
    body: bytes | None = None
    url: str | None = None


def export(event_id: str, file_format: str, query: Mapping[str, str]) -> Export:
    # XlsxWriter and boto3's S3 transfer are heavy to import; only exports need them.
    from chalicelib.formats import spreadsheets
    from chalicelib.storage import files

    params = load(requests.EXPORT_QUERY, dict(query))
    lang = params.get("lang", "zh")
    event = events.require_event(event_id)
    filename = f"{event_id}-attendees.{file_format}"
    content_type = CSV_TYPE if file_format == "csv" else XLSX_TYPE
    rows = registration_store.all_of_event(event_id)
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_BYTES) as spool:
        if file_format == "csv":
            spreadsheets.write_csv(rows, spool, lang)
        else:
            spreadsheets.write_xlsx(rows, spool, lang)
        size = spool.tell()
        spool.seek(0)
        if size <= settings().export_inline_max_bytes:
            return Export(filename, content_type, body=spool.read())
        return Export(filename, content_type, url=files.publish(spool, event.event_id, filename, content_type))
