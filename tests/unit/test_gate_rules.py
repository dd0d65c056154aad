"""The gate's pure rules (chalicelib/domain/gate.py): lists, heads, offline scan times, ticket hashes."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from chalicelib.domain.gate import (
    ListState,
    checkin_lists,
    heads_error,
    is_earlier,
    list_errors,
    scanned_at_error,
    ticket_hash,
)

SHANGHAI = timezone(timedelta(hours=8))


def test_main_is_always_there_first_with_its_default_name():
    assert [(item.list_id, item.name) for item in checkin_lists(None)] == [("main", "入场")]
    lists = checkin_lists([{"list_id": "banquet", "name": "晚宴", "roles": ["nominee"]}])
    assert [item.list_id for item in lists] == ["main", "banquet"]
    assert lists[0].admits("guest") and lists[1].admits("nominee") and not lists[1].admits("guest")
    assert not lists[1].admits(None)


def test_list_errors_name_duplicates_and_foreign_roles():
    assert list_errors([{"list_id": "a", "name": "A"}], ["guest"]) == []
    assert list_errors([{"list_id": "a", "name": "A"}, {"list_id": "a", "name": "B"}], ["guest"]) == ["签到名单编号不能重复"]
    assert "collector" in list_errors([{"list_id": "a", "name": "A", "roles": ["collector"]}], ["guest"])[0]


def test_heads_within_what_is_left():
    state = ListState(heads=1)
    assert heads_error(None, state, 3) is None
    assert heads_error(2, state, 3) is None
    assert heads_error(3, state, 3) == "本报名还有 2 人未签到"
    assert heads_error(4, state, 3) == "本报名共 3 人"
    assert heads_error(5, ListState(heads=3), 3) is None  # nobody left: already checked in, not a bad request


def test_scanned_at_window_is_a_day_before_the_start_to_five_minutes_ahead():
    now = datetime(2026, 12, 26, 19, 0, tzinfo=SHANGHAI)
    start = "2026-12-26T18:00:00+08:00"
    assert scanned_at_error(now - timedelta(hours=24), start, now) is None
    assert scanned_at_error(now + timedelta(minutes=5), start, now) is None
    assert scanned_at_error(now - timedelta(hours=25, seconds=1), start, now)
    assert scanned_at_error(now + timedelta(minutes=5, seconds=1), start, now)


def test_ticket_hash_is_sha256_of_the_upper_cased_token():
    token = "ev-demo.B06H2CM5HT2NBH7KYcow2m724eobxqcq5uxlqe6vkag3h2bjz"
    assert ticket_hash(token) == hashlib.sha256(token.upper().encode()).hexdigest()
    assert ticket_hash(token.lower()) == ticket_hash(token.upper())


def test_earlier_compares_instants_across_offsets():
    assert is_earlier("2026-12-26T10:59:59+00:00", "2026-12-26T19:00:00+08:00")
    assert not is_earlier("2026-12-26T11:00:00+00:00", "2026-12-26T19:00:00+08:00")
    assert not is_earlier(None, "2026-12-26T19:00:00+08:00")
