"""Award ceremony over HTTP (SPEC §9): an event's awards, a nominee's award, companions, the
programme (admin and the event's gate), and its order and counts after check-ins."""
from __future__ import annotations

import pytest

from devtools.samples import registration_body

AWARDS = [
    {"award_id": "xiaoxing", "name": "十大孝星", "slots": 10},
    {"award_id": "fuqi", "name": "十大恩爱夫妻", "slots": 10},
]


def register(public, eid, **fields):
    response = public.post(f"/events/{eid}/registrations", json=registration_body(**fields))
    assert response.status_code == 201, response.text
    return response.json()["registration_id"]


def patch(admin, eid, rid, **body):
    return admin.patch(f"/events/{eid}/registrations/{rid}", json=body)


def check_in(session, eid, rid):
    response = session.post(f"/events/{eid}/checkins", json={"registration_id": rid})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def ceremony(make_event):
    return make_event(capacity=100, max_party_size=2, awards=AWARDS)


# --- the event's awards ------------------------------------------------------------------------


def test_awards_are_stored_returned_and_editable(admin, ceremony, public):
    eid = ceremony["event_id"]
    assert ceremony["awards"] == AWARDS
    assert public.get(f"/events/{eid}").json()["awards"] == AWARDS
    edited = [*AWARDS, {"award_id": "qingnian", "name": "青年榜样", "slots": 5}]
    response = admin.patch(f"/events/{eid}", json={"awards": edited})
    assert response.status_code == 200, response.text
    assert response.json()["awards"] == edited
    audit = admin.get(f"/events/{eid}/audit").json()["items"]
    assert audit[0]["action"] == "event.update" and audit[0]["detail"] == "awards"


@pytest.mark.parametrize(
    "awards, field",
    [
        ([{"award_id": "A b", "name": "x", "slots": 1}], "awards.0.award_id"),
        ([{"award_id": "abc", "name": "", "slots": 1}], "awards.0.name"),
        ([{"award_id": "abc", "name": "x", "slots": 0}], "awards.0.slots"),
        ([{"award_id": "abc", "name": "x", "slots": 101}], "awards.0.slots"),
        ([{"award_id": "abc", "name": "x", "slots": "3"}], "awards.0.slots"),
        ([{"award_id": "abc", "name": "x"}], "awards.0.slots"),
        ([{"award_id": "abc", "name": "x", "slots": 1, "extra": 1}], "awards.0.extra"),
        ([{"award_id": f"a{i:02d}", "name": "x", "slots": 1} for i in range(21)], "awards"),
        ([{"award_id": "abc", "name": "x", "slots": 1}, {"award_id": "abc", "name": "y", "slots": 2}],
         "awards.1.award_id"),
        ("abc", "awards"),
    ],
)
def test_invalid_awards_are_422_with_field_messages(admin, make_event, awards, field):
    from devtools.samples import event_body

    response = admin.post("/events", json=event_body(awards=awards))
    assert response.status_code == 422, response.text
    assert field in response.json()["fields"], response.json()


def test_awards_only_for_award_ceremonies(admin, make_event):
    from devtools.samples import event_body

    response = admin.post("/events", json=event_body(kind="collector_exchange", awards=AWARDS))
    assert response.status_code == 422
    assert "颁奖典礼" in response.json()["fields"]["awards"][0]
    exchange = make_event(kind="collector_exchange")
    response = admin.patch(f"/events/{exchange['event_id']}", json={"awards": AWARDS})
    assert response.status_code == 422 and "awards" in response.json()["fields"]
    assert admin.patch(f"/events/{exchange['event_id']}", json={"awards": []}).status_code == 200


# --- a nominee's award ---------------------------------------------------------------------------


def test_nominee_needs_an_award_of_the_event(public, ceremony, db):
    eid = ceremony["event_id"]
    missing = public.post(f"/events/{eid}/registrations", json=registration_body(role="nominee"))
    assert missing.status_code == 422 and "award_id" in missing.json()["fields"]
    unknown = public.post(f"/events/{eid}/registrations", json=registration_body(role="nominee", award_id="nope"))
    assert unknown.status_code == 422 and "xiaoxing" in unknown.json()["fields"]["award_id"][0]
    guest = public.post(f"/events/{eid}/registrations", json=registration_body(role="guest", award_id="xiaoxing"))
    assert guest.status_code == 422 and "award_id" in guest.json()["fields"]
    rid = register(public, eid, role="nominee", award_id="xiaoxing")
    stored = next(item for item in db.of_type(eid, "REG#") if item["registration_id"] == rid)
    assert stored["award_id"] == "xiaoxing" and stored["prog_pk"] == f"PROG#{eid}"
    # Nothing was written for the refused ones.
    assert len(db.of_type(eid, "REG#")) == 1


def test_without_awards_a_nominee_needs_none(public, make_event):
    eid = make_event()["event_id"]
    register(public, eid, role="nominee")
    refused = public.post(f"/events/{eid}/registrations", json=registration_body(role="nominee", award_id="xiaoxing"))
    assert refused.status_code == 422 and "没有设置奖项" in refused.json()["fields"]["award_id"][0]


def test_patch_award_and_companion(admin, public, ceremony):
    eid = ceremony["event_id"]
    nominee = register(public, eid, role="nominee", award_id="xiaoxing", name="王孝星")
    family = register(public, eid, role="family", name="王家属")
    response = patch(admin, eid, family, companion_of=nominee)
    assert response.status_code == 200, response.text
    assert response.json()["companion_of"] == nominee and response.json()["name"] == "王家属"
    moved = patch(admin, eid, nominee, award_id="fuqi")
    assert moved.status_code == 200 and moved.json()["award_id"] == "fuqi"
    row = {r["registration_id"]: r for r in admin.get(f"/events/{eid}/registrations").json()["items"]}
    assert row[family]["companion_of"] == nominee and row[nominee]["award_id"] == "fuqi"
    audit = admin.get(f"/events/{eid}/audit").json()["items"]
    assert [(a["action"], a["target"], a["detail"]) for a in audit[:2]] == [
        ("registration.update", nominee, "award_id"),
        ("registration.update", family, "companion_of"),
    ]
    assert "王" not in str(audit)


@pytest.mark.parametrize(
    "case, field",
    [
        ("companion_of_guest", "companion_of"),
        ("companion_of_self", "companion_of"),
        ("companion_unknown", "companion_of"),
        ("nominee_as_companion", "companion_of"),
        ("award_for_guest", "award_id"),
        ("unknown_award", "award_id"),
        ("clear_nominee_award", "award_id"),
        ("bad_companion_id", "companion_of"),
        ("seat_too_long", "seat"),
        ("seat_with_newline", "seat"),
        ("unknown_field", "role"),
    ],
)
def test_patch_rules(admin, public, ceremony, case, field):
    eid = ceremony["event_id"]
    nominee = register(public, eid, role="nominee", award_id="xiaoxing")
    other_nominee = register(public, eid, role="nominee", award_id="fuqi")
    guest = register(public, eid, role="guest")
    target, body = {
        "companion_of_guest": (guest, {"companion_of": register(public, eid, role="guest")}),
        "companion_of_self": (nominee, {"companion_of": nominee}),
        "companion_unknown": (guest, {"companion_of": "0" * 16}),
        "nominee_as_companion": (nominee, {"companion_of": other_nominee}),
        "award_for_guest": (guest, {"award_id": "xiaoxing"}),
        "unknown_award": (nominee, {"award_id": "nope"}),
        "clear_nominee_award": (nominee, {"award_id": None}),
        "bad_companion_id": (guest, {"companion_of": "x"}),
        "seat_too_long": (guest, {"seat": "座" * 21}),
        "seat_with_newline": (guest, {"seat": "A区\n3排"}),
        "unknown_field": (guest, {"role": "nominee"}),
    }[case]
    response = patch(admin, eid, target, **body)
    assert response.status_code == 422, response.text
    assert field in response.json()["fields"], response.json()


def test_companion_of_a_cancelled_nominee_is_refused(admin, public, ceremony):
    eid = ceremony["event_id"]
    nominee = register(public, eid, role="nominee", award_id="xiaoxing")
    family = register(public, eid, role="family")
    assert admin.post(f"/events/{eid}/registrations/{nominee}/cancel").status_code == 200
    response = patch(admin, eid, family, companion_of=nominee)
    assert response.status_code == 422 and "取消" in response.json()["fields"]["companion_of"][0]


def test_patch_needs_admin_and_a_known_registration(stack, admin, public, ceremony):
    eid = ceremony["event_id"]
    rid = register(public, eid)
    assert stack.session().patch(f"/events/{eid}/registrations/{rid}", json={"seat": "A1"}).status_code == 401
    staff = admin.post(f"/events/{eid}/staff-tokens", json={}).json()["token"]
    assert stack.session(staff).patch(f"/events/{eid}/registrations/{rid}", json={"seat": "A1"}).status_code == 403
    assert patch(admin, eid, "0" * 16, seat="A1").status_code == 404
    assert patch(admin, eid, "not-an-id", seat="A1").status_code == 404
    assert admin.patch(f"/events/no-such-event/registrations/{rid}", json={"seat": "A1"}).status_code == 404
    response = admin.patch(f"/events/{eid}/registrations/{rid}", data="[", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


# --- the programme -------------------------------------------------------------------------------


def test_programme_after_check_ins(stack, admin, public, ceremony):
    eid = ceremony["event_id"]
    a1 = register(public, eid, role="nominee", award_id="xiaoxing", name="甲孝星")
    a2 = register(public, eid, role="nominee", award_id="xiaoxing", name="乙孝星", party_size=2)
    b1 = register(public, eid, role="nominee", award_id="fuqi", name="丙夫妻")
    fam1 = register(public, eid, role="family", name="甲家属一")
    fam2 = register(public, eid, role="family", name="甲家属二")
    fam3 = register(public, eid, role="guest", name="乙嘉宾")
    register(public, eid, role="audience", name="观众")
    for rid, nominee in ((fam1, a1), (fam2, a1), (fam3, a2)):
        assert patch(admin, eid, rid, companion_of=nominee).status_code == 200
    assert patch(admin, eid, a1, seat="A区1排1座").status_code == 200

    programme = admin.get(f"/events/{eid}/programme")
    assert programme.status_code == 200, programme.text
    assert programme.headers["Cache-Control"] == "no-store"
    awards = programme.json()["awards"]
    assert [(a["award_id"], a["name"], a["slots"]) for a in awards] == [("xiaoxing", "十大孝星", 10), ("fuqi", "十大恩爱夫妻", 10)]
    assert [n["registration_id"] for n in awards[0]["nominees"]] == [a1, a2]  # registration order, none in yet
    first = awards[0]["nominees"][0]
    assert first == {"registration_id": a1, "name": "甲孝星", "seat": "A区1排1座", "checked_in": False,
                     "companions": {"total": 2, "checked_in": 0}, "party_size": 1, "status": "confirmed"}

    # The first nominee arrives with one of her companions; the gate's token reads the programme too.
    staff = stack.session(admin.post(f"/events/{eid}/staff-tokens", json={"label": "舞台"}).json()["token"])
    check_in(staff, eid, a1)
    check_in(staff, eid, fam1)
    awards = staff.get(f"/events/{eid}/programme").json()["awards"]
    assert [n["registration_id"] for n in awards[0]["nominees"]] == [a2, a1]  # not yet arrived first
    arrived = awards[0]["nominees"][1]
    assert arrived["checked_in"] is True and arrived["companions"] == {"total": 2, "checked_in": 1}
    assert awards[0]["nominees"][0]["companions"] == {"total": 1, "checked_in": 0}
    assert awards[1]["nominees"][0]["registration_id"] == b1

    # A cancelled companion no longer counts; a cancelled nominee leaves the programme.
    assert admin.post(f"/events/{eid}/registrations/{fam2}/cancel").status_code == 200
    assert admin.post(f"/events/{eid}/registrations/{b1}/cancel").status_code == 200
    awards = admin.get(f"/events/{eid}/programme").json()["awards"]
    assert awards[0]["nominees"][1]["companions"] == {"total": 1, "checked_in": 1}
    assert awards[1]["nominees"] == []
    # An erased companion is gone from the count and keeps no link to the nominee.
    assert admin.delete(f"/events/{eid}/registrations/{fam3}").status_code == 204
    awards = admin.get(f"/events/{eid}/programme").json()["awards"]
    assert awards[0]["nominees"][0]["companions"] == {"total": 0, "checked_in": 0}


def test_programme_lists_nominees_without_an_award_last(admin, public, make_event):
    event = make_event(capacity=20)
    eid = event["event_id"]
    early = register(public, eid, role="nominee", name="早报名")
    assert admin.patch(f"/events/{eid}", json={"awards": AWARDS[:1]}).status_code == 200
    later = register(public, eid, role="nominee", award_id="xiaoxing", name="后报名")
    awards = admin.get(f"/events/{eid}/programme").json()["awards"]
    assert [(a["award_id"], [n["registration_id"] for n in a["nominees"]]) for a in awards] == [
        ("xiaoxing", [later]),
        (None, [early]),
    ]
    assert awards[1]["name"] == "未分配奖项" and awards[1]["slots"] is None
    assert patch(admin, eid, early, award_id="xiaoxing").status_code == 200
    awards = admin.get(f"/events/{eid}/programme").json()["awards"]
    assert [[n["registration_id"] for n in a["nominees"]] for a in awards] == [[early, later]]


def test_programme_access(stack, admin, make_event, ceremony):
    eid = ceremony["event_id"]
    assert stack.session().get(f"/events/{eid}/programme").status_code == 401
    other = make_event()["event_id"]
    foreign = stack.session(admin.post(f"/events/{other}/staff-tokens", json={}).json()["token"])
    assert foreign.get(f"/events/{eid}/programme").status_code == 403
    assert admin.get("/events/no-such-event/programme").status_code == 404
    assert admin.get(f"/events/{eid}/programme").json() == {
        "awards": [{**award, "nominees": []} for award in AWARDS]
    }


def test_ticket_and_checkin_reply_show_the_seat(admin, public, ceremony):
    eid = ceremony["event_id"]
    created = public.post(f"/events/{eid}/registrations", json=registration_body(role="guest")).json()
    rid, token = created["registration_id"], created["ticket_token"]
    assert public.get(f"/tickets/{token}").json()["seat"] is None
    assert patch(admin, eid, rid, seat="第3桌").status_code == 200
    assert public.get(f"/tickets/{token}").json()["seat"] == "第3桌"
    assert "第3桌" in public.get(f"/t/{token}").text
    verdict = admin.post(f"/events/{eid}/checkins", json={"code": created["ticket_url"]})
    assert verdict.status_code == 200 and verdict.json()["registration"]["seat"] == "第3桌"
    again = admin.post(f"/events/{eid}/checkins", json={"code": created["ticket_url"]})
    assert again.status_code == 409 and again.json()["registration"]["seat"] == "第3桌"
