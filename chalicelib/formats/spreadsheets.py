"""The organisers' attendee list as CSV or XLSX: pure writers, no DynamoDB, no HTTP.

Both writers take an iterable of `Registration`s and stream: rows are
formatted and written one at a time, so memory stays flat however many people registered
(the caller pages through DynamoDB lazily and hands over a generator).

Why the CSV starts with a UTF-8 BOM (EF BB BF): Excel and WPS open a BOM-less CSV in the
system's legacy code page (GBK on Chinese Windows), which turns every Chinese name into
mojibake. pretix writes its CSV exports without a BOM and its users hit exactly that; with
the BOM both open the file as UTF-8. Lines end in CRLF and fields are quoted per RFC 4180
(the `csv` module's excel dialect).

Why every cell is explicit:
- CSV/formula injection (OWASP "CSV Injection", ASVS 5.0 1.2.10): a spreadsheet evaluates a
  cell starting with `=`, `+`, `-` or `@` (and tab/CR/LF/NUL can smuggle one in), so a
  registrant named `=HYPERLINK(...)` would run in the organiser's Excel. `neutralise` prefixes
  such cells with `'`; it is applied to every string cell of both formats, so the XLSX stays
  harmless even after a copy/paste or a "save as CSV".
- The XLSX writer never calls `worksheet.write()`, which guesses types (a string starting
  with `=` becomes a formula, `13812345678` a number shown as 1.38E+10, `http://…` a link).
  Text goes through `write_string` (the phone column also carries the text format `@`),
  party_size through `write_number`, and the workbook's auto-conversions are switched off.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import IO, Any

import xlsxwriter

from chalicelib.domain.audit import ADMIN
from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.events import ROLE_LABELS_ZH
from chalicelib.domain.questions import answer_text
from chalicelib.domain.registrations import ITEM_INTENT_LABELS_ZH, SOURCE_LABELS_ZH, STATUS_LABELS_ZH, Registration

COLUMNS = (
    "registration_id",
    "status",
    "name",
    "phone",
    "role",
    "party_size",
    "city",
    "organization",
    "items",
    "registered_at",
    "checked_in_at",
    "gate",
    # SPEC §2: the twelve columns above never move; these follow, in this order.
    "seat",
    "checked_in_heads",
    "source",
    "checked_in_by",
)
HEADERS = {
    "en": COLUMNS,
    "zh": (
        "报名编号",
        "状态",
        "姓名",
        "手机号",
        "身份",
        "人数",
        "城市",
        "单位",
        "藏品",
        "报名时间",
        "签到时间",
        "签到口",
        "座位",
        "已签到人数",
        "来源",
        "签到人",
    ),
}
SHEET_NAMES = {"zh": "报名名单", "en": "Attendees"}

PHONE_COLUMN = COLUMNS.index("phone")
PARTY_SIZE_COLUMN = COLUMNS.index("party_size")
HEADS_COLUMN = COLUMNS.index("checked_in_heads")

CSV_CHUNK_BYTES = 64 * 1024
# A cell starting with one of these is read as a formula (or can be made into one).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")

XLSX_OPTIONS = {
    "constant_memory": True,  # rows go to a temp file as written: flat memory, rows in order
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}
XLSX_MAX_COLUMN_WIDTH = 60
XLSX_COLUMN_PADDING = 2


def neutralise(cell: str) -> str:
    """`'`-prefix a cell a spreadsheet would take for a formula; idempotent."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def headers(lang: str) -> tuple[str, ...]:
    return HEADERS[lang] if lang in HEADERS else _unknown_lang(lang)


def _unknown_lang(lang: str) -> Any:
    raise ValueError(f"lang must be one of {sorted(HEADERS)}, not {lang!r}")


def local_time(value: Any) -> str:
    """An ISO 8601 time as `YYYY-MM-DD HH:MM:SS` in Asia/Shanghai; '' when absent.

    A time without offset is taken as Shanghai time; an unparseable one is shown as stored
    (one bad value must not sink the whole export).
    """
    if value.__class__ is str and len(value) == 25 and value[19:] == "+08:00" and value[10] == "T":
        return value[:10] + " " + value[11:19]  # how the app stores times: already Shanghai
    if not value:
        return ""
    text = str(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


_INTENT_LABELS = {"zh": ITEM_INTENT_LABELS_ZH, "en": {}}


def items_text(items: Any, lang: str) -> str:
    """`铜像(雕塑,民国,捐赠); 纪念章(交换)` — zh names the intent, en keeps its code."""
    if not items:
        return ""
    labels = _INTENT_LABELS[lang]
    shown = []
    for item in items:
        get = item.get
        intent = get("intent") or ""
        details = ",".join(map(str, filter(None, (get("category"), get("era"), labels.get(intent, intent)))))
        name = get("name") or ""
        shown.append(f"{name}({details})" if details else f"{name}")
    return "; ".join(shown)


_LABELS: dict[str, tuple[dict[str, str], dict[str, str]]] = {"zh": (STATUS_LABELS_ZH, ROLE_LABELS_ZH), "en": ({}, {})}
_TRIGGER_STARTS = frozenset(FORMULA_TRIGGERS)
_SEPARATOR = "\x1f"
_TRIGGER_AFTER_SEPARATOR = re.compile(_SEPARATOR + "[=+\\-@\t\r\n\x00]")


def _neutralised(texts: list[Any]) -> list[str]:
    """Every cell through `neutralise`, with a fast path for the usual row that needs none.

    One join and one regex search instead of a Python-level check per cell: every cell
    starts either the joined string or right after a separator, so nothing is missed; a
    cell that itself holds the separator can only cause a needless slow path.
    """
    try:
        joined = _SEPARATOR.join(texts)
    except TypeError:  # a stored value that isn't text
        texts = ["" if text is None else str(text) for text in texts]
        joined = _SEPARATOR.join(texts)
    if joined[:1] in _TRIGGER_STARTS or _TRIGGER_AFTER_SEPARATOR.search(joined):
        return [neutralise(text) for text in texts]
    return texts


def attendee_row(registration: Registration, lang: str) -> list[str | int]:
    """One row in COLUMNS order; string cells are already neutralised, party_size is an int.

    Missing fields (an erased registration has no name or phone) give empty cells.
    """
    statuses, roles = _LABELS[lang] if lang in _LABELS else _unknown_lang(lang)
    sources = SOURCE_LABELS_ZH if lang == "zh" else {}
    r = registration
    status, role, items = r.status or "", r.role or "", r.items
    row: list[Any] = _neutralised(
        [
            r.registration_id or "",
            statuses.get(status, status),
            r.name or "",
            r.phone or "",
            roles.get(role, role),
            r.city or "",
            r.organization or "",
            items_text(items, lang) if items else "",
            local_time(r.registered_at),
            local_time(r.checked_in_at),
            r.gate or "",
            r.seat or "",
            sources.get(r.source, r.source) if r.source else "",
            _checked_in_by(r.checked_in_by, lang),
        ]
    )
    row.insert(PARTY_SIZE_COLUMN, _party_size(r.party_size))
    row.insert(HEADS_COLUMN, r.checked_in_heads)
    return row


def question_headers(lang: str, questions: Sequence[Mapping[str, Any]] = ()) -> tuple[str, ...]:
    """The fixed columns' headers, then one per custom question (its label), SPEC §6."""
    return headers(lang) + tuple(neutralise(question["label"]) for question in questions)


def export_row(registration: Registration, lang: str, questions: Sequence[Mapping[str, Any]] = ()) -> list[str | int]:
    """`attendee_row`, then the answers to the event's questions (multi joined with 、), neutralised."""
    row = attendee_row(registration, lang)
    if questions:
        answers = registration.answers or {}
        row.extend(
            _neutralised([answer_text(question, answers.get(question["question_id"])) for question in questions])
        )
    return row


def _checked_in_by(actor: str | None, lang: str) -> str:
    """`admin` or `staff:<label>` as stored; in Chinese, 管理员 or the gate's label."""
    if not actor or lang != "zh":
        return actor or ""
    return "管理员" if actor == ADMIN else actor.removeprefix("staff:")


def _party_size(value: Any) -> int | str:
    if value is None or value == "":
        return ""
    try:
        return int(value)  # also a DynamoDB Decimal
    except (TypeError, ValueError):
        return neutralise(str(value))  # shown as stored rather than failing the export


# --- CSV ------------------------------------------------------------------------------------


def iter_csv_chunks(
    registrations: Iterable[Registration],
    lang: str = "zh",
    chunk_bytes: int = CSV_CHUNK_BYTES,
    questions: Sequence[Mapping[str, Any]] = (),
) -> Iterator[bytes]:
    """The attendee list's CSV as byte chunks, read lazily from `registrations` (see csv_chunks)."""
    names = question_headers(lang, questions)
    return csv_chunks(names, (export_row(registration, lang, questions) for registration in registrations), chunk_bytes)


def csv_chunks(
    names: Sequence[str], rows: Iterable[Sequence[str | int]], chunk_bytes: int = CSV_CHUNK_BYTES
) -> Iterator[bytes]:
    """A CSV (UTF-8 BOM, CRLF, RFC 4180 quoting) as byte chunks, read lazily from `rows`, whose
    text cells the caller has already neutralised.

    Each chunk holds whole rows and is at least `chunk_bytes` long, except the last (so
    chunk_bytes >= 5 MiB makes them valid S3 multipart parts); the first starts with the BOM.
    About one chunk plus one row is held in memory.
    """
    pending = bytearray(codecs.BOM_UTF8)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")  # excel dialect: RFC 4180 quoting
    writer.writerow(names)
    encode_at = max(chunk_bytes // 4, 1)  # characters; a UTF-8 character is 1 to 4 bytes
    for row in rows:
        writer.writerow(row)
        if text.tell() >= encode_at:
            pending += text.getvalue().encode("utf-8")
            text.seek(0)
            text.truncate()
            if len(pending) >= chunk_bytes:
                yield bytes(pending)
                pending.clear()
    pending += text.getvalue().encode("utf-8")
    if pending:
        yield bytes(pending)


def write_csv(
    registrations: Iterable[Registration],
    out: IO[bytes],
    lang: str = "zh",
    chunk_bytes: int = CSV_CHUNK_BYTES,
    questions: Sequence[Mapping[str, Any]] = (),
) -> int:
    """Stream the CSV into the binary writable `out`; returns the number of bytes written (BOM included)."""
    written = 0
    for chunk in iter_csv_chunks(registrations, lang, chunk_bytes, questions):
        out.write(chunk)
        written += len(chunk)
    return written


# --- XLSX -----------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns a string takes: CJK (and other 3- or 4-byte UTF-8) characters count double.

    An approximation in C speed: counts from the UTF-8 length instead of per-character
    east-asian-width lookups; it errs on the wide side, which suits column widths.
    """
    if text.isascii():
        return len(text)
    return len(text) + (len(text.encode("utf-8")) - len(text)) // 2


def write_xlsx(
    registrations: Iterable[Registration], out: Any, lang: str = "zh", questions: Sequence[Mapping[str, Any]] = ()
) -> None:
    """Stream the attendee list's workbook into `out`, a path or a binary writable file (see write_sheet)."""
    names = question_headers(lang, questions)
    rows = (export_row(registration, lang, questions) for registration in registrations)
    write_sheet(out, SHEET_NAMES[lang], names, rows, PHONE_COLUMN)


def write_sheet(
    out: Any, sheet_name: str, names: Sequence[str], rows: Iterable[Sequence[str | int]], text_column: int
) -> None:
    """One worksheet: a bold frozen header, `rows` below (text cells already neutralised; ints as
    numbers; "" stays an empty cell), `text_column` (the phones) formatted as text, an autofilter.

    XlsxWriter's constant_memory mode spills each finished row to a temp file (TMPDIR, /tmp on
    Lambda), so memory stays flat. Column widths follow the widest cell seen (header
    included, capped); XlsxWriter writes them when the workbook closes. Should `rows`
    raise, the error propagates and `out` may hold a truncated workbook: don't publish it.
    """
    workbook = xlsxwriter.Workbook(out, XLSX_OPTIONS)
    try:
        sheet = workbook.add_worksheet(sheet_name)
        bold = workbook.add_format({"bold": True})
        text = workbook.add_format({"num_format": "@"})
        widths = [display_width(name) for name in names]
        for col, name in enumerate(names):
            sheet.write_string(0, col, name, bold)
        sheet.freeze_panes(1, 0)
        row_number = 0
        for row_number, row in enumerate(rows, start=1):
            for col, cell in enumerate(row):
                if cell.__class__ is int:
                    sheet.write_number(row_number, col, cell)
                    continue
                if not isinstance(cell, str) or not cell:
                    continue  # an absent value stays an empty cell
                sheet.write_string(row_number, col, cell, text if col == text_column else None)
                width = display_width(cell)
                if width > widths[col]:
                    widths[col] = width
        for col, width in enumerate(widths):
            sheet.set_column(
                col, col, min(width + XLSX_COLUMN_PADDING, XLSX_MAX_COLUMN_WIDTH), text if col == text_column else None
            )
        if row_number:
            sheet.autofilter(0, 0, row_number, len(names) - 1)
    except BaseException:
        with contextlib.suppress(Exception):  # drop the temp files; the original error wins
            workbook.close()
        raise
    workbook.close()
