"""Seats over HTTP (SPEC §9): PATCH …/registrations/{id} {seat}; two live registrations of an
event never hold the same seat, whatever the concurrency; a seat is freed by a move, a clear,
a cancellation and an erasure; the seat shows in the list and the exports."""
from __future__ import annotations

import csv
import io
import threading

import pytest

from devtools.samples import registration_body
from tests.helpers import run_concurrently


def register(public, eid, **fields):
    response = public.post(f"/events/{eid}/registrations", json=registration_body(**fields))
    assert response.status_code == 201, response.text
    return response.json()["registration_id"]


def seat(admin, eid, rid, value):
    return admin.patch(f"/events/{eid}/registrations/{rid}", json={"seat": value})


def locks(db, eid):
    return {item["sk"]: (item["registration_id"], item["seat"]) for item in db.of_type(eid, "SEAT#")}


def seats_of(admin, eid):
    return {row["registration_id"]: row["seat"] for row in admin.get(f"/events/{eid}/registrations").json()["items"]}


@pytest.fixture
def event_id(make_event):
    return make_event(capacity=50)["event_id"]


def test_a_seat_is_held_by_one_live_registration(admin, public, event_id, db):
    a, b = register(public, event_id), register(public, event_id)
    response = seat(admin, event_id, a, " A区3排5座 ")
    assert response.status_code == 200, response.text
    assert response.json()["seat"] == "A区3排5座"
    # The same seat typed differently (full-width letter, spaces, case) is the same seat.
    for typed in ("A区3排5座", "Ａ区3排5座", "a区 3排 5座"):
        taken = seat(admin, event_id, b, typed)
        assert taken.status_code == 409, taken.text
        assert taken.json()["error"] == "seat_taken" and taken.json()["held_by"] == a
    assert seats_of(admin, event_id) == {a: "A区3排5座", b: None}
    assert locks(db, event_id) == {"SEAT#a区3排5座": (a, "A区3排5座")}
    # Setting the same seat again is fine (nothing changes), and so is retyping it.
    assert seat(admin, event_id, a, "A区3排5座").status_code == 200
    retyped = seat(admin, event_id, a, "a区3排5座")
    assert retyped.status_code == 200 and retyped.json()["seat"] == "a区3排5座"
    assert locks(db, event_id) == {"SEAT#a区3排5座": (a, "a区3排5座")}


def test_move_and_clear_free_the_old_seat(admin, public, event_id, db):
    a, b = register(public, event_id), register(public, event_id)
    assert seat(admin, event_id, a, "第1桌").status_code == 200
    assert seat(admin, event_id, a, "第2桌").status_code == 200
    assert seat(admin, event_id, b, "第1桌").status_code == 200  # freed by the move
    assert locks(db, event_id) == {"SEAT#第1桌": (b, "第1桌"), "SEAT#第2桌": (a, "第2桌")}
    assert seat(admin, event_id, a, "").json()["seat"] is None
    assert seat(admin, event_id, b, None).json()["seat"] is None
    assert locks(db, event_id) == {}
    assert seats_of(admin, event_id) == {a: None, b: None}
    audit = admin.get(f"/events/{event_id}/audit").json()["items"]
    assert [entry["detail"] for entry in audit if entry["action"] == "registration.update"] == ["seat"] * 5
    assert "桌" not in str(audit)


def test_cancel_and_erasure_free_the_seat(admin, public, event_id, db):
    a, b, c = (register(public, event_id) for _ in range(3))
    created = public.post(f"/events/{event_id}/registrations", json=registration_body()).json()
    d = created["registration_id"]
    for rid, value in ((a, "1"), (b, "2"), (c, "3"), (d, "4")):
        assert seat(admin, event_id, rid, value).status_code == 200
    assert admin.post(f"/events/{event_id}/registrations/{a}/cancel").status_code == 200
    assert admin.delete(f"/events/{event_id}/registrations/{b}").status_code == 204
    assert public.post(f"/tickets/{created['ticket_token']}/cancel").status_code == 200
    # A used ticket erased later frees its seat too.
    assert admin.post(f"/events/{event_id}/checkins", json={"registration_id": c}).status_code == 200
    assert admin.delete(f"/events/{event_id}/registrations/{c}").status_code == 204
    assert locks(db, event_id) == {}
    stored = {item["registration_id"]: item for item in db.of_type(event_id, "REG#")}
    assert all("seat" not in stored[rid] for rid in (a, b, c, d))
    newcomer = register(public, event_id)
    for value in ("1", "2", "3", "4"):
        assert seat(admin, event_id, newcomer, value).status_code == 200
    # A cancelled or erased registration can't be given a seat.
    for rid in (a, b):
        refused = seat(admin, event_id, rid, "9")
        assert refused.status_code == 409 and refused.json()["error"] == "registration_cancelled"
    assert set(locks(db, event_id)) == {"SEAT#4"}


def test_a_waitlisted_registration_may_hold_a_seat(admin, public, make_event):
    eid = make_event(capacity=1)["event_id"]
    register(public, eid)
    waiting = public.post(f"/events/{eid}/registrations", json=registration_body()).json()
    assert waiting["status"] == "waitlisted"
    assert seat(admin, eid, waiting["registration_id"], "加座1").status_code == 200


def test_seats_are_per_event(admin, public, make_event):
    one, two = make_event()["event_id"], make_event()["event_id"]
    assert seat(admin, one, register(public, one), "A1").status_code == 200
    assert seat(admin, two, register(public, two), "A1").status_code == 200


def test_exports_carry_the_seat(admin, public, event_id):
    rid = register(public, event_id, name="座位人")
    assert seat(admin, event_id, rid, "=A1").status_code == 200  # formula-looking, written safely
    response = admin.get(f"/events/{event_id}/attendees.csv", params={"lang": "en"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    row = next(r for r in rows[1:] if r[0] == rid)
    assert row[header.index("seat")] == "'=A1"
    zh = list(csv.reader(io.StringIO(admin.get(f"/events/{event_id}/attendees.csv").content.decode("utf-8-sig"))))
    assert zh[1][zh[0].index("座位")] == "'=A1"


# --- concurrency -------------------------------------------------------------------------------


def test_racing_for_one_seat_one_wins(stack, admin, public, event_id, db):
    rids = [register(public, event_id) for _ in range(8)]
    for round_number in range(3):
        wanted = f"抢{round_number}"
        answers = run_concurrently(
            stack,
            [lambda s, rid=rid: s.patch(f"/events/{event_id}/registrations/{rid}", json={"seat": wanted},
                                        headers={"Authorization": f"Bearer {stack.admin_token}"}) for rid in rids],
            threads=8,
        )
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [200] + [409] * 7, [a.text for a in answers]
        winner = next(rid for rid, answer in zip(rids, answers) if answer.status_code == 200)
        assert all(a.json()["held_by"] == winner for a in answers if a.status_code == 409)
        assert [r for r, s in seats_of(admin, event_id).items() if s == wanted] == [winner]
        assert locks(db, event_id)[f"SEAT#{wanted}"][0] == winner


def test_moving_while_another_takes_the_old_seat(stack, admin, public, event_id, db):
    """A moves from 旧 to 新 while B takes 旧: whatever the order, never two holders of a seat,
    and every seat lock matches the registration holding it."""
    for attempt in range(6):
        a, b = register(public, event_id), register(public, event_id)
        old, new = f"旧{attempt}", f"新{attempt}"
        assert seat(admin, event_id, a, old).status_code == 200
        barrier = threading.Barrier(2)
        results: dict[str, int] = {}

        def move(session):
            barrier.wait()
            results["move"] = seat(session, event_id, a, new).status_code

        def take(session):
            barrier.wait()
            for _ in range(20):  # B retries until A has left the old seat
                code = seat(session, event_id, b, old).status_code
                if code == 200:
                    break
            results["take"] = code

        threads = [threading.Thread(target=job, args=(stack.admin(),)) for job in (move, take)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results["move"] == 200
        held = seats_of(admin, event_id)
        assert held[a] == new
        if results["take"] == 200:
            assert held[b] == old
        else:
            assert results["take"] == 409 and held[b] is None
    live = seats_of(admin, event_id)
    taken = [value for value in live.values() if value]
    assert len(taken) == len(set(taken))
    assert {sk: holder for sk, (holder, _) in locks(db, event_id).items()} == {
        f"SEAT#{value}": rid for rid, value in live.items() if value
    }


def test_cancel_racing_a_seat_assignment_leaves_no_orphan_lock(stack, admin, public, event_id, db):
    """An admin gives a seat while the participant cancels: either the seat is refused (409) or
    it is assigned and then released by the cancellation; no lock is left behind either way."""
    for _ in range(5):
        created = public.post(f"/events/{event_id}/registrations", json=registration_body()).json()
        rid = created["registration_id"]
        answers = run_concurrently(
            stack,
            [
                lambda s: s.patch(f"/events/{event_id}/registrations/{rid}", json={"seat": "争"},
                                  headers={"Authorization": f"Bearer {stack.admin_token}"}),
                lambda s: s.post(f"/tickets/{created['ticket_token']}/cancel"),
            ],
            threads=2,
        )
        assert answers[1].status_code == 200
        assert answers[0].status_code in (200, 409), answers[0].text
        assert "SEAT#争" not in locks(db, event_id)


def test_a_seat_change_reaches_the_gate_data_deltas(admin, public, event_id):
    """Gate data's `since` finds registrations by their `changed_ms` stamp: a seat edit must set it."""
    import time

    moved, untouched = register(public, event_id), register(public, event_id)
    time.sleep(0.05)
    since = str(int(time.time() * 1000))  # after both were written (no overlap, unlike next_since)
    time.sleep(0.05)
    assert seat(admin, event_id, moved, "第8桌").status_code == 200
    delta = admin.get(f"/events/{event_id}/checkin-data", params={"since": since})
    assert delta.status_code == 200, delta.text
    entries = {entry["registration_id"]: entry for entry in delta.json()["entries"]}
    assert untouched not in entries
    assert entries[moved]["seat"] == "第8桌"
