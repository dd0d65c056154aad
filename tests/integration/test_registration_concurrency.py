"""Concurrency is part of correctness: seats, duplicates, retries and cancellations under load."""
from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from devtools.samples import registration_body
from tests.helpers import run_concurrently


def test_300_concurrent_registrations_never_overbook(stack, make_event, db, public):
    capacity = 50
    event = make_event(capacity=capacity, max_party_size=3)
    eid = event["event_id"]
    rng = random.Random(7)
    parties = [rng.randint(1, 3) for _ in range(300)]
    jobs = [lambda s, p=p: s.post(f"/events/{eid}/registrations", json=registration_body(party_size=p))
            for p in parties]
    responses = run_concurrently(stack, jobs)
    assert Counter(r.status_code for r in responses) == {201: 300}, [r.text for r in responses if r.status_code != 201][:3]

    registrations = db.of_type(eid, "REG#")
    confirmed = [r for r in registrations if r["status"] == "confirmed"]
    waitlisted = sorted((r for r in registrations if r["status"] == "waitlisted"), key=lambda r: r["waitlist_position"])
    stored = db.event(eid)
    seats = sum(r["party_size"] for r in confirmed)

    assert len(registrations) == 300
    assert seats <= capacity
    assert stored["seats_confirmed"] == seats
    assert stored["confirmed_count"] == len(confirmed)
    assert stored["waitlisted_count"] == len(waitlisted)
    # Every party still waiting is one that does not fit the seats left: nothing that fits waits.
    assert all(r["party_size"] > capacity - seats for r in waitlisted)
    assert seats >= capacity - 2
    # Waitlist order: positions unique, entries mirror them, in registration order.
    positions = [r["waitlist_position"] for r in waitlisted]
    assert len(set(positions)) == len(positions)
    entries = db.of_type(eid, "WAIT#")
    assert [e["registration_id"] for e in entries] == [r["registration_id"] for r in waitlisted]
    reply_status = Counter(r.json()["status"] for r in responses)
    assert reply_status["waitlisted"] >= len(waitlisted)
    counts = public.get(f"/events/{eid}").json()["counts"]
    assert counts["seats_confirmed"] == seats and counts["waitlisted"] == len(waitlisted)


def test_20_concurrent_registrations_with_one_phone_give_exactly_one(stack, make_event, db):
    event = make_event(capacity=100)
    eid = event["event_id"]
    jobs = [lambda s, i=i: s.post(f"/events/{eid}/registrations",
                                  json=registration_body(phone="13700000001", name=f"重复{'甲乙丙丁戊己庚辛壬癸'[i % 10]}"))
            for i in range(20)]
    responses = run_concurrently(stack, jobs, threads=20)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 19}
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {"already_registered"}
    assert len(db.of_type(eid, "REG#")) == 1
    assert db.event(eid)["seats_confirmed"] == 1


def test_20_concurrent_retries_with_one_idempotency_key(stack, make_event, db):
    event = make_event(capacity=100)
    eid = event["event_id"]
    body = registration_body()
    jobs = [lambda s: s.post(f"/events/{eid}/registrations", json=body, headers={"Idempotency-Key": "tap-tap-tap"})
            for _ in range(20)]
    responses = run_concurrently(stack, jobs, threads=20)
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert len(db.of_type(eid, "REG#")) == 1
    assert db.event(eid)["seats_confirmed"] == 1


def test_concurrent_cancellations_with_a_waitlist_lose_no_seat(stack, make_event, db, public):
    event = make_event(capacity=10, max_party_size=2)
    eid = event["event_id"]
    confirmed = [public.post(f"/events/{eid}/registrations", json=registration_body()).json() for _ in range(10)]
    waiting = [public.post(f"/events/{eid}/registrations", json=registration_body(party_size=1 + i % 2)).json()
               for i in range(15)]
    assert {r["status"] for r in confirmed} == {"confirmed"}
    assert {r["status"] for r in waiting} == {"waitlisted"}
    # Cancel 6 confirmed tickets, each twice at once, plus 3 waitlisted ones, all concurrently.
    targets = [r["ticket_token"] for r in confirmed[:6]] * 2 + [r["ticket_token"] for r in waiting[-3:]]
    random.Random(3).shuffle(targets)
    jobs = [lambda s, t=t: s.post(f"/tickets/{t}/cancel") for t in targets]
    responses = run_concurrently(stack, jobs, threads=len(targets))
    assert {r.status_code for r in responses} == {200}

    registrations = {r["registration_id"]: r for r in db.of_type(eid, "REG#")}
    stored = db.event(eid)
    confirmed_now = [r for r in registrations.values() if r["status"] == "confirmed"]
    waiting_now = [r for r in registrations.values() if r["status"] == "waitlisted"]
    seats = sum(r["party_size"] for r in confirmed_now)
    assert stored["seats_confirmed"] == seats <= 10
    assert stored["confirmed_count"] == len(confirmed_now)
    assert stored["waitlisted_count"] == len(waiting_now) == len(db.of_type(eid, "WAIT#"))
    assert stored["cancelled_count"] == 9
    assert all(r["party_size"] > 10 - seats for r in waiting_now)
    # Promotions went in waitlist order: no waiting party is older than a promoted one of its size or smaller.
    promoted = [registrations[r["registration_id"]] for r in waiting[:-3]
                if registrations[r["registration_id"]]["status"] == "confirmed"]
    still = [registrations[r["registration_id"]] for r in waiting[:-3]
             if registrations[r["registration_id"]]["status"] == "waitlisted"]
    assert promoted, "freed seats must go to the waitlist"
    for waiter in still:
        later_promoted = [p for p in promoted if p["registered_at"] > waiter["registered_at"]]
        assert all(p["party_size"] < waiter["party_size"] for p in later_promoted)
