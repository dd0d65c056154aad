"""The organiser's attendee list: paged, and CSV/XLSX downloads of any size.

Exports stream registrations from DynamoDB pages into a spooled temporary file; one that
fits a Lambda response is returned directly, a larger one goes to S3 behind a URL.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.config import settings
from chalicelib.domain import audit, tokens
from chalicelib.domain.access import Caller
from chalicelib.domain.listing import Page
from chalicelib.domain.search import BY_ID, BY_PHONE_TAIL, parse_query, phone_tail_term
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import audit as audit_log
from chalicelib.services import events, paging
from chalicelib.storage import registrations as registration_store

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_PAGE_SIZE = 50
_SPOOL_IN_MEMORY_BYTES = 1_000_000


def list_registrations(event_id: str, query: Mapping[str, str]) -> Page:
    """A page of registrations in registration order, filtered by status and role, or the
    results of a search (`q`: part of a name, a phone's last four digits, a registration id).

    A search reads only the index entries of one name character or one phone tail (see
    domain/search.py), then fetches the page's registrations; status filters apply to the
    fetched page, so a filtered search page can hold fewer rows than `limit`.
    """
    params = load(requests.REGISTRATION_LIST_QUERY, dict(query))
    event = events.require_event(event_id)
    status, role, limit = params.get("status"), params.get("role"), params.get("limit", DEFAULT_PAGE_SIZE)
    search = parse_query(params["q"]) if params.get("q") else None
    if params.get("q") and search is None:
        return Page([], None)
    scope = f"event:{event_id}:registrations:{status or 'all'}:{role or 'all'}:{params.get('q') or ''}"
    start = paging.start_of(scope, params.get("cursor"))
    if search is None:
        items, last = registration_store.page(event_id, status, limit, start, role)
        return paging.page_of(items, scope, last)
    if search.kind == BY_ID:
        found = registration_store.get(event_id, search.text)
        rows = [found] if found else []
        last = None
    else:
        if search.kind == BY_PHONE_TAIL:
            term, name_filter = phone_tail_term(tokens.phone_tail_tag(event.guard_kid, event_id, search.text)), None
        else:
            term, name_filter = search.name_term, search.text
        ids, last = registration_store.search(event_id, term, name_filter, role, limit, start)
        rows = registration_store.get_many(event_id, ids)
    rows = [row for row in rows if (not status or row.status == status) and (not role or row.role == role)]
    return paging.page_of(rows, scope, last)


def export_action(file_format: str) -> str:
    return audit.EXPORT_CSV if file_format == "csv" else audit.EXPORT_XLSX


@dataclass(frozen=True)
class Export:
    """Either the file's bytes (small enough to answer with) or a URL to fetch it from."""

    filename: str
    content_type: str
    body: bytes | None = None
    url: str | None = None
    link_only: bool = False  # answer a large file's URL as JSON rather than redirect to it
    url_seconds: int = 0


def export(event_id: str, file_format: str, query: Mapping[str, str], caller: Caller | None = None) -> Export:
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
            spreadsheets.write_csv(rows, spool, lang, questions=event.questions)
        else:
            spreadsheets.write_xlsx(rows, spool, lang, questions=event.questions)
        size = spool.tell()
        spool.seek(0)
        if size <= settings().export_inline_max_bytes:
            result = Export(filename, content_type, body=spool.read())
        else:
            result = Export(
                filename,
                content_type,
                url=files.publish(spool, event.event_id, filename, content_type),
                link_only=params.get("delivery") == "link",
                url_seconds=settings().export_url_seconds,
            )
    audit_log.record(event, (caller or Caller(audit.ADMIN)).actor, export_action(file_format), file_format)
    return result
