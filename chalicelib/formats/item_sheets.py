"""The museum's list (SPEC §8): a collector exchange's items as CSV or XLSX. Pure writers that
reuse the attendee list's rules (formats/spreadsheets.py): UTF-8 BOM, CRLF, RFC 4180 quoting,
every text cell neutralised against formula injection, explicit cell types in the workbook."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections.abc import Iterable, Mapping
from typing import IO, Any

import xlsxwriter

from chalicelib.domain.items import INTENT_LABELS_ZH, STATE_LABELS_ZH, Item
from chalicelib.formats.spreadsheets import (
    XLSX_COLUMN_PADDING,
    XLSX_MAX_COLUMN_WIDTH,
    XLSX_OPTIONS,
    display_width,
    local_time,
    neutralise,
)

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
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADERS[lang])
    out.write(codecs.BOM_UTF8)
    for item, owner in rows:
        writer.writerow(item_row(item, owner, lang))
        if text.tell() > 64 * 1024:
            out.write(text.getvalue().encode("utf-8"))
            text.seek(0)
            text.truncate()
    out.write(text.getvalue().encode("utf-8"))


def write_xlsx(rows: Rows, out: Any, lang: str = "zh") -> None:
    names = HEADERS[lang]
    workbook = xlsxwriter.Workbook(out, XLSX_OPTIONS)
    try:
        sheet = workbook.add_worksheet(SHEET_NAMES[lang])
        bold = workbook.add_format({"bold": True})
        text = workbook.add_format({"num_format": "@"})
        widths = [display_width(name) for name in names]
        for col, name in enumerate(names):
            sheet.write_string(0, col, name, bold)
        sheet.freeze_panes(1, 0)
        row_number = 0
        for row_number, (item, owner) in enumerate(rows, start=1):
            for col, cell in enumerate(item_row(item, owner, lang)):
                if not cell:
                    continue
                sheet.write_string(row_number, col, cell, text if col == PHONE_COLUMN else None)
                widths[col] = max(widths[col], display_width(cell))
        for col, width in enumerate(widths):
            sheet.set_column(
                col, col, min(width + XLSX_COLUMN_PADDING, XLSX_MAX_COLUMN_WIDTH), text if col == PHONE_COLUMN else None
            )
        if row_number:
            sheet.autofilter(0, 0, row_number, len(names) - 1)
    except BaseException:
        with contextlib.suppress(Exception):
            workbook.close()
        raise
    workbook.close()
