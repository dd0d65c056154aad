"""Award ceremony rules without I/O (SPEC §9): awards of an event, a registration's award and
companion, seat identity, the programme's order and counts; the stage board's page shell."""
from __future__ import annotations

import json
import re

import pytest

from chalicelib.domain import awards
from chalicelib.domain.events import Event, event_field_errors
from chalicelib.domain.registrations import Registration
from chalicelib.web import pages

AWARDS = [{"award_id": "xiaoxing", "name": "十大孝星", "slots": 2}, {"award_id": "fuqi", "name": "十大恩爱夫妻", "slots": 10}]


def event(**changes):
    base = Event("ev-1", "award_ceremony", "典礼", "剧院", "2027-03-01T19:00:00+08:00", "2027-03-01T21:00:00+08:00", 100)
    return base.changed(**changes)


def reg(rid, role="guest", status="confirmed", **fields):
    return Registration(rid, "ev-1", status, role=role, name=f"人{rid}", **fields)


def test_awards_belong_to_award_ceremonies_and_ids_are_unique():
    assert event_field_errors({"kind": "award_ceremony", "awards": AWARDS}) == {}
    assert "awards" in event_field_errors({"kind": "collector_exchange", "awards": AWARDS})
    assert event_field_errors({"kind": "collector_exchange", "awards": []}) == {}
    twice = [*AWARDS, {"award_id": "fuqi", "name": "又一个", "slots": 1}]
    assert event_field_errors({"kind": "award_ceremony", "awards": twice}) == {"awards.2.award_id": ["奖项编号不能重复"]}


def test_award_assignment_rules():
    with_awards, without = event(awards=AWARDS), event()
    assert awards.award_assignment_errors(with_awards, "nominee", "fuqi") == {}
    assert "award_id" in awards.award_assignment_errors(with_awards, "nominee", None)
    assert "award_id" in awards.award_assignment_errors(with_awards, "nominee", "nope")
    assert "award_id" in awards.award_assignment_errors(with_awards, "family", "fuqi")
    assert awards.award_assignment_errors(with_awards, "family", None) == {}
    assert awards.award_assignment_errors(without, "nominee", None) == {}
    assert "没有设置奖项" in awards.award_assignment_errors(without, "nominee", "fuqi")["award_id"][0]


def test_an_award_is_found_by_id_or_name():
    ceremony = event(awards=AWARDS)
    assert awards.resolve_award(ceremony, "fuqi") == "fuqi"
    assert awards.resolve_award(ceremony, " 十大恩爱夫妻 ") == "fuqi"
    assert awards.resolve_award(ceremony, "十大") is None
    assert awards.resolve_award(ceremony, "") is None


def test_companion_rules():
    nominee = reg("N", role="nominee", award_id="xiaoxing")
    family = reg("F", role="family")
    assert awards.companion_errors(family, nominee) == {}
    assert "companion_of" in awards.companion_errors(family, None)
    assert "companion_of" in awards.companion_errors(family, reg("G"))  # not a nominee
    assert "companion_of" in awards.companion_errors(nominee, nominee)  # oneself
    assert "companion_of" in awards.companion_errors(reg("M", role="nominee"), nominee)
    assert "companion_of" in awards.companion_errors(family, reg("N", role="nominee", status="cancelled"))
    assert "companion_of" in awards.companion_errors(family, reg("N", role="nominee", erased=True))


@pytest.mark.parametrize("typed", ["A区3排5座", "a区3排5座", "Ａ区３排５座", " A区 3排 5座 ", "A区\u30003排5座"])
def test_seats_typed_differently_are_the_same_seat(typed):
    assert awards.seat_key(typed) == "a区3排5座"


def test_different_seats_stay_different():
    assert awards.seat_key("第3桌") != awards.seat_key("第13桌")
    assert awards.seat_key("A1") != awards.seat_key("A-1")


def test_programme_order_and_counts():
    ceremony = event(awards=AWARDS)
    rows = [
        reg("01", role="nominee", award_id="xiaoxing", seat="A1", checked_in_at="2027-03-01T18:30:00+08:00"),
        reg("02", role="nominee", award_id="xiaoxing"),
        reg("03", role="nominee", award_id="fuqi", party_size=2),
        reg("04", role="nominee", award_id="gone"),  # an award removed since
        reg("05", role="nominee", award_id="xiaoxing", status="cancelled"),
        reg("06", role="family", companion_of="01", checked_in_at="2027-03-01T18:31:00+08:00"),
        reg("07", role="family", companion_of="01"),
        reg("08", role="guest", companion_of="01", status="cancelled"),
        reg("09", role="family", companion_of="02", erased=True),
        reg("10", role="audience"),
    ]
    programme = awards.build_programme(ceremony, reversed(rows))
    assert [(a.award_id, a.slots, [n.registration_id for n in a.nominees]) for a in programme.awards] == [
        ("xiaoxing", 2, ["02", "01"]),  # not yet arrived first, then registration order
        ("fuqi", 10, ["03"]),
        (None, None, ["04"]),
    ]
    assert programme.awards[2].name == "未分配奖项"
    arrived = programme.awards[0].nominees[1]
    assert (arrived.checked_in, arrived.seat, arrived.companions) == (True, "A1", awards.Companions(2, 1))
    assert programme.awards[0].nominees[0].companions == awards.Companions(0, 0)
    assert programme.awards[0].arrived == 1
    assert programme.awards[1].nominees[0].party_size == 2


def test_programme_without_awards_or_nominees():
    assert awards.build_programme(event(), []).awards == []
    assert [a.name for a in awards.build_programme(event(), [reg("1", role="nominee")]).awards] == ["未分配奖项"]


def test_stage_page_shell():
    html = pages.render_stage("award-2027")
    assert '<html lang="zh-CN">' in html
    data = json.loads(re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html).group(1))
    assert data["event_id"] == "award-2027" and data["root"] == "../../../" and data["refresh_seconds"] <= 10
    scripts = re.findall(r'<script src="([^"]+)" defer>', html)
    assert [s.split("?")[0] for s in scripts] == ["../../../static/admin.js", "../../../static/stage.js"]
    assert '../../../static/stage.css' in html and 'href="../../../admin/events/award-2027"' in html
    assert 'id="admin-token"' in html  # the admin signs in as in the console
    assert "<script>" not in html and "onclick" not in html


def test_stage_page_escapes_and_refuses_bad_ids():
    html = pages.render_stage("a<b>c")
    assert "<b>" not in html
    status, html = pages.stage_page("Not An Id")
    assert status == 404 and "找不到这个活动" in html and "../../../static/app.css" in html


def test_the_programme_needs_only_what_the_index_projects():
    """The `programme` index (infra/resources.json) holds the keys and a few attributes; the
    programme is built from exactly those, so what DynamoDB returns from the index is enough."""
    from devtools.bootstrap import table_properties

    from chalicelib.storage import programme as programme_store
    from chalicelib.storage.registrations import _registration_item

    [index] = [i for i in table_properties()["GlobalSecondaryIndexes"] if i["IndexName"] == "programme"]
    keys = {part["AttributeName"] for part in index["KeySchema"]} | {"pk", "sk"}
    kept = keys | set(index["Projection"]["NonKeyAttributes"])
    ceremony = event(awards=AWARDS)
    full = [
        reg("0000000000000001", role="nominee", award_id="xiaoxing", seat="A1", party_size=2,
            checked_in_at="2027-03-01T18:30:00+08:00", phone="13800000000", city="杭州"),
        reg("0000000000000002", role="family", companion_of="0000000000000001"),
    ]
    items = [_registration_item(r) for r in full]
    assert all(item["prog_pk"] == "PROG#ev-1" for item in items)
    assert "prog_pk" not in _registration_item(reg("0000000000000003"))  # a guest is not on the index
    projected = [programme_store._entry({k: v for k, v in item.items() if k in kept and v is not None})
                 for item in items]
    assert "phone" not in kept and "city" not in kept
    assert awards.build_programme(ceremony, projected) == awards.build_programme(ceremony, full)
