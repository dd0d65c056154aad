"""Guest lists as organisers make them (SPEC §6): a CSV in UTF-8 (with or without a BOM) or in
GB18030/GBK (what Excel on Chinese Windows saves), or an XLSX workbook. Pure decoders: bytes in,
a header row and data rows of text out; nothing here knows events or registrations.

- The encoding is detected, not asked for: a UTF-8 BOM means UTF-8; otherwise strict UTF-8 is
  tried first (GB18030 bytes of Chinese text are almost never valid UTF-8), then GB18030, a
  superset of GBK that also has characters such as 䶮.
- XLSX is read by openpyxl in read-only mode (streamed rows, imported only here, on first use).
  Numbers are what Excel makes of phones and party sizes: 13800138000 (int) or 13800138000.0
  (float) become "13800138000", 2.0 becomes "2". The first worksheet is read.
- Rows whose cells are all empty (Excel's trailing rows) are dropped; the row numbers given
  back are 1-based data rows as the organiser sees them below the header.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ZIP_MAGIC = b"PK\x03\x04"


class UnreadableFile(ValueError):
    """The bytes are neither a CSV we can decode nor an XLSX workbook (message in zh-CN)."""


class TooManyRows(ValueError):
    pass


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (1-based data row, cells)
    encoding: str  # utf-8, utf-8-sig, gb18030 or xlsx


def is_xlsx(content: bytes) -> bool:
    return content.startswith(_ZIP_MAGIC)


def decode_text(content: bytes) -> tuple[str, str]:
    """(text, encoding) of a CSV file: UTF-8 with BOM, UTF-8, or GB18030."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as error:
        raise UnreadableFile("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel（.xlsx）文件") from error


def cell_text(value: Any) -> str:
    """A spreadsheet cell as text: numbers without a spurious `.0`, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(text: str) -> Iterator[list[str]]:
    yield from csv.reader(io.StringIO(text, newline=""))


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    import zipfile

    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableFile("无法读取该 Excel 文件：请确认是 .xlsx 格式（不是 .xls）") from error
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [cell_text(value) for value in values]
    finally:
        workbook.close()


def read_sheet(content: bytes, max_rows: int) -> Sheet:
    """The header and the non-empty data rows; TooManyRows beyond `max_rows` data rows."""
    if is_xlsx(content):
        rows, encoding = _xlsx_rows(content), "xlsx"
    else:
        text, encoding = decode_text(content)
        rows = _csv_rows(text)
    header: list[str] | None = None
    data: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for cells in rows:
            cells = [cell.strip() if isinstance(cell, str) else cell_text(cell) for cell in cells]
            if not any(cells):
                if header is not None:
                    number += 1  # an empty row in the middle still counts, as the organiser sees it
                continue
            if header is None:
                header = cells
                continue
            number += 1
            if len(data) >= max_rows:
                raise TooManyRows()
            data.append((number, cells))
    except csv.Error as error:
        raise UnreadableFile("CSV 格式有误：请检查引号是否成对") from error
    if header is None:
        raise UnreadableFile("文件是空的：第一行须为表头（姓名、手机号、身份…）")
    return Sheet(header, data, encoding)
