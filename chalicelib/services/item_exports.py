"""The museum's list (SPEC §8): items.csv / items.xlsx, with each collector's name and phone
joined in from their registration (a page of items at a time, one batch read per page)."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any

from chalicelib.config import settings
from chalicelib.domain import audit
from chalicelib.domain.access import Caller
from chalicelib.domain.items import Item
from chalicelib.schemas import requests
from chalicelib.schemas.fields import load
from chalicelib.services import audit as audit_log
from chalicelib.services import events
from chalicelib.services.attendees import CSV_TYPE, XLSX_TYPE, Export
from chalicelib.storage import items as item_store
from chalicelib.storage import registrations as registration_store

_BATCH = 100  # BatchGetItem's limit
_SPOOL_IN_MEMORY_BYTES = 1_000_000


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
    from chalicelib.storage import files

    params = load(requests.EXPORT_QUERY, dict(query))
    lang = params.get("lang", "zh")
    event = events.require_event(event_id)
    filename = f"{event_id}-items.{file_format}"
    content_type = CSV_TYPE if file_format == "csv" else XLSX_TYPE
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_BYTES) as spool:
        if file_format == "csv":
            item_sheets.write_csv(rows(event_id), spool, lang)
        else:
            item_sheets.write_xlsx(rows(event_id), spool, lang)
        size = spool.tell()
        spool.seek(0)
        if size <= settings().export_inline_max_bytes:
            result = Export(filename, content_type, body=spool.read())
        else:
            result = Export(
                filename,
                content_type,
                url=files.publish(spool, event_id, filename, content_type),
                link_only=params.get("delivery") == "link",
                url_seconds=settings().export_url_seconds,
            )
    action = audit.EXPORT_CSV if file_format == "csv" else audit.EXPORT_XLSX
    audit_log.record(event, (caller or Caller(audit.ADMIN)).actor, action, f"items.{file_format}")
    return result
