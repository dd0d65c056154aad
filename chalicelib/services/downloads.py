"""How a generated file reaches the organiser: written into a spooled temporary file; one that
fits a Lambda response is answered directly, a larger one goes to S3 behind a short-lived URL.
Every download is audited (what was downloaded, never its contents)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from chalicelib.config import settings
from chalicelib.domain import audit
from chalicelib.domain.access import Caller
from chalicelib.domain.events import Event
from chalicelib.services import audit as audit_log

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SPOOL_IN_MEMORY_BYTES = 1_000_000


@dataclass(frozen=True)
class Export:
    """Either the file's bytes (small enough to answer with) or a URL to fetch it from."""

    filename: str
    content_type: str
    body: bytes | None = None
    url: str | None = None
    link_only: bool = False  # answer a large file's URL as JSON rather than redirect to it
    url_seconds: int = 0


def export_action(file_format: str) -> str:
    return audit.EXPORT_CSV if file_format == "csv" else audit.EXPORT_XLSX


def spreadsheet(
    event: Event,
    filename: str,
    file_format: str,
    write: Callable[[IO[bytes]], Any],
    params: Mapping[str, Any],
    caller: Caller | None,
    audit_detail: str,
) -> Export:
    """`write` fills the file (CSV or XLSX per `file_format`); `params` are the export query's
    (`delivery=link` answers a large file's URL as JSON)."""
    from chalicelib.storage import files  # boto3's S3 transfer: heavy, only downloads need it

    content_type = CSV_TYPE if file_format == "csv" else XLSX_TYPE
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_BYTES) as spool:
        write(spool)
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
    audit_log.record(event, (caller or Caller(audit.ADMIN)).actor, export_action(file_format), audit_detail)
    return result
