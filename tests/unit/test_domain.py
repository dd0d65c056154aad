"""Pure domain rules: registration windows, waitlist promotion order, check-in verdicts, retention."""
from datetime import datetime, timedelta

import pytest

from chalicelib.domain.checkins import refused_checkin
from chalicelib.domain.events import Event
from chalicelib.domain.registrations import Registration, WaitlistEntry, first_promotable, registration_field_errors
from chalicelib.schemas import replies

EVENT_FIELDS = {"event_id": "e-1", "title": "t", "venue": "v", "kind": "award_ceremony", "starts_at": "2027-01-01T19:00:00+08:00", "ends_at": "2027-01-01T21:00:00+08:00",
         "capacity": 10, "max_party_size": 2, "roles": ["guest", "media"], "retention_days": 30}
EVENT = Event.from_mapping(EVENT_FIELDS)


def at(text):
    return datetime.fromisoformat(text)


@pytest.mark.parametrize("window, moment, is_open", [
    ({}, "2026-12-01T00:00:00+08:00", True),
    ({}, "2027-01-01T21:00:00+08:00", False),  # closes at the event's end when unset
    ({"registration_opens_at": "2026-12-10T10:00:00+08:00"}, "2026-12-10T09:59:59+08:00", False),
    ({"registration_opens_at": "2026-12-10T10:00:00+08:00"}, "2026-12-10T02:00:00+00:00", True),
    ({"registration_closes_at": "2026-12-31T00:00:00+08:00"}, "2026-12-30T23:59:59+08:00", True),
    ({"registration_closes_at": "2026-12-31T00:00:00+08:00"}, "2026-12-31T00:00:00+08:00", False),
])
def test_registration_window(window, moment, is_open):
    assert Event.from_mapping({**EVENT_FIELDS, **window}).registration_is_open(at(moment)) is is_open


def test_registration_rules_depend_on_the_event():
    assert registration_field_errors(EVENT, {"role": "guest", "party_size": 2}) == {}
    errors = registration_field_errors(EVENT, {"role": "nominee", "party_size": 3})
    assert set(errors) == {"role", "party_size"}
    assert "嘉宾" in errors["role"][0] and "2" in errors["party_size"][0]


def test_first_promotable_skips_parties_that_do_not_fit_but_keeps_order():
    waiting = [WaitlistEntry(1, "a", 3), WaitlistEntry(2, "b", 1), WaitlistEntry(3, "c", 2)]
    assert first_promotable(2, waiting).registration_id == "b"
    assert first_promotable(3, waiting).registration_id == "a"
    assert first_promotable(0, waiting) is None
    assert first_promotable(5, []) is None


@pytest.mark.parametrize("stored, nonce, verdict", [
    (None, None, "invalid"),
    ({"status": "confirmed", "erased": True, "checked_in_at": "x"}, None, "invalid"),
    ({"status": "confirmed", "checked_in_at": "x", "checkin_nonce": "n1"}, "n1", "ok"),
    ({"status": "confirmed", "checked_in_at": "x", "checkin_nonce": "n1"}, "n2", "already_checked_in"),
    ({"status": "confirmed", "checked_in_at": "x"}, None, "already_checked_in"),
    ({"status": "cancelled"}, None, "cancelled"),
    ({"status": "waitlisted"}, "n1", "waitlisted"),
])
def test_refused_checkin_verdicts(stored, nonce, verdict):
    registration = Registration.from_mapping({"registration_id": "R", "event_id": "e-1", **stored}) if stored else None
    assert refused_checkin(registration, nonce).result == verdict


def test_retention_expiry_counts_from_the_event_end():
    expected = at("2027-01-01T21:00:00+08:00") + timedelta(days=30)
    assert EVENT.retention_expiry() == int(expected.timestamp())
    assert Event.from_mapping({**EVENT_FIELDS, "retention_days": None}).retention_expiry() == int(
        (at("2027-01-01T21:00:00+08:00") + timedelta(days=180)).timestamp())


def test_stats_and_counts_agree():
    event = Event.from_mapping({**EVENT_FIELDS, "seats_confirmed": 7, "confirmed_count": 4, "waitlisted_count": 2,
             "cancelled_count": 1, "checked_in_count": 3})
    dumped = replies.STATS.dump(event.stats)
    assert {name: dumped[name] for name in ("confirmed", "waitlisted", "cancelled", "checked_in",
                                            "seats_confirmed", "seats_remaining")} == {
        "confirmed": 4, "waitlisted": 2, "cancelled": 1, "checked_in": 3, "seats_confirmed": 7, "seats_remaining": 3}
    # SPEC §4 adds heads and the breakdowns; an event's roles are listed even before anyone registers.
    assert dumped["checked_in_heads"] == 0 and dumped["by_gate"] == {} and dumped["timeline"] == []
    assert set(dumped["by_role"]) == {"guest", "media"}
    assert replies.EVENT.dump(event)["counts"] == {"seats_confirmed": 7, "seats_remaining": 3,
                                                    "waitlisted": 2, "checked_in": 3}
