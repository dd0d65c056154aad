"""The organiser's attendee list over HTTP: paging, CSV, XLSX, and the S3 hand-off for large files."""
from __future__ import annotations

import codecs
import csv
import io
import os

import openpyxl
import pytest
import requests

from chalicelib import config
from devtools.samples import registration_body

EN = ("registration_id,status,name,phone,role,party_size,city,organization,items,registered_at,checked_in_at,gate,"
      "seat,checked_in_heads,source,checked_in_by")
ZH = "报名编号,状态,姓名,手机号,身份,人数,城市,单位,藏品,报名时间,签到时间,签到口,座位,已签到人数,来源,签到人"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")


@pytest.fixture
def exchange(public, admin, make_event):
    """A collector exchange with a confirmed, a checked-in, a waitlisted and a cancelled registration."""
    event = make_event(kind="collector_exchange", capacity=3, max_party_size=2)
    eid = event["event_id"]

    def register(**changes):
        response = public.post(f"/events/{eid}/registrations", json=registration_body("collector_exchange", **changes))
        assert response.status_code == 201, response.text
        return response.json()

    first = register(name="买买提·艾力", phone="13811112222", city="乌鲁木齐", organization="=HYPERLINK(\"http://x\")",
                     items=[{"name": "铜像", "category": "雕塑", "era": "民国", "intent": "donate"},
                            {"name": "+纪念章", "intent": "exchange"}])
    second = register(name="欧阳娜娜", phone="13933334444", party_size=2, role="media", city="@杭州")
    third = register(name="Anne-Marie O'Neil", phone="13755556666", party_size=2, city="-上海")
    fourth = register(name="李四", phone="13677778888")
    public.post(f"/tickets/{fourth['ticket_token']}/cancel")
    admin.post(f"/events/{eid}/checkins", json={"code": second["ticket_token"], "gate": "东门"})
    return eid, [first, second, third, fourth]


def parse_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(content[len(codecs.BOM_UTF8):].decode("utf-8"), newline="")))


def test_csv_columns_bom_crlf_and_neutralised_cells(admin, exchange):
    eid, regs = exchange
    response = admin.get(f"/events/{eid}/attendees.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{eid}-attendees.csv"'
    content = response.content
    assert content.count(b"\n") == content.count(b"\r\n")
    rows = parse_csv(content)
    assert ",".join(rows[0]) == ZH
    by_id = {row[0]: row for row in rows[1:]}
    assert len(by_id) == 4
    first = by_id[regs[0]["registration_id"]]
    assert first[1:9] == ["已确认", "买买提·艾力", "13811112222", "藏家", "1", "乌鲁木齐",
                          "'=HYPERLINK(\"http://x\")", "铜像(雕塑,民国,捐赠); +纪念章(交换)"]
    assert first[9][:4] == "20" + first[9][2:4] and len(first[9]) == 19  # YYYY-MM-DD HH:MM:SS
    second = by_id[regs[1]["registration_id"]]
    assert second[1:7] == ["已确认", "欧阳娜娜", "13933334444", "媒体", "2", "'@杭州"]
    assert second[11] == "东门" and len(second[10]) == 19
    assert by_id[regs[2]["registration_id"]][1] == "候补中"
    assert by_id[regs[2]["registration_id"]][6] == "'-上海"
    assert by_id[regs[3]["registration_id"]][1] == "已取消"
    for row in rows:
        for cell in row:
            assert not cell.startswith(TRIGGERS), cell


def test_csv_in_english(admin, exchange):
    eid, regs = exchange
    rows = parse_csv(admin.get(f"/events/{eid}/attendees.csv", params={"lang": "en"}).content)
    assert ",".join(rows[0]) == EN
    first = next(row for row in rows if row[0] == regs[0]["registration_id"])
    assert first[1] == "confirmed" and first[4] == "collector"
    assert first[8] == "铜像(雕塑,民国,donate); +纪念章(exchange)"


def test_xlsx_has_no_formulas_and_phones_are_text(admin, exchange):
    eid, regs = exchange
    response = admin.get(f"/events/{eid}/attendees.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.content.startswith(b"PK")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == ZH.split(",")
    assert rows[0][0].font.b
    assert sheet.freeze_panes == "A2"
    for row in rows:
        for cell in row:
            assert cell.data_type != "f"
    phones = {row[3].value for row in rows[1:]}
    assert phones == {"13811112222", "13933334444", "13755556666", "13677778888"}
    assert all(row[3].data_type == "s" for row in rows[1:])
    assert {row[2].value for row in rows[1:]} >= {"买买提·艾力", "欧阳娜娜"}
    assert {row[5].value for row in rows[1:]} == {1, 2}


def test_bad_export_parameters_and_auth(stack, admin, exchange):
    eid, _ = exchange
    assert admin.get(f"/events/{eid}/attendees.csv", params={"lang": "fr"}).status_code == 422
    assert admin.get("/events/no-such-event/attendees.csv").status_code == 404
    assert stack.session().get(f"/events/{eid}/attendees.csv").status_code == 401
    staff = stack.session(admin.post(f"/events/{eid}/staff-tokens").json()["token"])
    for path in ("attendees.csv", "attendees.xlsx", "audit", "staff-tokens"):
        assert staff.get(f"/events/{eid}/{path}").status_code == 403


def test_registration_list_filters_and_pages(admin, exchange, make_event):
    eid, regs = exchange
    everything = admin.get(f"/events/{eid}/registrations").json()
    assert [item["registration_id"] for item in everything["items"]] == [r["registration_id"] for r in regs]
    assert everything["items"][0]["phone"] == "13811112222"
    waiting = admin.get(f"/events/{eid}/registrations", params={"status": "waitlisted"}).json()
    assert [item["registration_id"] for item in waiting["items"]] == [regs[2]["registration_id"]]
    seen, cursor = [], None
    while True:
        page = admin.get(f"/events/{eid}/registrations",
                         params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["registration_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [r["registration_id"] for r in regs]
    first_cursor = admin.get(f"/events/{eid}/registrations", params={"limit": 1}).json()["next_cursor"]
    other = make_event()
    moved = admin.get(f"/events/{other['event_id']}/registrations", params={"cursor": first_cursor})
    assert moved.status_code == 422 and "cursor" in moved.json()["fields"]
    refiltered = admin.get(f"/events/{eid}/registrations", params={"cursor": first_cursor, "status": "cancelled"})
    assert refiltered.status_code == 422
    assert admin.get(f"/events/{eid}/registrations", params={"status": "lost"}).status_code == 422


@pytest.fixture
def small_inline_limit(monkeypatch):
    def set_limit(limit: int) -> None:
        monkeypatch.setenv("EXPORT_INLINE_MAX_BYTES", str(limit))
        config.reset_for_tests()

    yield set_limit
    monkeypatch.undo()
    config.reset_for_tests()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_large_export_is_a_303_to_the_same_bytes(admin, public, make_event, small_inline_limit, file_format):
    event = make_event(capacity=500)
    eid = event["event_id"]
    for index in range(120):
        assert public.post(f"/events/{eid}/registrations",
                           json=registration_body(city=f"城市{index}")).status_code == 201
    direct = admin.get(f"/events/{eid}/attendees.{file_format}")
    assert direct.status_code == 200
    small_inline_limit(len(direct.content) // 2)  # an XLSX varies by a few bytes (it embeds its creation time)
    redirected = admin.get(f"/events/{eid}/attendees.{file_format}", allow_redirects=False)
    assert redirected.status_code == 303
    location = redirected.headers["Location"]
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
    downloaded = requests.get(location, timeout=30)
    assert downloaded.status_code == 200
    if file_format == "csv":
        assert downloaded.content == direct.content
        rows = parse_csv(downloaded.content)
    else:  # a workbook embeds its creation time; compare the cells
        def cells(content):
            return [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows()]
        rows = cells(downloaded.content)
        assert rows == cells(direct.content)
    assert len(rows) == 121  # the header and every registration


def test_a_large_export_asked_for_as_a_link_answers_json(admin, public, make_event, small_inline_limit):
    """The console's fetch may not follow a 303 to another origin (CSP connect-src 'self'):
    with delivery=link a large file's presigned URL comes back as JSON instead."""
    event = make_event(capacity=50)
    eid = event["event_id"]
    for index in range(30):
        public.post(f"/events/{eid}/registrations", json=registration_body(city=f"城市{index}"))
    direct = admin.get(f"/events/{eid}/attendees.csv")
    small_inline_limit(len(direct.content) // 2)
    linked = admin.get(f"/events/{eid}/attendees.csv", params={"delivery": "link"}, allow_redirects=False)
    assert linked.status_code == 200 and linked.headers["Content-Type"].startswith("application/json")
    answer = linked.json()
    assert answer["expires_in"] == 300 and "X-Amz-Signature=" in answer["download_url"]
    assert requests.get(answer["download_url"], timeout=30).content == direct.content
    assert admin.get(f"/events/{eid}/attendees.csv", params={"delivery": "mail"}).status_code == 422
