"""The gate as it really is (SPEC §5): manual check-in, party heads, check-in lists with role
rules, offline scan times with earliest-scan-wins, and gate data — over HTTP, real DynamoDB."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from devtools.samples import registration_body
from tests.helpers import run_concurrently

SHANGHAI = timezone(timedelta(hours=8))


def iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def now() -> datetime:
    return datetime.now(SHANGHAI).replace(microsecond=0)


BANQUET = {"list_id": "banquet", "name": "晚宴", "roles": ["nominee", "family"]}


@pytest.fixture
def live_event(make_event):
    """An event under way (so offline scan times are within its window), parties up to 5."""

    def create(**overrides):
        start = now() - timedelta(hours=1)
        return make_event(
            starts_at=iso(start), ends_at=iso(start + timedelta(hours=4)), capacity=50, max_party_size=5, **overrides
        )

    return create


def register(public, event, **fields):
    reply = public.post(f"/events/{event['event_id']}/registrations", json=registration_body(**fields))
    assert reply.status_code == 201, reply.text
    return reply.json()


def scan(session, event, code=None, nonce=None, **fields):
    body = {**({"code": code} if code else {}), **fields}
    return session.post(
        f"/events/{event['event_id']}/checkins", json=body, headers={"Idempotency-Key": nonce} if nonce else {}
    )


def stats(admin, event, **params):
    reply = admin.get(f"/events/{event['event_id']}/stats", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def staff_session(stack, admin, event):
    token = admin.post(f"/events/{event['event_id']}/staff-tokens", json={"label": "东门·张三"}).json()["token"]
    return stack.session(token)


# --- manual check-in --------------------------------------------------------------------------


def test_manual_check_in_by_registration_id_from_a_staff_search(stack, admin, public, live_event):
    event = live_event()
    ticket = register(public, event, name="欧阳娜娜", party_size=2, role="nominee")
    staff = staff_session(stack, admin, event)
    found = staff.get(f"/events/{event['event_id']}/registrations", params={"q": "娜娜"}).json()["items"]
    assert [row["registration_id"] for row in found] == [ticket["registration_id"]]
    assert "phone" not in found[0]
    reply = scan(staff, event, registration_id=ticket["registration_id"], gate="东门")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["result"] == "ok" and body["registration"]["name"] == "欧阳娜娜"
    assert (body["heads"], body["checked_in_heads"], body["party_size"]) == (2, 2, 2)
    again = scan(staff, event, registration_id=ticket["registration_id"])
    assert again.status_code == 409 and again.json()["result"] == "already_checked_in"
    assert scan(staff, event, registration_id="0" * 16).json()["result"] == "invalid"
    assert scan(staff, event, registration_id="not-an-id").status_code == 404
    audit = admin.get(f"/events/{event['event_id']}/audit").json()["items"]
    assert any(item["action"] == "checkin.manual" and item["actor"] == "staff:东门·张三" for item in audit)
    both = scan(staff, event, code=ticket["ticket_token"], registration_id=ticket["registration_id"])
    assert both.status_code == 422


# --- heads ------------------------------------------------------------------------------------


def test_a_party_enters_in_parts_and_counts_heads(admin, public, live_event, db):
    event = live_event()
    ticket = register(public, event, party_size=3, role="family")
    first = scan(admin, event, ticket["ticket_token"], heads=2, gate="东门")
    assert first.status_code == 200, first.text
    assert (first.json()["heads"], first.json()["checked_in_heads"], first.json()["party_size"]) == (2, 2, 3)
    too_many = scan(admin, event, ticket["ticket_token"], heads=2)
    assert too_many.status_code == 422 and "heads" in too_many.json()["fields"]
    assert scan(admin, event, ticket["ticket_token"], heads=6).status_code == 422
    assert scan(admin, event, ticket["ticket_token"], heads=0).status_code == 422
    rest = scan(admin, event, ticket["ticket_token"], gate="西门")  # default: all remaining
    assert rest.status_code == 200 and (rest.json()["heads"], rest.json()["checked_in_heads"]) == (1, 3)
    done = scan(admin, event, ticket["ticket_token"])
    assert done.status_code == 409 and done.json()["result"] == "already_checked_in"
    assert done.json()["checked_in_at"] == first.json()["checked_in_at"] and done.json()["gate"] == "东门"
    counts = stats(admin, event)
    assert (counts["checked_in"], counts["checked_in_heads"]) == (1, 3)
    assert counts["by_gate"] == {"东门": 2, "西门": 1}
    assert counts["by_role"]["family"]["checked_in_heads"] == 3
    item = db.of_type(event["event_id"], "REG#")[0]
    assert item["checked_in_heads"] == 3 and item["first_heads"] == 2
    row = admin.get(f"/events/{event['event_id']}/registrations").json()["items"][0]
    assert row["checked_in_heads"] == 3 and row["checked_in_at"] == first.json()["checked_in_at"]


def test_20_parallel_head_check_ins_on_a_party_of_3_admit_exactly_3(stack, admin, public, live_event, db):
    event = live_event()
    ticket = register(public, event, party_size=3, role="family")

    def one(session, i):
        session.http.headers["Authorization"] = f"Bearer {stack.admin_token}"
        return scan(session, event, ticket["ticket_token"], heads=1, gate=f"门{i % 4}")

    replies = run_concurrently(stack, [lambda s, i=i: one(s, i) for i in range(20)], threads=20)
    results = [reply.json()["result"] for reply in replies]
    assert results.count("ok") == 3, results
    assert results.count("already_checked_in") == 17
    assert sorted(reply.json()["checked_in_heads"] for reply in replies if reply.status_code == 200) == [1, 2, 3]
    counts = stats(admin, event)
    assert (counts["checked_in"], counts["checked_in_heads"]) == (1, 3)
    assert sum(counts["by_gate"].values()) == 3
    assert db.of_type(event["event_id"], "REG#")[0]["checked_in_heads"] == 3


def test_a_retried_party_check_in_does_not_admit_twice(admin, public, live_event):
    event = live_event()
    ticket = register(public, event, party_size=3, role="family")
    first = scan(admin, event, ticket["ticket_token"], heads=1, nonce="gate-1-scan-7")
    retry = scan(admin, event, ticket["ticket_token"], heads=1, nonce="gate-1-scan-7")
    assert first.status_code == retry.status_code == 200
    assert retry.json()["checked_in_heads"] == 1
    assert stats(admin, event)["checked_in_heads"] == 1


# --- check-in lists ---------------------------------------------------------------------------


def test_lists_have_role_rules_and_their_own_state(admin, public, live_event, db):
    event = live_event(checkin_lists=[{"list_id": "main", "name": "入场"}, BANQUET])
    assert event["checkin_lists"] == [{"list_id": "main", "name": "入场", "roles": None}, BANQUET]
    nominee = register(public, event, role="nominee", party_size=2)
    guest = register(public, event, role="guest")
    refused = scan(admin, event, guest["ticket_token"], list_id="banquet")
    assert refused.status_code == 409 and refused.json()["result"] == "not_allowed"
    assert scan(admin, event, guest["ticket_token"]).json()["result"] == "ok"  # main admits every role
    banquet = scan(admin, event, nominee["ticket_token"], list_id="banquet")
    assert banquet.status_code == 200 and banquet.json()["list_id"] == "banquet"
    assert scan(admin, event, nominee["ticket_token"], list_id="banquet").json()["result"] == "already_checked_in"
    main = scan(admin, event, nominee["ticket_token"])  # its own state on main
    assert main.status_code == 200 and main.json()["checked_in_heads"] == 2
    counts = stats(admin, event)
    assert (counts["checked_in"], counts["checked_in_heads"]) == (2, 3)  # main only
    assert scan(admin, event, nominee["ticket_token"], list_id="nope").status_code == 422
    assert stats(admin, event, list_id="banquet")["checked_in_heads"] == 2
    assert admin.get(f"/events/{event['event_id']}/stats", params={"list_id": "nope"}).status_code == 422
    item = next(i for i in db.of_type(event["event_id"], "REG#") if i["registration_id"] == nominee["registration_id"])
    assert item["cl#banquet#heads"] == 2


def test_default_list_and_list_validation(admin, live_event, make_event):
    event = live_event()
    assert event["checkin_lists"] == [{"list_id": "main", "name": "入场", "roles": None}]
    bad = [
        [{"list_id": f"l{i}", "name": f"名单{i}"} for i in range(11)],
        [{"list_id": "main", "name": "入场"}, {"list_id": "main", "name": "重复"}],
        [{"list_id": "b", "name": "晚宴", "roles": ["collector"]}],
        [{"list_id": "Bad Id", "name": "x"}],
        [{"list_id": "b"}],
    ]
    for lists in bad:
        reply = admin.post(
            "/events",
            json={
                **{k: event[k] for k in ("kind", "title", "venue", "starts_at", "ends_at", "capacity")},
                "event_id": f"t-{uuid.uuid4().hex[:10]}",
                "checkin_lists": lists,
            },
        )
        assert reply.status_code == 422, (lists, reply.text)
        assert any(key.startswith("checkin_lists") for key in reply.json()["fields"]), (lists, reply.text)
    patched = admin.patch(f"/events/{event['event_id']}", json={"checkin_lists": [BANQUET]})
    assert patched.status_code == 200
    assert [item["list_id"] for item in patched.json()["checkin_lists"]] == ["main", "banquet"]


def test_a_list_rule_edited_during_the_event_applies_at_once(admin, public, live_event):
    event = live_event(checkin_lists=[BANQUET])
    first, second = register(public, event, role="guest"), register(public, event, role="guest")
    assert scan(admin, event, first["ticket_token"], list_id="banquet").json()["result"] == "not_allowed"
    widened = {**BANQUET, "roles": ["nominee", "family", "guest"]}
    assert admin.patch(f"/events/{event['event_id']}", json={"checkin_lists": [widened]}).status_code == 200
    assert scan(admin, event, second["ticket_token"], list_id="banquet").json()["result"] == "ok"
    narrowed = {**BANQUET, "roles": ["nominee"]}
    assert admin.patch(f"/events/{event['event_id']}", json={"checkin_lists": [narrowed]}).status_code == 200
    assert scan(admin, event, first["ticket_token"], list_id="banquet").json()["result"] == "not_allowed"


def test_a_registration_changed_after_the_roster_was_read_is_decided_from_the_store(admin, public, live_event):
    event = live_event()
    warm, cancelled = register(public, event), register(public, event, name="李四")
    assert scan(admin, event, warm["ticket_token"]).json()["result"] == "ok"  # the roster is loaded now
    assert public.post(f"/tickets/{cancelled['ticket_token']}/cancel").status_code == 200
    reply = scan(admin, event, cancelled["ticket_token"])
    assert reply.status_code == 409 and reply.json()["result"] == "cancelled"
    fresh = register(public, event, name="王二")  # registered after the roster was read
    assert scan(admin, event, fresh["ticket_token"]).json()["registration"]["name"] == "王二"


# --- offline scan times -------------------------------------------------------------------------


def test_scanned_at_is_recorded_within_its_window_else_422(admin, public, live_event):
    event = live_event()
    ticket = register(public, event)
    start = datetime.fromisoformat(event["starts_at"])
    for bad in (iso(start - timedelta(days=1, minutes=1)), iso(now() + timedelta(minutes=10)), "yesterday"):
        reply = scan(admin, event, ticket["ticket_token"], scanned_at=bad)
        assert reply.status_code == 422 and "scanned_at" in reply.json()["fields"], bad
    scanned = iso(now() - timedelta(minutes=7))
    reply = scan(admin, event, ticket["ticket_token"], scanned_at=scanned)
    assert reply.status_code == 200 and reply.json()["checked_in_at"] == scanned
    assert public.get(f"/tickets/{ticket['ticket_token']}").json()["checked_in_at"] == scanned


def test_earliest_offline_scan_wins_even_when_it_arrives_last(admin, public, live_event, db):
    event = live_event()
    ticket = register(public, event, role="guest")
    early, late = now() - timedelta(minutes=30), now() - timedelta(minutes=5)
    b = scan(admin, event, ticket["ticket_token"], gate="西门", scanned_at=iso(late), nonce="b-1")
    assert b.status_code == 200
    a = scan(admin, event, ticket["ticket_token"], gate="东门", scanned_at=iso(early), nonce="a-1")
    assert a.status_code == 200 and a.json()["checked_in_at"] == iso(early), a.text
    assert public.get(f"/tickets/{ticket['ticket_token']}").json()["checked_in_at"] == iso(early)
    item = db.of_type(event["event_id"], "REG#")[0]
    assert (item["checked_in_at"], item["gate"], item["checked_in_heads"]) == (iso(early), "东门", 1)
    counts = stats(admin, event)
    assert (counts["checked_in"], counts["checked_in_heads"]) == (1, 1)
    assert counts["by_gate"].get("东门") == 1 and counts["by_gate"].get("西门", 0) == 0
    assert sum(bucket["heads"] for bucket in counts["timeline"]) == 1
    later = scan(admin, event, ticket["ticket_token"], gate="北门", scanned_at=iso(late + timedelta(minutes=1)))
    assert later.status_code == 409 and later.json()["gate"] == "东门"
    assert scan(admin, event, ticket["ticket_token"], scanned_at=iso(early)).json()["result"] == "already_checked_in"
    replay = scan(admin, event, ticket["ticket_token"], gate="东门", scanned_at=iso(early), nonce="a-1")
    assert replay.status_code == 200


def test_the_earlier_scan_arriving_first_leaves_the_later_one_already_checked_in(admin, public, live_event):
    event = live_event()
    ticket = register(public, event)
    a = scan(admin, event, ticket["ticket_token"], scanned_at=iso(now() - timedelta(minutes=9)), gate="A")
    b = scan(admin, event, ticket["ticket_token"], scanned_at=iso(now() - timedelta(minutes=3)), gate="B")
    assert (a.status_code, b.status_code) == (200, 409)
    assert b.json()["checked_in_at"] == a.json()["checked_in_at"] and b.json()["gate"] == "A"


# --- gate data ----------------------------------------------------------------------------------


def test_gate_data_holds_what_offline_verdicts_need_and_no_phones(stack, admin, public, live_event, make_event):
    event = live_event(checkin_lists=[BANQUET])
    eid = event["event_id"]
    tickets = [register(public, event, name="测试" + "甲乙丙"[i], role="nominee", party_size=2) for i in range(3)]
    phone_body = registration_body(role="family")
    family = public.post(f"/events/{eid}/registrations", json=phone_body).json()
    staff = staff_session(stack, admin, event)
    assert scan(staff, event, tickets[0]["ticket_token"], heads=1).status_code == 200
    assert scan(staff, event, tickets[0]["ticket_token"], list_id="banquet").status_code == 200
    reply = staff.get(f"/events/{eid}/checkin-data")
    assert reply.status_code == 200, reply.text
    assert reply.headers["Cache-Control"] == "no-store"
    data = reply.json()
    assert phone_body["phone"] not in reply.text and phone_body["phone"][-4:] not in reply.text
    assert data["event"]["checkin_lists"][1] == BANQUET
    assert data["ticket_key_id"] == tickets[0]["ticket_token"].split(".")[1][0]
    entries = {entry["registration_id"]: entry for entry in data["entries"]}
    assert len(entries) == 4
    first = entries[tickets[0]["registration_id"]]
    assert first["ticket_hash"] == hashlib.sha256(tickets[0]["ticket_token"].upper().encode()).hexdigest()
    assert set(first) == {"ticket_hash", "registration_id", "name", "role", "party_size", "status", "seat", "lists"}
    assert first["lists"]["main"]["checked_in_heads"] == 1 and first["lists"]["banquet"]["checked_in_heads"] == 2
    assert entries[family["registration_id"]]["lists"] == {}

    since = data["next_since"]
    import time

    time.sleep(0.05)
    public.post(f"/tickets/{tickets[1]['ticket_token']}/cancel")
    assert scan(staff, event, tickets[2]["ticket_token"]).status_code == 200
    delta = staff.get(f"/events/{eid}/checkin-data", params={"since": since}).json()
    changed = {entry["registration_id"]: entry for entry in delta["entries"]}
    assert changed[tickets[1]["registration_id"]]["status"] == "cancelled"
    assert changed[tickets[2]["registration_id"]]["lists"]["main"]["checked_in_heads"] == 2
    assert int(delta["next_since"]) >= int(since)

    assert admin.delete(f"/events/{eid}/registrations/{family['registration_id']}").status_code == 204
    erased = staff.get(f"/events/{eid}/checkin-data", params={"since": since}).json()
    assert {e["registration_id"]: e for e in erased["entries"]}[family["registration_id"]]["name"] is None

    assert staff.get(f"/events/{eid}/checkin-data", params={"since": "abc"}).status_code == 422
    other = make_event()
    assert staff.get(f"/events/{other['event_id']}/checkin-data").status_code == 403
    assert stack.session().get(f"/events/{eid}/checkin-data").status_code == 401
