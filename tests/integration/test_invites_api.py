"""SPEC §6: invite-only roles, reserved seats and invite codes, through HTTP, with concurrency."""
from __future__ import annotations

from collections import Counter

from devtools.samples import registration_body
from tests.helpers import run_concurrently


def _code(admin, eid, **body):
    response = admin.post(f"/events/{eid}/invite-codes", json={"role": "nominee", **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_event_fields_default_and_validate(make_event, admin):
    event = make_event()
    assert event["invite_only_roles"] == [] and event["reserved_seats"] == 0
    event = make_event(invite_only_roles=["nominee", "family"], reserved_seats=4)
    assert event["invite_only_roles"] == ["nominee", "family"] and event["reserved_seats"] == 4
    bad = admin.post("/events", json={**registration_body(), "kind": "award_ceremony"})
    assert bad.status_code == 422
    from devtools.samples import event_body

    too_many = admin.post("/events", json=event_body(capacity=5, reserved_seats=6))
    assert too_many.status_code == 422 and "reserved_seats" in too_many.json()["fields"]
    not_a_role = admin.post("/events", json=event_body(roles=["guest"], invite_only_roles=["nominee"]))
    assert not_a_role.status_code == 422 and "invite_only_roles" in not_a_role.json()["fields"]
    patched = admin.patch(f"/events/{event['event_id']}", json={"reserved_seats": 11})
    assert patched.status_code == 422 and "reserved_seats" in patched.json()["fields"]
    patched = admin.patch(f"/events/{event['event_id']}", json={"reserved_seats": 2, "invite_only_roles": ["media"]})
    assert patched.status_code == 200 and patched.json()["invite_only_roles"] == ["media"]


def test_invite_only_role_needs_a_code_and_is_not_offered(make_event, public, admin):
    eid = make_event(invite_only_roles=["nominee"])["event_id"]
    refused = public.post(f"/events/{eid}/registrations", json=registration_body(role="nominee"))
    assert refused.status_code == 422 and list(refused.json()["fields"]) == ["role"]
    assert public.post(f"/events/{eid}/registrations", json=registration_body(role="guest")).status_code == 201
    form = public.get(f"/e/{eid}").text
    assert 'value="guest"' in form and 'value="nominee"' not in form

    code = _code(admin, eid, label="郑国强")
    linked = public.get(f"/e/{eid}?invite={code['code']}").text
    assert 'value="nominee"' in linked and 'value="guest"' not in linked and "以「候选人」身份报名" in linked
    forged = public.get(f"/e/{eid}?invite={code['code'][:-1]}a").text
    assert 'value="nominee"' not in forged and "邀请链接无效" in forged


def test_invite_code_create_list_use_revoke(make_event, public, admin, db):
    eid = make_event(invite_only_roles=["nominee", "family"], max_party_size=3)["event_id"]
    nominee = public.post(f"/events/{eid}/registrations",
                          json=registration_body(role="nominee", invite_code=_code(admin, eid)["code"]))
    assert nominee.status_code == 201, nominee.text
    nominee_id = nominee.json()["registration_id"]

    code = _code(admin, eid, role="family", max_uses=2, label="郑国强家属", companion_of=nominee_id)
    assert set(code) >= {"code_id", "code", "role", "max_uses", "used", "label", "form_url", "companion_of"}
    assert code["used"] == 0 and code["max_uses"] == 2 and code["companion_of"] == nominee_id
    assert code["form_url"].endswith(f"/e/{eid}?invite={code['code']}")
    assert len(code["code"]) >= 16 + 10  # 80 bits of MAC plus the id
    # Only the code id is stored, never the code.
    stored = next(i for i in db.of_type(eid, "INVITE#") if i["code_id"] == code["code_id"])
    assert code["code"] not in str(stored)

    wrong_role = public.post(f"/events/{eid}/registrations",
                             json=registration_body(role="nominee", invite_code=code["code"]))
    assert wrong_role.status_code == 422 and list(wrong_role.json()["fields"]) == ["invite_code"]
    unknown = public.post(f"/events/{eid}/registrations", json=registration_body(role="family", invite_code="x" * 27))
    assert unknown.status_code == 422 and "invite_code" in unknown.json()["fields"]

    first = public.post(f"/events/{eid}/registrations",
                        json=registration_body(role="family", party_size=2, invite_code=code["code"]))
    assert first.status_code == 201, first.text
    row = next(r for r in admin.get(f"/events/{eid}/registrations").json()["items"]
               if r["registration_id"] == first.json()["registration_id"])
    assert row["source"] == "invite"
    reg = next(i for i in db.of_type(eid, "REG#") if i["registration_id"] == first.json()["registration_id"])
    assert reg["companion_of"] == nominee_id and "invite_code" not in reg

    listed = admin.get(f"/events/{eid}/invite-codes").json()["items"]
    assert [c["used"] for c in listed if c["code_id"] == code["code_id"]] == [1]
    assert [c["code"] for c in listed if c["code_id"] == code["code_id"]] == [code["code"]]

    assert admin.delete(f"/events/{eid}/invite-codes/{code['code_id']}").status_code == 204
    revoked = public.post(f"/events/{eid}/registrations", json=registration_body(role="family", invite_code=code["code"]))
    assert revoked.status_code == 422 and "invite_code" in revoked.json()["fields"]
    assert admin.delete(f"/events/{eid}/invite-codes/ic-nosuchcode").status_code == 404
    audit = [e["action"] for e in admin.get(f"/events/{eid}/audit").json()["items"]]
    assert "invite_code.create" in audit and "invite_code.revoke" in audit
    assert public.post(f"/events/{eid}/invite-codes", json={"role": "nominee"}).status_code == 401


def test_invite_code_validation(make_event, admin, public):
    eid = make_event(roles=["guest", "media"])["event_id"]
    for body, field in (({"role": "nominee"}, "role"), ({"role": "guest", "max_uses": 0}, "max_uses"),
                        ({"role": "guest", "max_uses": 1001}, "max_uses"),
                        ({"role": "guest", "companion_of": "0000000000000000"}, "companion_of")):
        response = admin.post(f"/events/{eid}/invite-codes", json=body)
        assert response.status_code == 422 and field in response.json()["fields"], (body, response.text)
    other = make_event()["event_id"]
    code = _code(admin, other, role="guest")
    # A code of another event is not a code of this one.
    response = public.post(f"/events/{eid}/registrations", json=registration_body(invite_code=code["code"]))
    assert response.status_code == 422 and "invite_code" in response.json()["fields"]


def test_invite_accepted_after_public_registration_closes(make_event, admin, public):
    eid = make_event(registration_closes_at="2026-01-01T00:00:00+08:00", registration_opens_at="2025-12-01T00:00:00+08:00")["event_id"]
    assert public.post(f"/events/{eid}/registrations", json=registration_body()).json()["error"] == "registration_closed"
    code = _code(admin, eid, role="guest")
    assert public.post(f"/events/{eid}/registrations", json=registration_body(invite_code=code["code"])).status_code == 201


def test_max_uses_never_exceeded_under_concurrency(stack, make_event, admin, db):
    eid = make_event(capacity=100)["event_id"]
    code = _code(admin, eid, role="guest", max_uses=5)
    jobs = [lambda s: s.post(f"/events/{eid}/registrations", json=registration_body(invite_code=code["code"]))
            for _ in range(40)]
    statuses = Counter(r.status_code for r in run_concurrently(stack, jobs, threads=16))
    assert statuses == {201: 5, 422: 35}
    assert len([r for r in db.of_type(eid, "REG#") if r.get("invite_code_id") == code["code_id"]]) == 5
    assert next(i for i in db.of_type(eid, "INVITE#"))["used"] == 5


def test_reserved_seats_hold_under_concurrency(stack, make_event, admin, db):
    capacity, reserved = 20, 8
    eid = make_event(capacity=capacity, reserved_seats=reserved, waitlist=False, max_party_size=2)["event_id"]
    code = _code(admin, eid, role="guest", max_uses=1000)
    public_jobs = [lambda s: s.post(f"/events/{eid}/registrations", json=registration_body(party_size=1 + i % 2))
                   for i in range(40)]
    invite_jobs = [lambda s: s.post(f"/events/{eid}/registrations",
                                    json=registration_body(invite_code=code["code"])) for _ in range(30)]
    jobs = [job for pair in zip(public_jobs, invite_jobs) for job in pair] + public_jobs[30:]
    responses = run_concurrently(stack, jobs, threads=16)
    assert {r.status_code for r in responses} <= {201, 409}
    regs = [r for r in db.of_type(eid, "REG#") if r["status"] == "confirmed"]
    public_seats = sum(r["party_size"] for r in regs if r["source"] == "form")
    total = sum(r["party_size"] for r in regs)
    assert public_seats <= capacity - reserved
    assert total <= capacity
    stored = db.event(eid)
    assert stored["seats_confirmed"] == total and stored["public_seats_confirmed"] == public_seats
    # The invites got at least the reserved seats: the public could not take them.
    assert total - public_seats >= reserved


def test_public_waitlist_respects_reserved_seats(make_event, admin, public, db):
    eid = make_event(capacity=3, reserved_seats=1)["event_id"]
    ids = [public.post(f"/events/{eid}/registrations", json=registration_body()).json() for _ in range(3)]
    assert [r["status"] for r in ids] == ["confirmed", "confirmed", "waitlisted"]
    code = _code(admin, eid, role="guest")
    vip = public.post(f"/events/{eid}/registrations", json=registration_body(invite_code=code["code"])).json()
    assert vip["status"] == "confirmed"  # the reserved seat, despite the public waitlist
    # A public cancellation frees a public seat: the waiting one moves up.
    assert public.post(f"/tickets/{ids[0]['ticket_token']}/cancel").status_code == 200
    assert public.get(f"/tickets/{ids[2]['ticket_token']}").json()["status"] == "confirmed"
    # The VIP cancels: a reserved seat is free, but the public may not take it.
    assert public.post(f"/tickets/{vip['ticket_token']}/cancel").status_code == 200
    late = public.post(f"/events/{eid}/registrations", json=registration_body()).json()
    assert late["status"] == "waitlisted"
    stored = db.event(eid)
    assert stored["public_seats_confirmed"] == 2 and stored["seats_confirmed"] == 2
    # Fewer reserved seats: the waitlist moves up at once.
    assert admin.patch(f"/events/{eid}", json={"reserved_seats": 0}).status_code == 200
    assert public.get(f"/tickets/{late['ticket_token']}").json()["status"] == "confirmed"


def test_a_code_binds_companions_only_to_a_live_nominee(make_event, admin, public):
    """companion_of on a code follows the PATCH rule (SPEC §9): a nominee of this event, for a
    companion's role; the code's registrations then count as that nominee's companions."""
    eid = make_event(capacity=20, max_party_size=3)["event_id"]
    guest = public.post(f"/events/{eid}/registrations", json=registration_body(role="guest", phone="13900000011"))
    assert guest.status_code == 201, guest.text
    refused = admin.post(f"/events/{eid}/invite-codes",
                         json={"role": "family", "companion_of": guest.json()["registration_id"]})
    assert refused.status_code == 422 and refused.json()["fields"]["companion_of"] == ["只能陪同身份为候选人的报名"]
    nominee = admin.post(f"/events/{eid}/invite-codes", json={"role": "nominee"}).json()
    nominee_reg = public.post(f"/events/{eid}/registrations", json=registration_body(
        role="nominee", phone="13900000012", invite_code=nominee["code"]))
    assert nominee_reg.status_code == 201, nominee_reg.text
    nominee_id = nominee_reg.json()["registration_id"]
    self_bound = admin.post(f"/events/{eid}/invite-codes", json={"role": "nominee", "companion_of": nominee_id})
    assert self_bound.status_code == 422 and "companion_of" in self_bound.json()["fields"]
    family = admin.post(f"/events/{eid}/invite-codes", json={"role": "family", "companion_of": nominee_id})
    assert family.status_code == 201, family.text
