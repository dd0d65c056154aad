"""The organiser console's API (SPEC §4) over HTTP: search, gate view, admin cancel, gate links,
stats breakdowns, the audit log, and what a check-in records."""
from __future__ import annotations

import csv
import io
import re

import pytest

from devtools.samples import registration_body, unique_phone
from tests.helpers import run_concurrently

PHONE = re.compile(r"1[3-9][0-9]{9}")


def register(public, eid, **fields):
    response = public.post(f"/events/{eid}/registrations", json=registration_body(**fields))
    assert response.status_code == 201, response.text
    return response.json()


def search(session, eid, **params):
    response = session.get(f"/events/{eid}/registrations", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def crowd(make_event, public):
    """An award ceremony with registrations whose names and phones are known."""
    event = make_event(capacity=20, max_party_size=3)
    eid = event["event_id"]
    people = {
        "张三": register(public, eid, name="张三", phone="13811112222", role="guest"),
        "张三丰": register(public, eid, name="张三丰", phone="13833334444", role="media", party_size=2),
        "李四": register(public, eid, name="李四", phone="13855552222", role="guest"),
        "Anna Lee": register(public, eid, name="Anna Lee", phone="13877778888", role="nominee"),
    }
    return eid, people


def ids(page):
    return {row["registration_id"] for row in page["items"]}


def test_search_by_name_part_phone_tail_and_id(admin, crowd):
    eid, people = crowd
    assert ids(search(admin, eid, q="三")) == {people["张三"]["registration_id"], people["张三丰"]["registration_id"]}
    assert ids(search(admin, eid, q="张三丰")) == {people["张三丰"]["registration_id"]}
    assert ids(search(admin, eid, q="三丰")) == {people["张三丰"]["registration_id"]}
    # NFKC and case-insensitive: full-width and upper-case letters find a Latin name.
    assert ids(search(admin, eid, q="ＬＥＥ")) == {people["Anna Lee"]["registration_id"]}
    assert ids(search(admin, eid, q="nnal")) == {people["Anna Lee"]["registration_id"]}  # spaces ignored
    # Four digits: the end of a phone number.
    assert ids(search(admin, eid, q="2222")) == {people["张三"]["registration_id"], people["李四"]["registration_id"]}
    assert ids(search(admin, eid, q="4444")) == {people["张三丰"]["registration_id"]}
    assert search(admin, eid, q="9999")["items"] == []
    rid = people["李四"]["registration_id"]
    assert ids(search(admin, eid, q=rid.lower())) == {rid}
    assert search(admin, eid, q="王")["items"] == []
    assert search(admin, eid, q="  ·  ")["items"] == []  # nothing searchable left


def test_search_combines_with_role_and_status_filters(admin, public, crowd):
    eid, people = crowd
    assert ids(search(admin, eid, q="2222", role="guest")) == {
        people["张三"]["registration_id"], people["李四"]["registration_id"]}
    assert ids(search(admin, eid, q="三", role="media")) == {people["张三丰"]["registration_id"]}
    public.post(f"/tickets/{people['张三']['ticket_token']}/cancel")
    assert ids(search(admin, eid, q="三", status="cancelled")) == {people["张三"]["registration_id"]}
    assert ids(search(admin, eid, role="nominee")) == {people["Anna Lee"]["registration_id"]}
    assert admin.get(f"/events/{eid}/registrations", params={"role": "king"}).status_code == 422


def test_search_pages_are_signed_for_their_query(admin, make_event, public):
    event = make_event(capacity=10)
    eid = event["event_id"]
    for index in range(5):
        register(public, eid, name=f"陈{'一二三四五'[index]}")
    first = search(admin, eid, q="陈", limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = search(admin, eid, q="陈", limit=2, cursor=first["next_cursor"])
    assert not ids(first) & ids(second)
    moved = admin.get(f"/events/{eid}/registrations", params={"q": "一", "cursor": first["next_cursor"]})
    assert moved.status_code == 422  # a cursor is bound to its search


def test_admin_rows_carry_the_console_fields(admin, crowd):
    eid, people = crowd
    row = search(admin, eid, q="张三丰")["items"][0]
    assert row["phone"] == "13833334444"
    assert row["source"] == "form" and row["seat"] is None and row["checked_in_heads"] == 0
    assert {"answers", "checked_in_by", "items", "note"} <= set(row)


def test_a_gate_searches_without_seeing_phone_numbers(stack, admin, crowd):
    eid, people = crowd
    token = admin.post(f"/events/{eid}/staff-tokens", json={"label": "东门·张三"}).json()["token"]
    gate = stack.session(token)
    page = search(gate, eid, q="2222")
    assert ids(page) == {people["张三"]["registration_id"], people["李四"]["registration_id"]}
    for row in page["items"]:
        assert set(row) == {"registration_id", "name", "phone_masked", "role", "party_size", "status", "seat",
                            "checked_in_at", "checked_in_heads"}
        assert row["phone_masked"].endswith("2222") and "****" in row["phone_masked"]
    assert not PHONE.search(gate.get(f"/events/{eid}/registrations").text)


def test_manual_check_in_by_registration_id_records_who(stack, admin, crowd):
    eid, people = crowd
    token = admin.post(f"/events/{eid}/staff-tokens", json={"label": "东门"}).json()["token"]
    gate = stack.session(token)
    rid = people["张三丰"]["registration_id"]
    first = gate.post(f"/events/{eid}/checkins", json={"registration_id": rid, "gate": "东门"})
    assert first.status_code == 200 and first.json()["registration"]["name"] == "张三丰"
    again = gate.post(f"/events/{eid}/checkins", json={"registration_id": rid})
    assert again.status_code == 409 and again.json()["result"] == "already_checked_in"
    unknown = gate.post(f"/events/{eid}/checkins", json={"registration_id": "0" * 16})
    assert unknown.status_code == 404 and unknown.json()["result"] == "invalid"
    both = gate.post(f"/events/{eid}/checkins", json={"registration_id": rid, "code": "x"})
    neither = gate.post(f"/events/{eid}/checkins", json={"gate": "东门"})
    assert both.status_code == neither.status_code == 422
    row = search(admin, eid, q=rid)["items"][0]
    assert row["checked_in_by"] == "staff:东门" and row["checked_in_heads"] == 2 and row["gate"] == "东门"
    audit = admin.get(f"/events/{eid}/audit").json()["items"]
    assert {"actor": "staff:东门", "action": "checkin.manual", "target": rid} in [
        {key: entry[key] for key in ("actor", "action", "target")} for entry in audit]


def test_stats_break_down_by_role_gate_and_ten_minutes(admin, crowd):
    eid, people = crowd
    for name, gate in (("张三", "东门"), ("张三丰", "东门"), ("Anna Lee", None)):
        body = {"code": people[name]["ticket_token"], **({"gate": gate} if gate else {})}
        assert admin.post(f"/events/{eid}/checkins", json=body).status_code == 200
    stats = admin.get(f"/events/{eid}/stats").json()
    assert stats["checked_in"] == 3 and stats["checked_in_heads"] == 4
    assert stats["by_role"]["guest"] == {"confirmed": 2, "waitlisted": 0, "checked_in": 1,
                                         "seats_confirmed": 2, "checked_in_heads": 1}
    assert stats["by_role"]["media"]["checked_in_heads"] == 2
    assert stats["by_role"]["nominee"]["checked_in"] == 1
    assert stats["by_gate"] == {"东门": 3, "未填写": 1}
    assert sum(bucket["heads"] for bucket in stats["timeline"]) == 4
    for bucket in stats["timeline"]:
        assert bucket["at"].endswith("+08:00") and bucket["at"][14:16] in ("00", "10", "20", "30", "40", "50")
    assert admin.get(f"/events/{eid}/stats", params={"list_id": "banquet"}).status_code == 422


def test_role_counts_follow_cancellation_and_promotion(admin, public, make_event):
    event = make_event(capacity=1)
    eid = event["event_id"]
    first = register(public, eid, role="guest")
    waiting = register(public, eid, role="media")
    assert waiting["status"] == "waitlisted"
    by_role = admin.get(f"/events/{eid}/stats").json()["by_role"]
    assert by_role["guest"]["confirmed"] == 1 and by_role["media"]["waitlisted"] == 1
    public.post(f"/tickets/{first['ticket_token']}/cancel")
    by_role = admin.get(f"/events/{eid}/stats").json()["by_role"]
    assert by_role["guest"]["confirmed"] == 0 and by_role["guest"]["seats_confirmed"] == 0
    assert by_role["media"] == {"confirmed": 1, "waitlisted": 0, "checked_in": 0, "seats_confirmed": 1,
                                "checked_in_heads": 0}


def test_admin_cancel_frees_the_seat_promotes_and_is_audited(admin, public, make_event):
    event = make_event(capacity=1)
    eid = event["event_id"]
    first = register(public, eid)
    waiting = register(public, eid)
    response = admin.post(f"/events/{eid}/registrations/{first['registration_id']}/cancel")
    assert response.status_code == 200 and response.json() == {"status": "cancelled"}
    assert public.get(f"/tickets/{waiting['ticket_token']}").json()["status"] == "confirmed"
    assert admin.post(f"/events/{eid}/registrations/{first['registration_id']}/cancel").status_code == 200
    assert admin.post(f"/events/{eid}/registrations/{'0' * 16}/cancel").status_code == 404
    admin.post(f"/events/{eid}/checkins", json={"code": waiting["ticket_token"]})
    used = admin.post(f"/events/{eid}/registrations/{waiting['registration_id']}/cancel")
    assert used.status_code == 409 and used.json()["error"] == "already_checked_in"
    actions = [entry["action"] for entry in admin.get(f"/events/{eid}/audit").json()["items"]]
    assert actions.count("registration.cancel") == 1


def test_gate_links_are_labelled_listed_and_revoked_at_once(stack, admin, make_event):
    event = make_event()
    eid = event["event_id"]
    minted = admin.post(f"/events/{eid}/staff-tokens", json={"label": "东门·张三"})
    assert minted.status_code == 201
    link = minted.json()
    assert link["label"] == "东门·张三" and link["scanner_url"].endswith(f"/scan/{eid}#token={link['token']}")
    default = admin.post(f"/events/{eid}/staff-tokens").json()
    assert default["label"] == "签到口"
    assert admin.post(f"/events/{eid}/staff-tokens", json={"label": ""}).status_code == 422
    assert admin.post(f"/events/{eid}/staff-tokens", json={"label": "门" * 31}).status_code == 422
    gate = stack.session(link["token"])
    assert gate.get(f"/events/{eid}/stats").status_code == 200
    listed = admin.get(f"/events/{eid}/staff-tokens").json()["items"]
    assert [item["label"] for item in listed] == ["东门·张三", "签到口"]
    mine = next(item for item in listed if item["token_id"] == link["token_id"])
    assert mine["last_used_at"] and mine["revoked_at"] is None
    assert link["token"] not in str(listed)
    assert gate.get(f"/events/{eid}/staff-tokens").status_code == 403
    assert admin.delete(f"/events/{eid}/staff-tokens/{link['token_id']}").status_code == 204
    assert gate.get(f"/events/{eid}/stats").status_code == 401
    assert gate.post(f"/events/{eid}/checkins", json={"code": "x"}).status_code == 401
    assert admin.delete(f"/events/{eid}/staff-tokens/{link['token_id']}").status_code == 204  # idempotent
    assert admin.delete(f"/events/{eid}/staff-tokens/gt-nosuchtoken").status_code == 404
    revoked = next(item for item in admin.get(f"/events/{eid}/staff-tokens").json()["items"]
                   if item["token_id"] == link["token_id"])
    assert revoked["revoked_at"]
    assert stack.session(default["token"]).get(f"/events/{eid}/stats").status_code == 200


def test_no_gate_link_for_an_event_that_has_ended(admin, make_event):
    event = make_event(starts_at="2025-01-01T19:00:00+08:00", ends_at="2025-01-01T21:00:00+08:00")
    response = admin.post(f"/events/{event['event_id']}/staff-tokens")
    assert response.status_code == 409 and response.json()["error"] == "event_ended"


def test_audit_log_names_who_did_what_without_personal_data(stack, admin, public, make_event):
    event = make_event(capacity=5)
    eid = event["event_id"]
    phone = unique_phone()
    reply = register(public, eid, phone=phone)
    admin.patch(f"/events/{eid}", json={"capacity": 6, "title": "改名后的典礼"})
    link = admin.post(f"/events/{eid}/staff-tokens", json={"label": "西门"}).json()
    admin.get(f"/events/{eid}/attendees.csv")
    admin.get(f"/events/{eid}/attendees.xlsx")
    admin.delete(f"/events/{eid}/staff-tokens/{link['token_id']}")
    admin.delete(f"/events/{eid}/registrations/{reply['registration_id']}")
    page = admin.get(f"/events/{eid}/audit")
    assert page.status_code == 200
    entries = page.json()["items"]
    actions = [entry["action"] for entry in entries]
    assert actions == ["registration.erase", "staff_token.revoke", "export.xlsx", "export.csv",
                       "staff_token.create", "event.update", "event.create"]  # newest first
    assert all(entry["actor"] == "admin" for entry in entries)
    update = entries[actions.index("event.update")]
    assert update["detail"] == "capacity, title"
    text = page.text
    assert phone not in text and phone[-4:] not in text and link["token"] not in text
    assert reply["ticket_token"] not in text
    first = admin.get(f"/events/{eid}/audit", params={"limit": 3}).json()
    rest = admin.get(f"/events/{eid}/audit", params={"limit": 10, "cursor": first["next_cursor"]}).json()
    assert [e["action"] for e in first["items"] + rest["items"]] == actions
    assert stack.session().get(f"/events/{eid}/audit").status_code == 401


def test_exports_add_seat_heads_source_and_who_checked_in(admin, crowd):
    eid, people = crowd
    admin.post(f"/events/{eid}/checkins", json={"code": people["张三丰"]["ticket_token"]})
    rows = list(csv.reader(io.StringIO(admin.get(f"/events/{eid}/attendees.csv").content.decode("utf-8-sig"))))
    assert rows[0][12:] == ["座位", "已签到人数", "来源", "签到人"]
    checked = next(row for row in rows if row[2] == "张三丰")
    assert checked[12:] == ["", "2", "报名表", "管理员"]
    waiting = next(row for row in rows if row[2] == "李四")
    assert waiting[12:] == ["", "0", "报名表", ""]
    english = list(csv.reader(io.StringIO(
        admin.get(f"/events/{eid}/attendees.csv", params={"lang": "en"}).content.decode("utf-8-sig"))))
    assert english[0][12:] == ["seat", "checked_in_heads", "source", "checked_in_by"]
    assert next(row for row in english if row[2] == "张三丰")[12:] == ["", "2", "form", "admin"]


def test_erasure_removes_the_person_from_search(admin, crowd, db):
    eid, people = crowd
    rid = people["张三丰"]["registration_id"]
    assert admin.delete(f"/events/{eid}/registrations/{rid}").status_code == 204
    assert ids(search(admin, eid, q="丰")) == set()
    assert ids(search(admin, eid, q="4444")) == set()
    leftovers = [item for item in db.partition(eid) if rid in item["sk"] and item["sk"].startswith("FIND#")]
    assert leftovers == []
    record = next(item for item in db.partition(eid) if item["sk"] == f"REG#{rid}")
    assert "search_terms" not in record and "name" not in record


def test_index_entries_hold_no_phone_digits(db, crowd):
    eid, _ = crowd
    for item in db.partition(eid):
        if item["sk"].startswith("FIND#"):
            assert not re.search(r"\d{4}", item["sk"].split("#")[2] if item["sk"].startswith("FIND#C#") else "")
            assert "phone" not in item and not PHONE.search(str(item))
    assert any(item["sk"].startswith("FIND#P#") for item in db.partition(eid))


def test_concurrent_gate_links_for_one_event_all_work(stack, admin, make_event):
    event = make_event()
    eid = event["event_id"]
    jobs = [lambda s, n=n: s.post(f"/events/{eid}/staff-tokens", json={"label": f"门{n}"},
                                  headers={"Authorization": f"Bearer {stack.admin_token}"}) for n in range(10)]
    minted = run_concurrently(stack, jobs, threads=10)
    assert [response.status_code for response in minted] == [201] * 10
    assert len(admin.get(f"/events/{eid}/staff-tokens").json()["items"]) == 10


def test_the_waitlist_is_fair_beyond_its_first_hundred(admin, public, make_event):
    """Capacity 10 and full; 105 parties of 2 wait, then a party of 1. When a party of 9 cancels,
    four parties of 2 move up and the last seat goes to the party of 1, behind 101 others that don't fit."""
    event = make_event(capacity=10, max_party_size=9)
    eid = event["event_id"]
    nine = register(public, eid, party_size=9)
    register(public, eid, party_size=1)  # fills the event
    for _ in range(105):
        assert register(public, eid, party_size=2)["status"] == "waitlisted"
    small = register(public, eid, party_size=1)
    assert small["status"] == "waitlisted"
    cancelled = admin.post(f"/events/{eid}/registrations/{nine['registration_id']}/cancel")
    assert cancelled.status_code == 200
    # 9 seats free: four parties of 2 move up (8 seats), then the party of 1 behind 101 others fits.
    assert public.get(f"/tickets/{small['ticket_token']}").json()["status"] == "confirmed"
    stats = admin.get(f"/events/{eid}/stats").json()
    assert stats["seats_confirmed"] == 10 and stats["waitlisted"] == 101
