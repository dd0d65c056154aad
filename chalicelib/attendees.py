"""The organiser's attendee list: paged JSON, and CSV/XLSX downloads of any size.

Exports stream registrations from DynamoDB pages into a spooled temporary file; one that
fits a Lambda response is returned directly, a larger one goes to S3 behind a 303.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Any, Mapping

from chalicelib import events, repository, schemas, tokens
from chalicelib.config import settings
from chalicelib.errors import ValidationFailed

ADMIN_FIELDS = (
    "registration_id", "status", "name", "phone", "role", "party_size", "city", "organization",
    "note", "items", "registered_at", "checked_in_at", "gate", "waitlist_position",
)
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_PAGE_SIZE = 50
_SPOOL_IN_MEMORY_BYTES = 1_000_000


def _admin_view(registration: Mapping[str, Any]) -> dict[str, Any]:
    return {name: registration.get(name) for name in ADMIN_FIELDS}


def list_registrations(event_id: str, query: Mapping[str, str]) -> dict[str, Any]:
    params = events.load_or_422(schemas.REGISTRATION_LIST_QUERY, dict(query))
    events.require_event(event_id)
    status = params.get("status")
    scope = f"event:{event_id}:registrations:{status or 'all'}"
    start = None
    if params.get("cursor"):
        start = tokens.open_cursor(scope, params["cursor"])
        if start is None:
            raise ValidationFailed(fields={"cursor": ["游标无效，或属于另一活动/筛选条件"]})
    items, last = repository.registrations_page(event_id, status, params.get("limit", DEFAULT_PAGE_SIZE), start)
    return {"items": [_admin_view(item) for item in items],
            "next_cursor": tokens.sign_cursor(scope, last) if last else None}


@dataclass
class Export:
    """Either the file's bytes (small enough to answer with) or a URL to fetch it from."""

    filename: str
    content_type: str
    body: bytes | None = None
    url: str | None = None


def export(event_id: str, file_format: str, query: Mapping[str, str]) -> Export:
    from chalicelib import export_files, exports  # xlsxwriter is heavy; only exports need it

    params = events.load_or_422(schemas.EXPORT_QUERY, dict(query))
    lang = params.get("lang", "zh")
    event = events.require_event(event_id)
    filename = f"{event_id}-attendees.{file_format}"
    content_type = CSV_TYPE if file_format == "csv" else XLSX_TYPE
    rows = repository.registrations_of_event(event_id)
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_BYTES) as spool:
        if file_format == "csv":
            exports.write_csv(rows, spool, lang)
        else:
            exports.write_xlsx(rows, spool, lang)
        size = spool.tell()
        spool.seek(0)
        if size <= settings().export_inline_max_bytes:
            return Export(filename, content_type, body=spool.read())
        return Export(filename, content_type,
                      url=export_files.publish(spool, event["event_id"], filename, content_type))


