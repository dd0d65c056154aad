"""Events API over HTTP against the embedded DynamoDB-compatible server."""
import json

import pytest

from devtools.samples import event_body, registration_body


def test_create_then_read_publicly(admin, public):
    body = event_body(title="  年度颁奖典礼  ", max_party_size=3, waitlist=False)
    created = admin.post("/events", json=body)
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["event_id"] == body["event_id"]
    assert event["title"] == "年度颁奖典礼"
    assert event["roles"] == ["nominee", "family", "guest", "media", "volunteer", "audience"]
    assert event["counts"] == {"seats_confirmed": 0, "seats_remaining": 10, "waitlisted": 0, "checked_in": 0}
    fetched = public.get(f"/events/{body['event_id']}")
    assert fetched.status_code == 200
    assert fetched.json() == event
    assert fetched.headers["Content-Type"].startswith("application/json")


def test_generated_event_id_when_none_given(admin):
    response = admin.post("/events", json=event_body(event_id=None, kind="collector_exchange"))
    assert response.status_code == 201
    assert response.json()["event_id"].startswith("ev-")
    assert response.json()["roles"] == ["collector", "visitor", "media", "volunteer"]


def test_duplicate_event_id_is_a_conflict(admin, make_event):
    event = make_event()
    again = admin.post("/events", json=event_body(event_id=event["event_id"]))
    assert again.status_code == 409
    assert again.json()["error"] == "event_exists"


def test_unknown_event_is_404_with_error_json(public):
    for path in ("/events/no-such-event", "/events/NOT_A_SLUG"):
        response = public.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "event_not_found"


@pytest.mark.parametrize("path, method", [
    ("/events", "POST"), ("/events", "GET"), ("/events/any-event", "PATCH"),
])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic YWRtaW46YWRtaW4=", "Bearer "])
def test_admin_routes_need_the_admin_token(stack, path, method, authorization):
    session = stack.session()
    headers = {"Authorization": authorization} if authorization else {}
    response = session.request(method, path, json=event_body(), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_unknown_route_is_404(public):
    response = public.get("/no/such/route")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_list_pages_through_every_event_with_signed_cursors(admin, make_event):
    mine = {make_event()["event_id"] for _ in range(5)}
    seen, cursor, pages = [], None, 0
    while True:
        response = admin.get("/events", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen.extend(item["event_id"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert mine <= set(seen)
    assert len(seen) == len(set(seen))
    assert pages >= 3


def test_edited_cursor_is_refused(admin, make_event):
    make_event(), make_event()
    cursor = admin.get("/events", params={"limit": 1}).json()["next_cursor"]
    kid, payload, tag = cursor.split(".")
    response = admin.get("/events", params={"cursor": f"{kid}.{payload[:-2]}xx.{tag}"})
    assert response.status_code == 422
    assert "cursor" in response.json()["fields"]


@pytest.mark.parametrize("params, field", [({"limit": "0"}, "limit"), ({"limit": "abc"}, "limit"),
                                           ({"limit": "101"}, "limit"), ({"bogus": "1"}, "bogus")])
def test_bad_list_parameters(admin, params, field):
    response = admin.get("/events", params=params)
    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_patch_changes_only_given_fields(admin, public, make_event):
    event = make_event(capacity=20)
    response = admin.patch(f"/events/{event['event_id']}", json={"venue": "新场地", "capacity": 30})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["venue"] == "新场地"
    assert updated["capacity"] == 30
    assert updated["title"] == event["title"]
    assert public.get(f"/events/{event['event_id']}").json() == updated


def test_patch_can_clear_the_registration_window(admin, make_event):
    event = make_event(registration_closes_at="2027-02-01T00:00:00+08:00")
    assert event["registration_closes_at"] == "2027-02-01T00:00:00+08:00"
    response = admin.patch(f"/events/{event['event_id']}", json={"registration_closes_at": None})
    assert response.status_code == 200
    assert response.json()["registration_closes_at"] is None


def test_patch_checks_consistency_against_the_stored_event(admin, make_event):
    event = make_event()
    response = admin.patch(f"/events/{event['event_id']}", json={"ends_at": "2027-03-01T18:00:00+08:00"})
    assert response.status_code == 422
    assert "ends_at" in response.json()["fields"]
    roles = admin.patch(f"/events/{event['event_id']}", json={"roles": ["collector"]})
    assert roles.status_code == 422 and "roles" in roles.json()["fields"]


def test_patch_unknown_event_is_404(admin):
    response = admin.patch("/events/no-such-event", json={"title": "x"})
    assert response.status_code == 404
    assert response.json()["error"] == "event_not_found"


def test_capacity_cannot_drop_below_confirmed_seats(admin, public, make_event):
    event = make_event(capacity=10, max_party_size=4)
    for party in (4, 3):
        response = public.post(f"/events/{event['event_id']}/registrations",
                               json=registration_body(party_size=party))
        assert response.status_code == 201 and response.json()["status"] == "confirmed"
    refused = admin.patch(f"/events/{event['event_id']}", json={"capacity": 6})
    assert refused.status_code == 409
    assert refused.json()["error"] == "capacity_below_confirmed"
    accepted = admin.patch(f"/events/{event['event_id']}", json={"capacity": 7})
    assert accepted.status_code == 200
    assert accepted.json()["counts"]["seats_remaining"] == 0


BAD_BODIES = [
    (b"{not json", 400, None),
    (b"", 400, None),
    (b"\xff\xfe\x00", 400, None),
    (json.dumps(["a list"]).encode(), 422, "_schema"),
    (json.dumps({"capacity": 0}).encode(), 422, "capacity"),
    (json.dumps({"capacity": "10"}).encode(), 422, "capacity"),
    (json.dumps({"unknown_field": 1}).encode(), 422, "unknown_field"),
    (json.dumps({"title": "x" * 5000}).encode(), 422, "title"),
    (json.dumps({"event_id": "Bad Slug!"}).encode(), 422, "event_id"),
    (json.dumps({"ends_at": "2027-03-01T18:00:00+08:00"}).encode(), 422, "ends_at"),
    (b"{" + b'"title": "' + b"x" * 70000 + b'"}', 422, None),  # under the 256 KB limit: a field error
    (b"{" + b'"title": "' + b"x" * 300_000 + b'"}', 413, None),  # SPEC §10: over 256 KB
]


@pytest.mark.parametrize("raw, status, field", BAD_BODIES)
def test_bad_create_bodies_are_4xx_and_write_nothing(admin, public, raw, status, field):
    body = event_body()
    if raw.startswith(b"{\"") and field:
        body.update(json.loads(raw))
        raw = json.dumps(body).encode()
    response = admin.post("/events", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    error = response.json()
    assert error["message"]
    if field:
        assert error["error"] == "validation_error"
        assert field in error["fields"], error
    assert public.get(f"/events/{body['event_id']}").status_code == 404
