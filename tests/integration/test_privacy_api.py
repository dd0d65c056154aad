"""PIPL: erasure on request, retention TTL, consent records, and logs free of personal data."""
from __future__ import annotations

import logging
from datetime import datetime

import pytest

from chalicelib.domain import clock
from chalicelib.storage import registrations as registration_store
from devtools.samples import registration_body
from tests.helpers import BASE_STATS


def test_erasing_a_confirmed_registration_frees_the_seat_and_keeps_counts(admin, public, make_event, db):
    event = make_event(kind="collector_exchange", capacity=1)
    eid = event["event_id"]
    body = registration_body("collector_exchange", name="赵六", phone="13512345678", city="北京",
                             organization="藏友会", note="带展柜", items=[{"name": "像章", "intent": "exhibit"}])
    first = public.post(f"/events/{eid}/registrations", json=body).json()
    waiting = public.post(f"/events/{eid}/registrations", json=registration_body("collector_exchange")).json()
    assert waiting["status"] == "waitlisted"

    response = admin.delete(f"/events/{eid}/registrations/{first['registration_id']}")
    assert response.status_code == 204 and response.text == ""
    stored = next(r for r in db.of_type(eid, "REG#") if r["registration_id"] == first["registration_id"])
    for field in ("name", "phone", "phone_guard", "city", "organization", "note", "items"):
        assert field not in stored, field
    assert stored["erased"] is True and stored["status"] == "cancelled"
    assert stored["registered_at"] and stored["consent_version"]  # the anonymous record stays
    assert "13512345678" not in str(db.partition(eid))
    assert public.get(f"/tickets/{first['ticket_token']}").status_code == 404
    assert public.get(f"/tickets/{waiting['ticket_token']}").json()["status"] == "confirmed"
    stats = admin.get(f"/events/{eid}/stats").json()
    assert {name: stats[name] for name in BASE_STATS} == {"confirmed": 1, "waitlisted": 0, "cancelled": 1, "checked_in": 0,
                     "seats_confirmed": 1, "seats_remaining": 0}
    assert admin.delete(f"/events/{eid}/registrations/{first['registration_id']}").status_code == 204
    rows = admin.get(f"/events/{eid}/attendees.csv").content.decode("utf-8-sig").splitlines()
    assert len(rows) == 3 and "赵六" not in "".join(rows)


def test_erasing_a_used_ticket_keeps_attendance(admin, public, make_event, db):
    event = make_event(capacity=2)
    eid = event["event_id"]
    reply = public.post(f"/events/{eid}/registrations", json=registration_body(phone="13612345678")).json()
    admin.post(f"/events/{eid}/checkins", json={"code": reply["ticket_token"]})
    assert admin.delete(f"/events/{eid}/registrations/{reply['registration_id']}").status_code == 204
    stats = admin.get(f"/events/{eid}/stats").json()
    assert stats["checked_in"] == 1 and stats["seats_confirmed"] == 1
    assert "13612345678" not in str(db.partition(eid))
    assert db.of_type(eid, "PHONE#") == []
    rescan = admin.post(f"/events/{eid}/checkins", json={"code": reply["ticket_token"]})
    assert (rescan.status_code, rescan.json()["result"]) == (404, "invalid")


def test_erasing_a_waitlisted_and_a_cancelled_registration(admin, public, make_event, db):
    event = make_event(capacity=1)
    eid = event["event_id"]
    public.post(f"/events/{eid}/registrations", json=registration_body())
    waiting = public.post(f"/events/{eid}/registrations", json=registration_body()).json()
    gone = public.post(f"/events/{eid}/registrations", json=registration_body()).json()
    public.post(f"/tickets/{gone['ticket_token']}/cancel")
    for reply in (waiting, gone):
        assert admin.delete(f"/events/{eid}/registrations/{reply['registration_id']}").status_code == 204
    stats = admin.get(f"/events/{eid}/stats").json()
    assert stats["waitlisted"] == 0 and stats["cancelled"] == 2 and stats["confirmed"] == 1
    assert db.of_type(eid, "WAIT#") == []
    assert all("phone" not in r for r in db.of_type(eid, "REG#") if r.get("erased"))


def test_erasure_errors(admin, stack, make_event):
    event = make_event()
    eid = event["event_id"]
    assert admin.delete(f"/events/{eid}/registrations/0123456789ABCDEF").status_code == 404
    assert admin.delete(f"/events/{eid}/registrations/not-an-id").status_code == 404
    assert admin.delete(f"/events/no-such-event/registrations/0123456789ABCDEF").status_code == 404
    assert stack.session().delete(f"/events/{eid}/registrations/0123456789ABCDEF").status_code == 401
    staff = stack.session(admin.post(f"/events/{eid}/staff-tokens").json()["token"])
    assert staff.delete(f"/events/{eid}/registrations/0123456789ABCDEF").status_code == 403


def test_registration_items_expire_retention_days_after_the_event(public, make_event, db):
    event = make_event(ends_at="2027-03-01T21:00:00+08:00", retention_days=30)
    eid = event["event_id"]
    public.post(f"/events/{eid}/registrations", json=registration_body())
    expected = int(datetime.fromisoformat("2027-03-31T21:00:00+08:00").timestamp())
    for item in db.partition(eid):
        if item["sk"] != "EVENT":
            assert item["expires_at"] == expected, item["sk"]
    registration = db.of_type(eid, "REG#")[0]
    assert registration["consent_version"] == "2026-11-01"
    assert clock.parse_iso(registration["consent_at"]).utcoffset().total_seconds() == 8 * 3600


def test_a_server_error_on_a_ticket_path_logs_no_token(public, make_event, monkeypatch, caplog):
    event = make_event()
    token = public.post(f"/events/{event['event_id']}/registrations", json=registration_body()).json()["ticket_token"]

    def broken(*args, **kwargs):
        raise RuntimeError("storage unavailable")

    monkeypatch.setattr(registration_store, "get_with_event", broken)
    with caplog.at_level(logging.INFO):
        response = public.get(f"/tickets/{token}")
    assert response.status_code == 500
    logged = caplog.text
    assert "Caught exception" in logged and "storage unavailable" in logged
    assert token not in logged and token.lower() not in logged


def test_erasure_reaches_the_idempotency_record_of_the_request(admin, public, make_event, db, stack):
    import hashlib
    import json

    import boto3

    event = make_event()
    eid = event["event_id"]
    body = registration_body()
    first = public.post(f"/events/{eid}/registrations", json=body, headers={"Idempotency-Key": "erase-me-1"})
    assert first.status_code == 201
    client = boto3.client("dynamodb", endpoint_url=stack.dynamodb_endpoint, region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
    records = [item for item in db.scan_prefix("IDEM#")
               if first.json()["registration_id"] in (item.get("response_body") or "")]
    assert len(records) == 1
    fingerprint = records[0]["body_hash"]
    plain = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                      ensure_ascii=False).encode()).hexdigest()
    assert fingerprint != plain and ":" in fingerprint  # a keyed MAC, not a bare hash of name and phone
    assert admin.delete(f"/events/{eid}/registrations/{first.json()['registration_id']}").status_code == 204
    key = {"pk": {"S": records[0]["pk"]}, "sk": {"S": records[0]["sk"]}}
    assert client.get_item(TableName=stack.table_name, Key=key, ConsistentRead=True).get("Item") is None
    again = public.post(f"/events/{eid}/registrations", json=body, headers={"Idempotency-Key": "erase-me-1"})
    assert again.status_code == 201 and again.json()["registration_id"] != first.json()["registration_id"]
    assert public.get(f"/tickets/{again.json()['ticket_token']}").status_code == 200
