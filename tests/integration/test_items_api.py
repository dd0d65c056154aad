"""Collector items (SPEC §8): ids, the ticket's list and its edits, the state machine (also under
concurrency), desk lookups, tags, the museum's list, donation certificates and erasure."""
from __future__ import annotations

import io
import re

import pytest

from devtools.samples import registration_body
from tests.helpers import run_concurrently

ITEMS = [
    {"name": "毛主席像章", "category": "像章", "era": "1968年", "intent": "donate"},
    {"name": "红军水壶", "intent": "exhibit"},
    {"name": "粮票一套", "category": "票证", "intent": "exchange"},
]


@pytest.fixture
def exchange(make_event):
    return make_event(kind="collector_exchange", capacity=50, title="全国红色收藏交流会")


def _register(public, eid, **overrides):
    body = registration_body("collector_exchange", **{"items": ITEMS, **overrides})
    reply = public.post(f"/events/{eid}/registrations", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def _move(session, eid, item_id, to, **extra):
    return session.post(f"/events/{eid}/items/{item_id}/transitions", json={"to": to, **extra})


def _staff(admin, eid, label="接收台·李四"):
    reply = admin.post(f"/events/{eid}/staff-tokens", json={"label": label})
    assert reply.status_code == 201
    return reply.json()["token"]


def test_declared_items_get_ids_and_show_on_the_ticket(public, exchange, db):
    eid = exchange["event_id"]
    first, second = _register(public, eid), _register(public, eid)
    ticket = public.get(f"/tickets/{first['ticket_token']}").json()
    assert [(i["item_id"], i["name"], i["state"]) for i in ticket["items"]] == [
        ("C-0001", "毛主席像章", "declared"), ("C-0002", "红军水壶", "declared"), ("C-0003", "粮票一套", "declared")]
    assert ticket["items"][0] == {"item_id": "C-0001", "name": "毛主席像章", "category": "像章", "era": "1968年",
                                  "intent": "donate", "state": "declared", "photo_url": None}
    assert ticket["items"][1]["category"] is None
    second_ids = [i["item_id"] for i in public.get(f"/tickets/{second['ticket_token']}").json()["items"]]
    assert second_ids == ["C-0004", "C-0005", "C-0006"]
    records = db.of_type(eid, "ITEM#")
    assert len(records) == 6 and {r["registration_id"] for r in records} == {first["registration_id"],
                                                                             second["registration_id"]}
    assert all("phone" not in r and r["expires_at"] for r in records)


def test_an_award_ticket_lists_no_items(public, make_event):
    eid = make_event()["event_id"]
    reply = public.post(f"/events/{eid}/registrations", json=registration_body()).json()
    assert public.get(f"/tickets/{reply['ticket_token']}").json()["items"] == []


def test_the_collector_edits_the_declared_list_until_the_event_starts(admin, public, exchange, db):
    eid = exchange["event_id"]
    ticket = _register(public, eid)
    token = ticket["ticket_token"]
    assert _move(admin, eid, "C-0002", "received").status_code == 200
    reply = public.request("PUT", f"/tickets/{token}/items", json={"items": [
        {"item_id": "C-0001", "name": "毛主席像章（铜）", "intent": "donate"},  # edited
        {"name": "老照片", "era": "1950年代", "intent": "exhibit"},  # new
    ]})  # C-0002 is received, so it stays; C-0003 is withdrawn
    assert reply.status_code == 200, reply.text
    assert [(i["item_id"], i["name"], i["state"]) for i in reply.json()["items"]] == [
        ("C-0002", "红军水壶", "received"), ("C-0001", "毛主席像章（铜）", "declared"), ("C-0004", "老照片", "declared")]
    assert public.get(f"/tickets/{token}").json()["items"] == reply.json()["items"]
    assert sorted(r["item_id"] for r in db.of_type(eid, "ITEM#")) == ["C-0001", "C-0002", "C-0004"]
    edited = next(r for r in db.of_type(eid, "ITEM#") if r["item_id"] == "C-0001")
    assert edited["name"] == "毛主席像章（铜）" and "category" not in edited

    refused = public.request("PUT", f"/tickets/{token}/items", json={"items": [{"item_id": "C-0002", "name": "改名", "intent": "exhibit"}]})
    assert refused.status_code == 422 and "items.0.item_id" in refused.json()["fields"]
    unknown = public.request("PUT", f"/tickets/{token}/items", json={"items": [{"item_id": "C-0999", "name": "x", "intent": "exhibit"}]})
    assert unknown.status_code == 422
    assert public.request("PUT", f"/tickets/{token}/items", json={"items": [{"name": "x"}]}).status_code == 422
    too_many = public.request("PUT", f"/tickets/{token}/items", json={"items": [{"name": f"件{i}", "intent": "exhibit"} for i in range(20)]})
    assert too_many.status_code == 422  # 20 new + the received one
    assert public.request("PUT", "/tickets/NOT-A-TICKET/items", json={"items": []}).status_code == 404

    db.set_event_fields(eid, starts_at="2020-01-01T10:00:00+08:00")
    locked = public.request("PUT", f"/tickets/{token}/items", json={"items": []})
    assert (locked.status_code, locked.json()["error"]) == (409, "items_locked")


def test_transitions_follow_the_state_machine_with_history_and_audit(admin, public, exchange):
    eid = exchange["event_id"]
    _register(public, eid)
    staff = public.__class__(public.base_url, _staff(admin, eid))
    refused = _move(staff, eid, "C-0001", "donated", recipient="遵义市红色收藏博物馆")
    assert refused.status_code == 409
    assert {k: refused.json()[k] for k in ("error", "from", "to")} == {
        "error": "invalid_transition", "from": "declared", "to": "donated"}
    received = _move(staff, eid, "C-0001", "received", note="外盒有磨损")
    assert received.status_code == 200, received.text
    assert received.json()["state"] == "received" and received.json()["received_at"]
    assert _move(staff, eid, "C-0001", "exhibited").json()["note"] is None
    missing = _move(staff, eid, "C-0001", "donated")
    assert missing.status_code == 422 and "recipient" in missing.json()["fields"]
    assert _move(staff, eid, "C-0001", "returned", recipient="某馆").status_code == 422
    assert _move(staff, eid, "C-0001", "declared").status_code == 422
    donated = _move(staff, eid, "C-0001", "donated", recipient="遵义市红色收藏博物馆", note="馆长签收")
    item = donated.json()
    assert (item["state"], item["recipient"], item["note"]) == ("donated", "遵义市红色收藏博物馆", "馆长签收")
    assert [(h["from"], h["to"], h["actor"]) for h in item["history"]] == [
        ("declared", "received", "staff:接收台·李四"), ("received", "exhibited", "staff:接收台·李四"),
        ("exhibited", "donated", "staff:接收台·李四")]
    assert item["history"][0]["note"] == "外盒有磨损" and "note" not in item["history"][1]
    again = _move(admin, eid, "C-0001", "returned")
    assert (again.status_code, again.json()["from"]) == (409, "donated")
    assert admin.get(f"/events/{eid}/items/C-0001").json() == item
    assert _move(admin, eid, "C-0999", "received").status_code == 404
    assert _move(admin, eid, "nope", "received").status_code == 404

    audit = admin.get(f"/events/{eid}/audit").json()["items"]
    moves = [e for e in audit if e["action"] == "item.transition"]
    assert [e["detail"] for e in moves] == ["exhibited→donated", "received→exhibited", "declared→received"]
    assert all(e["target"] == "C-0001" and e["actor"] == "staff:接收台·李四" for e in moves)
    assert "遵义" not in str(audit) and "馆长" not in str(audit)

    listed = admin.get(f"/events/{eid}/items", params={"state": "donated"}).json()["items"]
    assert [i["item_id"] for i in listed] == ["C-0001"]
    assert [i["item_id"] for i in admin.get(f"/events/{eid}/items", params={"intent": "exchange"}).json()["items"]] == ["C-0003"]
    assert admin.get(f"/events/{eid}/items", params={"state": "lost"}).status_code == 422


def test_staff_of_another_event_may_not_move_items(admin, public, exchange, make_event):
    eid = exchange["event_id"]
    _register(public, eid)
    other = make_event(kind="collector_exchange")["event_id"]
    stranger = public.__class__(public.base_url, _staff(admin, other))
    assert _move(stranger, eid, "C-0001", "received").status_code == 403
    assert stranger.get(f"/events/{eid}/items/C-0001/tag.png").status_code == 403
    assert stranger.get(f"/events/{eid}/items.csv").status_code == 403
    staff = public.__class__(public.base_url, _staff(admin, eid))
    assert staff.get(f"/events/{eid}/items.csv").status_code == 403  # the museum's list is the organiser's
    assert public.post(f"/events/{eid}/items/C-0001/transitions", json={"to": "received"}).status_code == 401


@pytest.mark.parametrize("targets", [["received"] * 8, ["exhibited", "returned", "exchanged", "donated"] * 2])
def test_two_desks_at_once_exactly_one_succeeds(stack, admin, public, exchange, targets):
    eid = exchange["event_id"]
    _register(public, eid)
    if targets[0] != "received":
        assert _move(admin, eid, "C-0001", "received").status_code == 200

    def job(to):
        def run(session):
            session.http.headers["Authorization"] = f"Bearer {stack.admin_token}"
            body = {"to": to, **({"recipient": "博物馆"} if to == "donated" else {})}
            if to != "received":
                body["from"] = "received"  # what each desk saw; without it a later desk acts on the new state
            return session.post(f"/events/{eid}/items/C-0001/transitions", json=body)
        return run

    replies = run_concurrently(stack, [job(to) for to in targets], threads=len(targets))
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200] + [409] * (len(targets) - 1), [r.text for r in replies]
    winner = next(r.json() for r in replies if r.status_code == 200)
    stored = admin.get(f"/events/{eid}/items/C-0001").json()
    assert stored["state"] == winner["state"] and len(stored["history"]) == len(winner["history"])
    assert all(r.json()["from"] == winner["state"] for r in replies if r.status_code == 409)


def test_item_tags_decode_to_the_signed_item_url_and_open_a_page(stack, admin, public, exchange):
    import zxingcpp
    from PIL import Image

    eid = exchange["event_id"]
    _register(public, eid)
    staff = public.__class__(public.base_url, _staff(admin, eid))
    tag = staff.get(f"/events/{eid}/items/C-0001/tag.png")
    assert tag.status_code == 200 and tag.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(tag.content))
    assert image.width == 400 and image.height < 600
    decoded = [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    assert len(decoded) == 1 and decoded[0].startswith(f"{stack.base_url}/i/{eid.upper()}.")
    page = public.get(decoded[0][len(stack.base_url):])
    assert page.status_code == 200 and "毛主席像章" in page.text and "C-0001" in page.text and "已申报" in page.text
    assert "139" not in page.text  # no collector phone, no name on a public page
    forged = decoded[0][:-3] + ("AAA" if not decoded[0].endswith("AAA") else "BBB")
    assert public.get(forged[len(stack.base_url):]).status_code == 404
    assert staff.get(f"/events/{eid}/items/C-0999/tag.png").status_code == 404

    lookup = staff.post(f"/events/{eid}/desk/lookup", json={"code": decoded[0]})
    assert lookup.status_code == 200 and lookup.json()["item_id"] == "C-0001"
    assert [i["item_id"] for i in lookup.json()["items"]] == ["C-0001", "C-0002", "C-0003"]


def test_desk_lookup_by_ticket(admin, public, exchange, make_event):
    eid = exchange["event_id"]
    ticket = _register(public, eid, name="王五", phone="13712345678")
    staff = public.__class__(public.base_url, _staff(admin, eid))
    found = staff.post(f"/events/{eid}/desk/lookup", json={"code": ticket["ticket_url"]})
    assert found.status_code == 200
    body = found.json()
    assert body["collector"] == {"registration_id": ticket["registration_id"], "name": "王五",
                                 "phone_masked": "137****5678", "status": "confirmed"}
    assert body["item_id"] is None and len(body["items"]) == 3 and body["items"][0]["history"] == []
    assert "13712345678" not in found.text
    other = make_event(kind="collector_exchange")["event_id"]
    foreign = _register(public, other)
    assert staff.post(f"/events/{eid}/desk/lookup", json={"code": foreign["ticket_token"]}).status_code == 404
    assert staff.post(f"/events/{eid}/desk/lookup", json={"code": "garbage"}).status_code == 404
    assert staff.post(f"/events/{eid}/desk/lookup", json={}).status_code == 422


def _csv_rows(content: bytes) -> list[list[str]]:
    import csv

    assert content.startswith(b"\xef\xbb\xbf")
    text = content[3:].decode("utf-8")
    assert "\r\n" in text and not re.search(r"(?<!\r)\n", text)
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_museum_list_exports(admin, public, exchange):
    eid = exchange["event_id"]
    _register(public, eid, name="张三", phone="13812345678",
              items=[{"name": "=HYPERLINK(1)", "category": "+旗帜", "era": "1949年", "intent": "donate"}, {"name": "像章", "intent": "exhibit"}])
    _move(admin, eid, "C-0001", "received", note="完好")
    _move(admin, eid, "C-0001", "donated", recipient="遵义市红色收藏博物馆", note="-已入藏")
    zh = admin.get(f"/events/{eid}/items.csv")
    assert zh.status_code == 200 and zh.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in zh.headers["Content-Disposition"]
    rows = _csv_rows(zh.content)
    assert rows[0] == ["藏品编号", "名称", "类别", "年代", "意向", "状态", "收藏者", "手机号", "接收时间", "受赠单位", "备注"]
    assert rows[1][:8] == ["C-0001", "'=HYPERLINK(1)", "'+旗帜", "1949年", "捐赠", "已捐赠", "张三", "13812345678"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[1][8])
    assert rows[1][9:] == ["遵义市红色收藏博物馆", "'-已入藏"]
    assert rows[2][:6] == ["C-0002", "像章", "", "", "展示", "已申报"] and rows[2][8:] == ["", "", ""]
    en = _csv_rows(admin.get(f"/events/{eid}/items.csv", params={"lang": "en"}).content)
    assert en[0] == ["item_id", "name", "category", "era", "intent", "state", "collector", "phone", "received_at",
                     "recipient", "note"]
    assert en[1][4:6] == ["donate", "donated"]

    import openpyxl

    xlsx = admin.get(f"/events/{eid}/items.xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "藏品编号" and values[1][1] == "'=HYPERLINK(1)" and values[1][7] == "13812345678"
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None)
    actions = [e["target"] for e in admin.get(f"/events/{eid}/audit").json()["items"] if e["action"].startswith("export.")]
    assert actions[:2] == ["items.xlsx", "items.csv"]


def test_donation_certificate(admin, public, exchange):
    import pypdf

    from chalicelib.config import settings

    eid = exchange["event_id"]
    ticket = _register(public, eid, name="买买提·艾力")
    rid = ticket["registration_id"]
    url = f"/events/{eid}/registrations/{rid}/donation-certificate.pdf"
    none = admin.get(url)
    assert (none.status_code, none.json()["error"]) == (409, "no_donations")
    for item_id in ("C-0001", "C-0003"):
        _move(admin, eid, item_id, "received")
        _move(admin, eid, item_id, "donated", recipient="遵义市红色收藏博物馆")
    reply = admin.get(url)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/pdf"
    assert reply.content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(reply.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = reader.pages[0].extract_text()
    for expected in ("捐赠证书", "买买提・艾力",  # the middle dot as STSong-Light draws it (formats/certificate.py) "C-0001", "毛主席像章", "C-0003", "粮票一套", "遵义市红色收藏博物馆",
                     "全国红色收藏交流会", settings().organization_name):
        assert expected in text, expected
    assert "红军水壶" not in text  # not donated
    assert re.search(r"捐赠日期：20\d\d年\d{1,2}月\d{1,2}日", text)
    assert admin.get(f"/events/{eid}/registrations/0000000000000000/donation-certificate.pdf").status_code == 404
    staff = public.__class__(public.base_url, _staff(admin, eid))
    assert staff.get(url).status_code == 403


def test_erasure_reaches_the_items(admin, public, exchange, db):
    eid = exchange["event_id"]
    ticket = _register(public, eid, name="赵六", phone="13512345679")
    _move(admin, eid, "C-0001", "received", note="赵六亲自送来")
    _move(admin, eid, "C-0001", "donated", recipient="遵义市红色收藏博物馆", note="赵六说要署名")
    assert admin.delete(f"/events/{eid}/registrations/{ticket['registration_id']}").status_code == 204
    records = db.of_type(eid, "ITEM#")
    assert [r["item_id"] for r in records] == ["C-0001"]  # declared ones never reached the desk: gone
    kept = records[0]
    assert kept["state"] == "donated" and kept["recipient"] == "遵义市红色收藏博物馆" and kept["name"] == "毛主席像章"
    assert "note" not in kept and "赵六" not in str(records)
    rows = _csv_rows(admin.get(f"/events/{eid}/items.csv").content)
    assert len(rows) == 2 and rows[1][6:8] == ["", ""] and "赵六" not in str(rows)
    cert = admin.get(f"/events/{eid}/registrations/{ticket['registration_id']}/donation-certificate.pdf")
    assert cert.status_code == 404
