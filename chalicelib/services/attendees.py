"""The organiser's attendee list: paged, and CSV/XLSX downloads of any size.

Exports stream registrations from DynamoDB pages into the file (services/downloads.py says how
it reaches the organiser).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import IO, Any

from chalicelib.domain import tokens
from chalicelib.domain.access import Caller
from chalicelib.domain.listing import Page
from chalicelib.domain.search import BY_ID, BY_PHONE_TAIL, parse_query, phone_tail_term
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import downloads, events, paging
from chalicelib.services.downloads import Export
from chalicelib.storage import registrations as registration_store

DEFAULT_PAGE_SIZE = 50


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


def export(event_id: str, file_format: str, query: Mapping[str, str], caller: Caller | None = None) -> Export:
    from chalicelib.formats import spreadsheets  # XlsxWriter: heavy, only exports need it

    params = load(requests.EXPORT_QUERY, dict(query))
    lang = params.get("lang", "zh")
    event = events.require_event(event_id)
    rows = registration_store.all_of_event(event_id)
    write: Callable[[IO[bytes]], Any]
    if file_format == "csv":
        write = partial(spreadsheets.write_csv, rows, lang=lang, questions=event.questions)
    else:
        write = partial(spreadsheets.write_xlsx, rows, lang=lang, questions=event.questions)
    return downloads.spreadsheet(
        event, f"{event_id}-attendees.{file_format}", file_format, write, params, caller, file_format
    )
