"""Check-in at the gate, staff tokens and stats, over HTTP against the embedded server."""
from __future__ import annotations

import random
import string
from collections import Counter

import pytest

from chalicelib.domain import tokens
from devtools.samples import registration_body
from tests.helpers import BASE_STATS, run_concurrently


@pytest.fixture
def ticketed(public, make_event):
    """An event with one confirmed ticket."""
    event = make_event(capacity=5, max_party_size=3)
    reply = public.post(f"/events/{event['event_id']}/registrations",
                        json=registration_body(name="王五", party_size=3, role="nominee")).json()
    return event, reply


def checkin(session, event_id, code, gate=None, nonce=None):
    body = {"code": code, **({"gate": gate} if gate else {})}
    return session.post(f"/events/{event_id}/checkins", json=body,
                        headers={"Idempotency-Key": nonce} if nonce else {})


def test_first_scan_ok_then_already_checked_in_with_time_and_gate(admin, public, ticketed, db):
    event, reply = ticketed
    eid = event["event_id"]
    first = checkin(admin, eid, reply["ticket_url"], gate="东门")
    assert first.status_code == 200, first.text
    ok = first.json()
    assert ok["result"] == "ok"
    assert ok["registration"] == {"registration_id": reply["registration_id"], "name": "王五",
                                  "role": "nominee", "party_size": 3, "seat": None}
    assert ok["checked_in_at"].endswith("+08:00")

    again = checkin(admin, eid, reply["ticket_token"], gate="西门")
    assert again.status_code == 409
    body = again.json()
    assert body["result"] == "already_checked_in"
    assert body["checked_in_at"] == ok["checked_in_at"]
    assert body["gate"] == "东门"
    assert body["registration"]["name"] == "王五"
    assert db.event(eid)["checked_in_count"] == 1
    ticket = public.get(f"/tickets/{reply['ticket_token']}").json()
    assert ticket["checked_in_at"] == ok["checked_in_at"]
    refused = public.post(f"/tickets/{reply['ticket_token']}/cancel")
    assert refused.status_code == 409 and refused.json()["error"] == "already_checked_in"


def test_a_retried_scan_with_its_nonce_is_ok_again(admin, ticketed, db):
    event, reply = ticketed
    eid = event["event_id"]
    first = checkin(admin, eid, reply["ticket_token"], nonce="scan-1")
    retry = checkin(admin, eid, reply["ticket_token"], nonce="scan-1")
    other = checkin(admin, eid, reply["ticket_token"], nonce="scan-2")
    assert (first.status_code, retry.status_code, other.status_code) == (200, 200, 409)
    assert retry.json()["checked_in_at"] == first.json()["checked_in_at"]
    assert db.event(eid)["checked_in_count"] == 1


@pytest.mark.parametrize("wrap", [
    lambda r: r["ticket_url"],
    lambda r: r["ticket_token"],
    lambda r: r["ticket_token"].lower(),
    lambda r: "  " + r["ticket_url"] + "\n",
    lambda r: "https://baoming.example.cn/prod/t/" + r["ticket_token"],
])
def test_codes_scanners_produce_are_understood(admin, ticketed, wrap):
    event, reply = ticketed
    assert checkin(admin, event["event_id"], wrap(reply)).json()["result"] == "ok"


def test_wrong_event_cancelled_waitlisted_and_invalid(admin, public, make_event, ticketed):
    event, reply = ticketed
    other = make_event(capacity=1)
    wrong = checkin(admin, other["event_id"], reply["ticket_token"])
    assert (wrong.status_code, wrong.json()["result"]) == (409, "wrong_event")

    small = make_event(capacity=1)
    sid = small["event_id"]
    keep = public.post(f"/events/{sid}/registrations", json=registration_body()).json()
    waiting = public.post(f"/events/{sid}/registrations", json=registration_body()).json()
    assert waiting["status"] == "waitlisted"
    gone = public.post(f"/events/{sid}/registrations", json=registration_body()).json()
    public.post(f"/tickets/{gone['ticket_token']}/cancel")
    assert checkin(admin, sid, waiting["ticket_token"]).json()["result"] == "waitlisted"
    cancelled = checkin(admin, sid, gone["ticket_token"])
    assert (cancelled.status_code, cancelled.json()["result"]) == (409, "cancelled")
    for garbage in ("hello", "http://example.com/", keep["ticket_token"][:-2]):
        invalid = checkin(admin, sid, garbage)
        assert (invalid.status_code, invalid.json()["result"]) == (404, "invalid")
    assert public.get(f"/events/{sid}").json()["counts"]["checked_in"] == 0


def test_bad_checkin_bodies_are_422(admin, ticketed):
    event, _ = ticketed
    for body in ({}, {"code": ""}, {"code": 5}, {"code": "x" * 600}, {"code": "x", "extra": 1},
                 {"code": "x", "gate": "门" * 31}):
        response = admin.post(f"/events/{event['event_id']}/checkins", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"] == "validation_error"


def test_20_gates_scanning_one_ticket_at_once_give_exactly_one_ok(stack, ticketed, db):
    event, reply = ticketed
    eid = event["event_id"]
    jobs = [lambda s, i=i: checkin(stack.admin(), eid, reply["ticket_url"], gate=f"{i}号口") for i in range(20)]
    responses = run_concurrently(stack, jobs, threads=20)
    assert Counter(r.json()["result"] for r in responses) == {"ok": 1, "already_checked_in": 19}
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert {r.json()["gate"] for r in responses if r.status_code == 409} == {winner["gate"]}
    assert db.event(eid)["checked_in_count"] == 1


def _tampered(token: str, other_event_token: str, rng: random.Random) -> list[str]:
    alphabet = string.ascii_uppercase + "234567"
    variants = []
    for index, char in enumerate(token):  # every character changed
        pool = [c for c in alphabet + "-." if c != char]
        variants.append(token[:index] + rng.choice(pool) + token[index + 1:])
    variants += [token[:n] for n in range(1, len(token))]  # truncated
    variants += [token + rng.choice(alphabet) * n for n in range(1, 40)]  # extended
    variants += [other_event_token.split(".")[0] + "." + token.split(".")[1]]  # another event's id
    return variants


def test_1000_tampered_tokens_are_all_refused(admin, public, make_event, ticketed):
    event, reply = ticketed
    eid = event["event_id"]
    token = reply["ticket_token"]
    other = make_event()
    other_token = public.post(f"/events/{other['event_id']}/registrations", json=registration_body()).json()["ticket_token"]
    rng = random.Random(11)
    forged = set(_tampered(token, other_token, rng))
    # Same ids signed with keys the server doesn't hold (same key id, and an unknown key id).
    real_ring = tokens.keyring
    try:
        for kid in ("A", "B", "C", "Z"):
            ring = tokens.KeyRing.parse(f"{kid}:" + "f" * 40)
            tokens.keyring = lambda ring=ring: ring
            rid = token.split(".")[1][1:17]
            forged.add(tokens.mint_ticket(eid, rid))
            forged.add(tokens.mint_ticket(eid, tokens.new_registration_id()))
    finally:
        tokens.keyring = real_ring
    while len(forged) < 1000:
        forged.add(eid.upper() + "." + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(49)))
    forged.discard(token)
    forged.discard(token.lower())
    assert len(forged) >= 1000
    results = Counter()
    for code in forged:
        response = checkin(admin, eid, code)
        results[response.json().get("result", response.json().get("error"))] += 1
    assert results["ok"] == 0 and results["already_checked_in"] == 0
    assert set(results) <= {"invalid", "wrong_event", "validation_error"}
    assert checkin(admin, eid, token).json()["result"] == "ok"


def test_stats_count_registrations_and_seats(admin, public, make_event):
    event = make_event(capacity=4, max_party_size=2)
    eid = event["event_id"]
    a = public.post(f"/events/{eid}/registrations", json=registration_body(party_size=2)).json()
    b = public.post(f"/events/{eid}/registrations", json=registration_body(party_size=1)).json()
    public.post(f"/events/{eid}/registrations", json=registration_body(party_size=2)).json()  # waitlisted
    c = public.post(f"/events/{eid}/registrations", json=registration_body(party_size=1)).json()
    public.post(f"/tickets/{c['ticket_token']}/cancel")
    checkin(admin, eid, a["ticket_token"])
    stats = admin.get(f"/events/{eid}/stats")
    assert stats.status_code == 200
    counts = {name: stats.json()[name] for name in BASE_STATS}
    assert counts == {"confirmed": 2, "waitlisted": 1, "cancelled": 1, "checked_in": 1,
                      "seats_confirmed": 3, "seats_remaining": 1}
    assert b["status"] == "confirmed"


def test_staff_and_admin_auth_matrix(stack, admin, make_event, ticketed):
    event, reply = ticketed
    eid = event["event_id"]
    other = make_event()
    minted = admin.post(f"/events/{eid}/staff-tokens")
    assert minted.status_code == 201
    staff_token = minted.json()["token"]
    assert minted.json()["scanner_url"] == f"{stack.base_url}/scan/{eid}#token={staff_token}"
    staff = stack.session(staff_token)
    nobody = stack.session()
    forged = stack.session("st_" + "x" * 43)
    wrong = stack.session("not-a-token")

    def call(session, method, path, **kwargs):
        return session.request(method, path, **kwargs).status_code

    checkin_body = {"json": {"code": "nonsense"}}
    # Staff: its own event's check-ins and stats only.
    assert call(staff, "POST", f"/events/{eid}/checkins", **checkin_body) == 404  # allowed, code invalid
    assert call(staff, "GET", f"/events/{eid}/stats") == 200
    for method, path in [("POST", f"/events/{other['event_id']}/checkins"), ("GET", f"/events/{other['event_id']}/stats"),
                         ("POST", "/events"), ("GET", "/events"), ("PATCH", f"/events/{eid}"),
                         ("POST", f"/events/{eid}/staff-tokens")]:
        response = staff.request(method, path, json={"code": "x"})
        assert response.status_code == 403, (method, path)
        assert response.json()["error"] == "forbidden"
    # No, forged or unknown tokens: 401 everywhere protected.
    for session in (nobody, forged, wrong):
        for method, path in [("POST", f"/events/{eid}/checkins"), ("GET", f"/events/{eid}/stats"),
                             ("POST", f"/events/{eid}/staff-tokens"), ("GET", "/events")]:
            response = session.request(method, path, json={"code": "x"})
            assert response.status_code == 401, (method, path)
            assert response.json()["error"] == "unauthorized"
    # Admin: everywhere.
    assert call(admin, "GET", f"/events/{other['event_id']}/stats") == 200
    assert call(admin, "POST", f"/events/{other['event_id']}/checkins", **checkin_body) == 404
    # Staff check-in works for real.
    assert checkin(staff, eid, reply["ticket_token"]).json()["result"] == "ok"
    # Staff tokens of unknown events are refused.
    assert call(admin, "POST", "/events/no-such-event/staff-tokens") == 404


def test_only_a_hash_of_the_staff_token_is_stored(admin, ticketed, db):
    event, _ = ticketed
    token = admin.post(f"/events/{event['event_id']}/staff-tokens").json()["token"]
    scan = db.client.scan(TableName=db.table)["Items"]
    assert token not in str(scan)
