"""The scanner with no network (SPEC §5): opens offline after one online visit, decides from its
gate data, queues scans across a reload, sends them when the network returns; two offline gates
scanning the same ticket check it in once and the later one shows 冲突."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from devtools.samples import registration_body
from tests.e2e.conftest import axe_violations, format_violations, new_phone_context

SHANGHAI = timezone(timedelta(hours=8))


def iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


@pytest.fixture
def live_gate(make_event, admin):
    start = datetime.now(SHANGHAI) - timedelta(hours=1)
    event = make_event(starts_at=iso(start), ends_at=iso(start + timedelta(hours=4)), capacity=20, max_party_size=3)
    staff = admin.post(f"/events/{event['event_id']}/staff-tokens", json={"label": "东门"}).json()
    return event, staff


def register(public, event, **fields):
    reply = public.post(f"/events/{event['event_id']}/registrations", json=registration_body(**fields))
    assert reply.status_code == 201, reply.text
    return reply.json()


def open_synced(page, staff):
    """The scanner opened online once: gate data downloaded, the shell in the service worker's cache."""
    page.goto(staff["scanner_url"])
    expect(page.locator("#sync-note")).to_contain_text("名单")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function("caches.open('baoming-scan-v1').then(c => c.match(location.pathname)).then(Boolean)")


def scan(page, code):
    page.locator("#overlay").evaluate("el => { el.hidden = true; }")
    page.locator("#code").fill(code)
    page.locator("#code").press("Enter")


def queued(page, eid):
    return page.evaluate("eid => BaomingGate.queued(eid)", eid)


def forged(token):
    """A well-formed ticket of the same registration whose MAC is wrong."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


def test_a_gate_without_signal_keeps_deciding_and_syncs_later(phone, live_gate, public, admin, stack, shoot):
    event, staff = live_gate
    eid = event["event_id"]
    guest = register(public, event, name="欧阳娜娜", role="guest")
    party = register(public, event, name="王五", role="family", party_size=3)
    cancelled = register(public, event, name="李四")
    public.post(f"/tickets/{cancelled['ticket_token']}/cancel")
    open_synced(phone, staff)
    late = register(public, event, name="赵六")  # registered after this device's last sync

    phone.context.set_offline(True)
    phone.reload()
    expect(phone.locator("h1")).to_have_text(event["title"])
    expect(phone.locator("#offline-badge")).to_be_visible()
    overlay = phone.locator("#overlay")

    scan(phone, guest["ticket_url"])
    expect(overlay).to_have_class(re.compile(r"\bis-ok\b"))
    expect(overlay).to_contain_text("欧阳娜娜")
    expect(phone.locator("#queue-badge")).to_have_text("待上传 1")
    shoot(phone, "scanner-offline-ok", full_page=False)
    assert axe_violations(phone) == [], format_violations(axe_violations(phone), "offline ok")

    scan(phone, guest["ticket_token"])
    expect(overlay).to_have_class(re.compile(r"\bis-warn\b"))
    expect(overlay).to_contain_text("已签到")

    scan(phone, forged(guest["ticket_token"]))
    expect(overlay).to_have_class(re.compile(r"\bis-error\b"))
    expect(overlay).to_contain_text("无效票")

    scan(phone, late["ticket_token"])
    expect(overlay).to_have_class(re.compile(r"\bis-unknown\b"))
    expect(overlay).to_contain_text("未同步的票，请人工核验")
    shoot(phone, "scanner-offline-unknown", full_page=False)
    assert axe_violations(phone) == [], format_violations(axe_violations(phone), "offline unknown")

    scan(phone, cancelled["ticket_token"])
    expect(overlay).to_contain_text("已取消")

    # A party of 3: two now with the stepper, the last one later.
    phone.get_by_role("button", name="增加一人").click()
    phone.get_by_role("button", name="增加一人").click()
    expect(phone.locator("#heads-value")).to_have_text("2 人")
    scan(phone, party["ticket_token"])
    expect(overlay).to_contain_text("已入场 2/3")
    expect(phone.locator("#heads-value")).to_have_text("全部")

    # Search works offline on names (no phones on the device).
    phone.get_by_label("搜索").fill("王五")
    phone.get_by_label("搜索").press("Enter")
    result = phone.locator("#search-results li", has_text="王五")
    expect(result).to_contain_text("已入场 2/3")
    result.get_by_role("button", name=re.compile("签到")).click()
    expect(overlay).to_contain_text("已入场 3/3")
    expect(phone.locator("#queue-badge")).to_have_text("待上传 3")
    shoot(phone, "scanner-offline-page", full_page=True)
    assert axe_violations(phone) == [], format_violations(axe_violations(phone), "offline page")

    waiting = queued(phone, eid)
    phone.reload()  # the queue outlives a reload
    expect(phone.locator("#queue-badge")).to_have_text("待上传 3")
    assert [item["key"] for item in queued(phone, eid)] == [item["key"] for item in waiting]
    assert admin.get(f"/events/{eid}/stats").json()["checked_in"] == 0

    phone.context.set_offline(False)
    expect(phone.locator("#queue-badge")).to_be_hidden(timeout=15_000)
    expect(phone.locator("#offline-badge")).to_be_hidden()
    scanned = waiting[0]["body"]["scanned_at"]
    ticket = public.get(f"/tickets/{guest['ticket_token']}").json()
    assert datetime.fromisoformat(ticket["checked_in_at"]) == datetime.fromisoformat(scanned)
    counts = admin.get(f"/events/{eid}/stats").json()
    assert (counts["checked_in"], counts["checked_in_heads"]) == (2, 4)
    expect(phone.locator("#conflict-badge")).to_be_hidden()


def test_two_offline_gates_scanning_one_ticket_check_it_in_once(browser, browser_log, live_gate, public, admin, shoot):
    event, staff = live_gate
    eid = event["event_id"]
    ticket = register(public, event, name="孙七", role="guest")
    contexts = [new_phone_context(browser, browser_log) for _ in range(2)]
    try:
        east, west = (context.new_page() for context in contexts)
        for page in (east, west):
            open_synced(page, staff)
            page.context.set_offline(True)
            expect(page.locator("#offline-badge")).to_be_visible()
        east.get_by_label("签到口").fill("东门")
        west.get_by_label("签到口").fill("西门")
        scan(east, ticket["ticket_token"])  # the earlier scan
        expect(east.locator("#overlay")).to_have_class(re.compile(r"\bis-ok\b"))
        time.sleep(1.2)
        scan(west, ticket["ticket_token"])
        expect(west.locator("#overlay")).to_have_class(re.compile(r"\bis-ok\b"))
        east_scan = queued(east, eid)[0]["body"]["scanned_at"]

        west.context.set_offline(False)  # the later scan reaches the server first
        expect(west.locator("#queue-badge")).to_be_hidden(timeout=15_000)
        east.context.set_offline(False)
        expect(east.locator("#queue-badge")).to_be_hidden(timeout=15_000)

        stored = public.get(f"/tickets/{ticket['ticket_token']}").json()
        assert datetime.fromisoformat(stored["checked_in_at"]) == datetime.fromisoformat(east_scan)
        counts = admin.get(f"/events/{eid}/stats").json()
        assert (counts["checked_in"], counts["checked_in_heads"]) == (1, 1)
        assert counts["by_gate"] == {"东门": 1, "西门": 0} or counts["by_gate"].get("西门", 0) == 0

        west.context.set_offline(True)  # the next sync (≤ 15 s; here forced by the network coming back)
        west.context.set_offline(False)
        expect(west.locator("#conflict-badge")).to_have_text("冲突 1", timeout=20_000)
        expect(west.locator("#history")).to_contain_text("冲突 · 孙七")
        shoot(west, "scanner-conflict", full_page=True)
        assert axe_violations(west) == [], format_violations(axe_violations(west), "conflict")
        expect(east.locator("#conflict-badge")).to_be_hidden()
    finally:
        for context in contexts:
            context.close()
    assert not browser_log.problems(), browser_log.problems()


def test_the_organiser_sets_check_in_lists_in_the_console(phone, make_event, admin, stack):
    from tests.e2e.test_console import labelled, sign_in

    eid = make_event()["event_id"]
    phone.goto(f"{stack.base_url}/admin/events/{eid}#edit")
    sign_in(phone, stack.admin_token)
    form = phone.locator("#event-form")
    expect(labelled(form, "活动编号")).to_have_value(eid)  # the form holds the event now
    lists = labelled(form, "签到名单")
    expect(lists).to_have_value("")
    lists.fill("banquet 晚宴 候选人,家属\nvip 贵宾区")
    form.get_by_role("button", name="保存修改").click()
    expect(form.locator("#event-form-ok")).to_contain_text("已保存")
    stored = admin.get(f"/events/{eid}").json()["checkin_lists"]
    assert stored == [{"list_id": "main", "name": "入场", "roles": None},
                      {"list_id": "banquet", "name": "晚宴", "roles": ["nominee", "family"]},
                      {"list_id": "vip", "name": "贵宾区", "roles": None}]
    expect(lists).to_have_value("banquet 晚宴 候选人,家属\nvip 贵宾区")
    lists.fill("banquet 晚宴 藏家")  # not a role of an award ceremony: the server's message, inline
    form.get_by_role("button", name="保存修改").click()
    expect(form.locator("#ee-checkin_lists")).to_be_visible()
    assert axe_violations(phone) == [], format_violations(axe_violations(phone), "console lists")
