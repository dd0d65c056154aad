"""The museum's list (SPEC §8): items.csv / items.xlsx, with each collector's name and phone
joined in from their registration (a page of items at a time, one batch read per page)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from chalicelib.domain.access import Caller
from chalicelib.domain.items import Item
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import downloads, events
from chalicelib.services.downloads import Export
from chalicelib.storage import items as item_store
from chalicelib.storage import registrations as registration_store

_BATCH = 100  # BatchGetItem's limit


def rows(event_id: str) -> Iterator[tuple[Item, Mapping[str, Any] | None]]:
    items = item_store.all_of_event(event_id)
    while True:
        batch = list(itertools.islice(items, _BATCH))
        if not batch:
            return
        owners = {
            registration.registration_id: {"name": registration.name, "phone": registration.phone}
            for registration in registration_store.get_many(
                event_id, list(dict.fromkeys(item.registration_id for item in batch))
            )
            if not registration.erased
        }
        for item in batch:
            yield item, owners.get(item.registration_id)


def export(event_id: str, file_format: str, query: Mapping[str, str], caller: Caller | None = None) -> Export:
    from chalicelib.formats import item_sheets  # XlsxWriter: heavy, only exports need it

    params = load(requests.EXPORT_QUERY, dict(query))
    lang = params.get("lang", "zh")
    event = events.require_event(event_id)
    write = item_sheets.write_csv if file_format == "csv" else item_sheets.write_xlsx
    return downloads.spreadsheet(
        event,
        f"{event_id}-items.{file_format}",
        file_format,
        lambda out: write(rows(event_id), out, lang),
        params,
        caller,
        f"items.{file_format}",
    )
