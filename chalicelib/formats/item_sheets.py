"""The museum's list (SPEC §8): a collector exchange's items as CSV or XLSX. Pure writers that
reuse the attendee list's rules (formats/spreadsheets.py): UTF-8 BOM, CRLF, RFC 4180 quoting,
every text cell neutralised against formula injection, explicit cell types in the workbook."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import IO, Any

from chalicelib.domain.items import INTENT_LABELS_ZH, STATE_LABELS_ZH, Item
from chalicelib.formats.spreadsheets import csv_chunks, local_time, neutralise, write_sheet

COLUMNS = (
    "item_id",
    "name",
    "category",
    "era",
    "intent",
    "state",
    "collector",
    "phone",
    "received_at",
    "recipient",
    "note",
)
HEADERS = {
    "en": COLUMNS,
    "zh": ("藏品编号", "名称", "类别", "年代", "意向", "状态", "收藏者", "手机号", "接收时间", "受赠单位", "备注"),
}
SHEET_NAMES = {"zh": "藏品清单", "en": "Items"}
PHONE_COLUMN = COLUMNS.index("phone")


def item_row(item: Item, owner: Mapping[str, Any] | None, lang: str) -> list[str]:
    """One row in COLUMNS order, every cell neutralised. `owner`: the collector's name and phone
    (None once erased: those cells stay empty, the object's facts stay)."""
    zh = lang == "zh"
    owner = owner or {}
    cells = [
        item.item_id,
        item.name,
        item.category or "",
        item.era or "",
        INTENT_LABELS_ZH.get(item.intent, item.intent) if zh else item.intent,
        STATE_LABELS_ZH.get(item.state, item.state) if zh else item.state,
        owner.get("name") or "",
        owner.get("phone") or "",
        local_time(item.received_at),
        item.recipient or "",
        item.note or "",
    ]
    return [neutralise(str(cell)) for cell in cells]


Rows = Iterable[tuple[Item, Mapping[str, Any] | None]]


def write_csv(rows: Rows, out: IO[bytes], lang: str = "zh") -> None:
    for chunk in csv_chunks(HEADERS[lang], (item_row(item, owner, lang) for item, owner in rows)):
        out.write(chunk)


def write_xlsx(rows: Rows, out: Any, lang: str = "zh") -> None:
    write_sheet(
        out, SHEET_NAMES[lang], HEADERS[lang], (item_row(item, owner, lang) for item, owner in rows), PHONE_COLUMN
    )
