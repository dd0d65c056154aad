"""Event validation: pure marshmallow + domain rules, no I/O."""
import pytest
from marshmallow import ValidationError

from chalicelib.domain.events import Event, event_field_errors
from chalicelib.schemas import fields as schema_fields
from chalicelib.schemas import replies
from chalicelib.schemas import requests as schemas

VALID = {
    "kind": "award_ceremony",
    "title": "颁奖典礼",
    "venue": "演播厅",
    "starts_at": "2027-01-01T19:00:00+08:00",
    "ends_at": "2027-01-01T21:00:00+08:00",
    "capacity": 100,
}


def load(**changes):
    body = {**VALID, **changes}
    return schemas.EVENT_CREATE.load({k: v for k, v in body.items() if v is not None})


def field_errors(**changes):
    with pytest.raises(ValidationError) as caught:
        load(**changes)
    return schema_fields.flatten_errors(caught.value.messages)


def test_valid_event_loads_and_times_are_shown_in_shanghai():
    data = load(starts_at="2027-01-01T11:00:00Z", ends_at="2027-01-01T13:00:00Z")
    assert data["starts_at"] == "2027-01-01T19:00:00+08:00"
    assert data["capacity"] == 100


@pytest.mark.parametrize("changes, field", [
    ({"capacity": 0}, "capacity"),
    ({"capacity": -5}, "capacity"),
    ({"capacity": "10"}, "capacity"),
    ({"capacity": 10.5}, "capacity"),
    ({"capacity": True}, "capacity"),
    ({"kind": "concert"}, "kind"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "长" * 101}, "title"),
    ({"title": "坏\n标题"}, "title"),
    ({"title": 42}, "title"),
    ({"venue": None, "title": "x"}, "venue"),
    ({"starts_at": "2027-01-01T19:00:00"}, "starts_at"),
    ({"starts_at": "tomorrow"}, "starts_at"),
    ({"ends_at": "2027-01-01T18:00:00+08:00"}, "ends_at"),
    ({"event_id": "A-Upper"}, "event_id"),
    ({"event_id": "ab"}, "event_id"),
    ({"event_id": "-leading"}, "event_id"),
    ({"event_id": "ok-slug\n"}, "event_id"),
    ({"waitlist": "yes"}, "waitlist"),
    ({"max_party_size": 0}, "max_party_size"),
    ({"roles": ["collector"]}, "roles"),
    ({"roles": []}, "roles"),
    ({"roles": "guest"}, "roles"),
    ({"retention_days": 0}, "retention_days"),
    ({"surprise": 1}, "surprise"),
    ({"registration_opens_at": "2027-01-01T10:00:00+08:00",
      "registration_closes_at": "2027-01-01T09:00:00+08:00"}, "registration_closes_at"),
])
def test_bad_event_fields_are_reported_in_chinese(changes, field):
    errors = field_errors(**changes)
    assert field in errors, errors
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in message) for message in errors[field])


def test_missing_required_fields_are_each_reported():
    with pytest.raises(ValidationError) as caught:
        schemas.EVENT_CREATE.load({})
    errors = schema_fields.flatten_errors(caught.value.messages)
    assert {"kind", "title", "venue", "starts_at", "ends_at", "capacity"} <= set(errors)


def test_a_non_object_body_is_a_schema_error():
    with pytest.raises(ValidationError) as caught:
        schemas.EVENT_CREATE.load(["not", "an", "object"])
    assert "_schema" in schema_fields.flatten_errors(caught.value.messages)


def test_free_text_keeps_full_width_punctuation():
    assert load(venue="一号厅（人民路）")["venue"] == "一号厅（人民路）"


def test_flatten_errors_gives_dotted_paths():
    nested = {"items": {0: {"name": ["必填"]}, 2: {"intent": ["无效"]}}, "phone": ["有误"]}
    assert schema_fields.flatten_errors(nested) == {
        "items.0.name": ["必填"], "items.2.intent": ["无效"], "phone": ["有误"],
    }


def test_roles_of_the_other_kind_are_refused_by_the_domain_rule():
    errors = event_field_errors({"kind": "collector_exchange", "roles": ["nominee"]})
    assert "roles" in errors


def test_counts_never_show_negative_remaining_seats():
    event = Event.from_mapping({**VALID, "event_id": "e-1", "capacity": 5, "seats_confirmed": 7, "waitlisted_count": 2})
    assert replies.EVENT.dump(event)["counts"] == {"seats_confirmed": 7, "seats_remaining": 0, "waitlisted": 2,
                                                   "checked_in": 0}
