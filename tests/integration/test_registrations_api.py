"""Registrations, tickets and cancellation over HTTP against the embedded DynamoDB server."""
from __future__ import annotations

import json

import pytest

from devtools.samples import registration_body, unique_phone


def register(session, event_id, body, **headers):
    return session.post(f"/events/{event_id}/registrations", json=body, headers=headers)


def test_register_get_ticket_and_cancel(public, make_event, stack, db):
    event = make_event(capacity=5, max_party_size=2)
    body = registration_body(name="欧阳娜娜", phone="+86 138-1234-5678", party_size=2,
                             city="杭州", organization="某某传媒", note="需要轮椅通道")
    created = register(public, event["event_id"], body)
    assert created.status_code == 201, created.text
    reply = created.json()
    token = reply["ticket_token"]
    assert reply["status"] == "confirmed"
    assert reply["ticket_url"] == f"{stack.base_url}/t/{token}"
    assert reply["qr_png_url"] == f"{stack.base_url}/tickets/{token}/qr.png"
    assert reply["qr_svg_url"] == f"{stack.base_url}/tickets/{token}/qr.svg"
    assert token.isupper() or not any(c.islower() for c in token)

    ticket = public.get(f"/tickets/{token}")
    assert ticket.status_code == 200
    assert ticket.headers["Cache-Control"] == "no-store"
    assert ticket.json() == {
        "registration_id": reply["registration_id"],
        "event": {k: event[k] for k in ("event_id", "title", "venue", "starts_at")},
        "name": "欧阳娜娜", "phone_masked": "138****5678", "role": "guest",
        "party_size": 2, "status": "confirmed", "checked_in_at": None, "seat": None, "items": [],
        "answers": [],
    }
    assert "13812345678" not in ticket.text

    stored = db.of_type(event["event_id"], "REG#")[0]
    assert stored["phone"] == "13812345678"
    assert stored["consent_version"] and stored["consent_at"]
    assert stored["expires_at"] > 0
    assert not any("13812345678" in item["sk"] for item in db.partition(event["event_id"]))
    assert public.get(f"/events/{event['event_id']}").json()["counts"]["seats_confirmed"] == 2

    for _ in range(2):  # idempotent
        cancelled = public.post(f"/tickets/{token}/cancel")
        assert cancelled.status_code == 200
        assert cancelled.json() == {"status": "cancelled"}
    assert public.get(f"/tickets/{token}").json()["status"] == "cancelled"
    counts = public.get(f"/events/{event['event_id']}").json()["counts"]
    assert counts["seats_confirmed"] == 0
    # The phone is free again once its registration is cancelled.
    again = register(public, event["event_id"], {**body, "phone": "13812345678"})
    assert again.status_code == 201


def test_ticket_token_is_case_insensitive_and_forgeries_are_404(public, make_event):
    event = make_event()
    token = register(public, event["event_id"], registration_body()).json()["ticket_token"]
    assert public.get(f"/tickets/{token.lower()}").status_code == 200
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), token + "A", token[:-3], "NOPE",
                   token.replace(event["event_id"].upper(), "OTHER-EVENT")):
        response = public.get(f"/tickets/{forged}")
        assert response.status_code == 404, forged
        assert response.json()["error"] == "ticket_not_found"
        assert public.post(f"/tickets/{forged}/cancel").status_code == 404


def test_same_phone_twice_is_refused_without_revealing_the_ticket(public, make_event):
    event = make_event()
    first = register(public, event["event_id"], registration_body(phone="13900001111"))
    assert first.status_code == 201
    second = register(public, event["event_id"], registration_body(phone="0086 139 0000 1111", name="李四"))
    assert second.status_code == 409
    assert second.json()["error"] == "already_registered"
    assert first.json()["ticket_token"] not in second.text


def test_waitlist_keeps_order_and_promotes_what_fits(public, make_event, db):
    event = make_event(capacity=4, max_party_size=3)
    eid = event["event_id"]
    confirmed = [register(public, eid, registration_body(party_size=2)).json() for _ in range(2)]
    assert [r["status"] for r in confirmed] == ["confirmed", "confirmed"]
    big = register(public, eid, registration_body(party_size=3)).json()
    small = register(public, eid, registration_body(party_size=1)).json()
    later = register(public, eid, registration_body(party_size=1)).json()
    assert [big["status"], small["status"], later["status"]] == ["waitlisted"] * 3
    positions = {r["registration_id"]: r["waitlist_position"] for r in db.of_type(eid, "REG#")
                 if r["status"] == "waitlisted"}
    assert positions[big["registration_id"]] < positions[small["registration_id"]] < positions[later["registration_id"]]

    # Two seats free: the party of 3 doesn't fit, so the two singles behind it move up, in order.
    assert public.post(f"/tickets/{confirmed[0]['ticket_token']}/cancel").status_code == 200
    statuses = {t: public.get(f"/tickets/{r['ticket_token']}").json()["status"]
                for t, r in (("big", big), ("small", small), ("later", later))}
    assert statuses == {"big": "waitlisted", "small": "confirmed", "later": "confirmed"}
    counts = public.get(f"/events/{eid}").json()["counts"]
    assert counts == {"seats_confirmed": 4, "seats_remaining": 0, "waitlisted": 1, "checked_in": 0}

    # Freeing 2 more plus the 0 left: 2 free < 3, still waiting; free 2 more → fits.
    assert public.post(f"/tickets/{confirmed[1]['ticket_token']}/cancel").status_code == 200
    assert public.get(f"/tickets/{big['ticket_token']}").json()["status"] == "waitlisted"
    assert public.post(f"/tickets/{small['ticket_token']}/cancel").status_code == 200
    assert public.get(f"/tickets/{big['ticket_token']}").json()["status"] == "confirmed"
    assert [e["sk"] for e in db.of_type(eid, "WAIT#")] == []


def test_a_newcomer_does_not_jump_the_waitlist(public, make_event):
    event = make_event(capacity=2, max_party_size=2)
    eid = event["event_id"]
    first = register(public, eid, registration_body(party_size=1)).json()
    waiting = register(public, eid, registration_body(party_size=2)).json()
    assert waiting["status"] == "waitlisted"
    # One seat is free, a party of 2 waits; a newcomer of 1 takes the seat only via the waitlist pass.
    newcomer = register(public, eid, registration_body(party_size=1)).json()
    assert newcomer["status"] == "confirmed"
    assert public.post(f"/tickets/{first['ticket_token']}/cancel").status_code == 200
    assert public.get(f"/tickets/{waiting['ticket_token']}").json()["status"] == "waitlisted"
    assert public.post(f"/tickets/{newcomer['ticket_token']}/cancel").status_code == 200
    assert public.get(f"/tickets/{waiting['ticket_token']}").json()["status"] == "confirmed"


def test_full_without_waitlist(public, make_event, db):
    event = make_event(capacity=1, waitlist=False)
    assert register(public, event["event_id"], registration_body()).status_code == 201
    full = register(public, event["event_id"], registration_body())
    assert full.status_code == 409
    assert full.json()["error"] == "event_full"
    assert len(db.of_type(event["event_id"], "REG#")) == 1
    assert len(db.of_type(event["event_id"], "PHONE#")) == 1


@pytest.mark.parametrize("window", [
    {"registration_opens_at": "2099-01-01T00:00:00+08:00", "starts_at": "2099-02-01T19:00:00+08:00",
     "ends_at": "2099-02-01T21:00:00+08:00"},
    {"registration_closes_at": "2020-01-01T00:00:00+08:00", "starts_at": "2020-02-01T19:00:00+08:00",
     "ends_at": "2020-02-01T21:00:00+08:00"},
    {"starts_at": "2020-02-01T19:00:00+08:00", "ends_at": "2020-02-01T21:00:00+08:00"},
])
def test_registration_window(public, make_event, window):
    event = make_event(**window)
    response = register(public, event["event_id"], registration_body())
    assert response.status_code == 409
    assert response.json()["error"] == "registration_closed"


def test_unknown_event(public):
    response = register(public, "no-such-event", registration_body())
    assert response.status_code == 404
    assert response.json()["error"] == "event_not_found"


def test_collector_items_are_stored(public, make_event, db):
    event = make_event(kind="collector_exchange")
    items = [{"name": "毛主席像章", "category": "像章", "era": "1960年代", "intent": "exhibit"},
             {"name": "老报纸", "intent": "donate"}]
    response = register(public, event["event_id"], registration_body("collector_exchange", items=items))
    assert response.status_code == 201, response.text
    # Each declared item gets a per-event id (SPEC §8).
    assert db.of_type(event["event_id"], "REG#")[0]["items"] == [
        {**item, "item_id": f"C-000{number}"} for number, item in enumerate(items, start=1)]


GOOD_NAMES = [
    ("买买提·艾力", "买买提·艾力"),
    ("买买提•艾力", "买买提·艾力"),
    ("买买提・艾力", "买买提·艾力"),
    ("买买提‧艾力", "买买提·艾力"),
    ("买买提．艾力", "买买提·艾力"),
    ("䶮", "䶮"),
    ("𠮷野家", "𠮷野家"),
    ("欧阳娜娜", "欧阳娜娜"),
    ("Anne-Marie O'Neil", "Anne-Marie O'Neil"),
    ("  王　小明  ", "王 小明"),
    ("ＡＢＣ", "ABC"),
]


@pytest.mark.parametrize("raw, stored", GOOD_NAMES)
def test_good_names_are_accepted_and_normalised(public, make_event, db, raw, stored):
    event = make_event()
    response = register(public, event["event_id"], registration_body(name=raw))
    assert response.status_code == 201, response.text
    assert db.of_type(event["event_id"], "REG#")[0]["name"] == stored


GOOD_PHONES = ["13812345678", "+8613812345678", "008613812345678", "8613812345678",
               "138 1234 5678", "138-1234-5678", "１３８１２３４５６７８", "+86 138-1234-5678"]


@pytest.mark.parametrize("raw", GOOD_PHONES)
def test_good_phones_are_normalised(public, make_event, db, raw):
    event = make_event()
    assert register(public, event["event_id"], registration_body(phone=raw)).status_code == 201
    assert db.of_type(event["event_id"], "REG#")[0]["phone"] == "13812345678"


AWARD, COLLECTOR = "award_ceremony", "collector_exchange"
BAD_INPUTS = [
    (AWARD, {"name": ""}, "name"),
    (AWARD, {"name": "   "}, "name"),
    (AWARD, {"name": "张" * 51}, "name"),
    (AWARD, {"name": "张三\n"}, "name"),
    (AWARD, {"name": "张\x00三"}, "name"),
    (AWARD, {"name": "=HYPERLINK(\"x\")"}, "name"),
    (AWARD, {"name": "12345"}, "name"),
    (AWARD, {"name": 42}, "name"),
    (AWARD, {"name": None}, "name"),
    (AWARD, {"phone": "1381234567"}, "phone"),
    (AWARD, {"phone": "138123456789"}, "phone"),
    (AWARD, {"phone": "12812345678"}, "phone"),
    (AWARD, {"phone": "1381234567८"}, "phone"),
    (AWARD, {"phone": "13812345678\n"}, "phone"),
    (AWARD, {"phone": "+1 415 555 0100"}, "phone"),
    (AWARD, {"phone": "138.1234.5678"}, "phone"),
    (AWARD, {"phone": 13812345678}, "phone"),
    (AWARD, {"phone": "abc"}, "phone"),
    (AWARD, {"role": "collector"}, "role"),
    (AWARD, {"role": "king"}, "role"),
    (AWARD, {"role": None}, "role"),
    (AWARD, {"party_size": 0}, "party_size"),
    (AWARD, {"party_size": 3}, "party_size"),
    (AWARD, {"party_size": "2"}, "party_size"),
    (AWARD, {"party_size": 1.5}, "party_size"),
    (AWARD, {"consent": False}, "consent"),
    (AWARD, {"consent": "true"}, "consent"),
    (AWARD, {"consent": None}, "consent"),
    (AWARD, {"items": [{"name": "像章", "intent": "exhibit"}]}, "items"),
    (AWARD, {"city": "城" * 61}, "city"),
    (AWARD, {"organization": "单" * 61}, "organization"),
    (AWARD, {"note": "备" * 201}, "note"),
    (AWARD, {"nickname": "小张"}, "nickname"),
    (COLLECTOR, {"role": "nominee"}, "role"),
    (COLLECTOR, {"items": [{"name": "像章"}]}, "items.0.intent"),
    (COLLECTOR, {"items": [{"name": "", "intent": "exhibit"}]}, "items.0.name"),
    (COLLECTOR, {"items": [{"name": "像章", "intent": "sell"}]}, "items.0.intent"),
    (COLLECTOR, {"items": [{"name": "像章", "intent": "exhibit", "price": 5}]}, "items.0.price"),
    (COLLECTOR, {"items": [{"name": "像章", "intent": "exhibit"}] * 21}, "items"),
    (COLLECTOR, {"items": "像章"}, "items"),
]


@pytest.mark.parametrize("kind, changes, field", BAD_INPUTS)
def test_bad_inputs_are_422_on_the_right_field_and_write_nothing(public, make_event, db, kind, changes, field):
    event = make_event(kind=kind, max_party_size=2)
    body = registration_body(kind)
    body.update(changes)
    if changes.get("consent", True) is None or any(v is None for v in changes.values()):
        body = {k: v for k, v in body.items() if v is not None}
    response = register(public, event["event_id"], body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == "validation_error"
    assert field in error["fields"], error["fields"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(error["fields"][field]))
    assert [item["sk"] for item in db.partition(event["event_id"])] == ["EVENT"]


@pytest.mark.parametrize("raw", [b"{oops", b"", json.dumps([1, 2]).encode(), b'"just a string"'])
def test_malformed_bodies_are_4xx(public, make_event, db, raw):
    event = make_event()
    response = public.post(f"/events/{event['event_id']}/registrations", data=raw,
                           headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.json()["error"] in ("invalid_json", "validation_error")
    assert [item["sk"] for item in db.partition(event["event_id"])] == ["EVENT"]


def test_idempotency_key_replays_and_refuses_reuse(public, make_event, db):
    event = make_event()
    body = registration_body()
    first = register(public, event["event_id"], body, **{"Idempotency-Key": "form-123"})
    again = register(public, event["event_id"], body, **{"Idempotency-Key": "form-123"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    reused = register(public, event["event_id"], {**body, "name": "李四"}, **{"Idempotency-Key": "form-123"})
    assert reused.status_code == 422
    assert reused.json()["error"] == "idempotency_key_reused"
    assert len(db.of_type(event["event_id"], "REG#")) == 1
    bad_key = register(public, event["event_id"], registration_body(), **{"Idempotency-Key": "x" * 300})
    assert bad_key.status_code == 422 and "Idempotency-Key" in bad_key.json()["fields"]


def test_idempotency_replays_a_refusal_too(public, make_event):
    event = make_event(capacity=1, waitlist=False)
    register(public, event["event_id"], registration_body())
    body = registration_body()
    first = register(public, event["event_id"], body, **{"Idempotency-Key": "k-full"})
    assert first.status_code == 409
    again = register(public, event["event_id"], body, **{"Idempotency-Key": "k-full"})
    assert (again.status_code, again.json()) == (409, first.json())


def test_idempotency_records_never_hold_the_ticket_token(public, make_event, db):
    event = make_event()
    first = register(public, event["event_id"], registration_body(), **{"Idempotency-Key": "no-token-at-rest"})
    token = first.json()["ticket_token"]
    records = db.scan_prefix("IDEM#")
    assert records and all(token not in str(record) and token.lower() not in str(record) for record in records)


def test_raising_capacity_promotes_the_waitlist(admin, public, make_event):
    event = make_event(capacity=1, max_party_size=2)
    eid = event["event_id"]
    register(public, eid, registration_body())
    waiting = [register(public, eid, registration_body(party_size=size)).json() for size in (2, 1, 2)]
    assert [w["status"] for w in waiting] == ["waitlisted"] * 3
    response = admin.patch(f"/events/{eid}", json={"capacity": 4})
    assert response.status_code == 200
    assert response.json()["counts"] == {"seats_confirmed": 4, "seats_remaining": 0, "waitlisted": 1, "checked_in": 0}
    statuses = [public.get(f"/tickets/{w['ticket_token']}").json()["status"] for w in waiting]
    assert statuses == ["confirmed", "confirmed", "waitlisted"]


def test_a_retry_after_a_lost_reply_gets_the_ticket_it_made(public, make_event, db):
    """The first attempt wrote the registration but its idempotency record was lost (a failure
    after the write): the retry with the same key and body gets that registration's ticket, not
    `already_registered`; a different key for the same phone still gets `already_registered`."""
    event = make_event()
    body = registration_body()
    first = register(public, event["event_id"], body, **{"Idempotency-Key": "lost-reply-1"})
    assert first.status_code == 201
    record = next(item for item in db.scan_prefix("IDEM#")
                  if first.json()["registration_id"] in (item.get("response_body") or ""))
    db.client.delete_item(TableName=db.table, Key={"pk": {"S": record["pk"]}, "sk": {"S": record["sk"]}})
    retry = register(public, event["event_id"], body, **{"Idempotency-Key": "lost-reply-1"})
    assert retry.status_code == 201 and retry.json() == first.json()
    other = register(public, event["event_id"], body, **{"Idempotency-Key": "lost-reply-2"})
    assert other.status_code == 409 and other.json()["error"] == "already_registered"
    assert "ticket_token" not in other.text and first.json()["registration_id"] not in other.text
