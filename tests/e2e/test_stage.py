"""The stage manager's board (/admin/events/{id}/stage, SPEC §9) in a real headless Chromium at a
390×844 phone: signed in with the admin token, per award each nominee 未到 / 已到 with seat and
companions, not yet arrived first; a check-in at the gate shows up within one refresh (≤ 10 s)
and moves the nominee down; a gate's staff token in the link's fragment opens it without the
admin token (and a revoked one says so); a failed refresh keeps the last data, marked as stale.
Every state is screenshot (test-artifacts/screenshots/stage-*.png) and checked with axe-core."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from devtools.samples import registration_body
from tests.e2e.conftest import axe_violations, format_violations, new_phone_context, save_screenshot
from tests.e2e.test_console import PAGE_HOOKS, log, register, settle, sign_in  # noqa: F401 (log: a fixture)

AWARDS = [
    {"award_id": "xiaoxing", "name": "十大孝星", "slots": 10},
    {"award_id": "fuqi", "name": "十大恩爱夫妻", "slots": 2},
]
REFRESH_TIMEOUT_MS = 10_000  # the board refreshes at least every 10 s (it does every 5 s)


def check(page, name: str) -> None:
    settle(page)
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name}: scrolls sideways"
    save_screenshot(page, f"stage-{name}")
    violations = axe_violations(page)
    assert not violations, format_violations(violations, name)


@pytest.fixture
def board_page(browser, log) -> Iterator[Any]:
    context = new_phone_context(browser, log)
    context.add_init_script(PAGE_HOOKS)
    page = context.new_page()
    yield page
    context.close()
    # A refused refresh (the test's own network cut, a revoked link) is logged by Chromium as a failed fetch.
    problems = [p for p in log.problems() if "net::ERR_FAILED" not in p]
    assert not problems, problems


@pytest.fixture
def ceremony(make_event, admin, public) -> dict[str, Any]:
    eid = make_event(title="第三届十大孝星颁奖典礼", capacity=50, max_party_size=2, awards=AWARDS)["event_id"]
    bodies = {
        "wang": {"role": "nominee", "award_id": "xiaoxing", "name": "王秀英"},
        "li": {"role": "nominee", "award_id": "xiaoxing", "name": "李建国"},
        "zhang": {"role": "nominee", "award_id": "fuqi", "name": "张伟与刘芳", "party_size": 2},
        "wang_son": {"role": "family", "name": "王小明"},
        "wang_daughter": {"role": "family", "name": "王小红"},
    }
    people = {key: register(public, eid, **body)["registration_id"] for key, body in bodies.items()}
    for rid, seat in ((people["wang"], "A区1排5座"), (people["li"], "A区1排6座"), (people["zhang"], "A区2排1座")):
        assert admin.patch(f"/events/{eid}/registrations/{rid}", json={"seat": seat}).status_code == 200
    for who in ("wang_son", "wang_daughter"):
        response = admin.patch(f"/events/{eid}/registrations/{people[who]}", json={"companion_of": people["wang"]})
        assert response.status_code == 200
    return {"event_id": eid, **people}


def nominee(page, name: str):
    return page.locator(".nominee").filter(has=page.locator(".who", has_text=name))


def test_board_with_the_admin_token_refreshes_after_a_check_in(board_page, stack, admin, ceremony):
    page, eid = board_page, ceremony["event_id"]
    page.goto(f"{stack.base_url}/admin/events/{eid}/stage")
    expect(page.get_by_label("管理员令牌")).to_be_visible()
    check(page, "signin")
    sign_in(page, stack.admin_token)
    expect(page.locator("#stage-title")).to_have_text("第三届十大孝星颁奖典礼")
    first_award = page.locator(".award").first
    expect(first_award.locator("h2")).to_contain_text("十大孝星")
    expect(first_award.locator(".award-count")).to_have_text("已到 0 / 2")
    wang = nominee(page, "王秀英")
    expect(wang.locator(".state")).to_have_text("未到")
    expect(wang).to_contain_text("A区1排5座")
    expect(wang.locator(".comp")).to_have_text("陪同 0/2 到")
    expect(nominee(page, "李建国").locator(".comp")).to_have_text("无陪同")
    # In registration order while nobody is in.
    expect(first_award.locator(".who")).to_have_text(["王秀英", "李建国"])
    expect(page.locator("#stage-total")).to_have_text("候选人已到 0 / 3")
    expect(page.locator("#stage-updated")).to_contain_text("每 5 秒自动刷新")
    # The big type a phone held backstage needs.
    assert float(wang.locator(".who").evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")) >= 24
    check(page, "board")

    # 王秀英 and one of her companions come through the gate: the board shows it without a reload,
    # and moves her below the nominee not yet in the hall.
    for who in ("wang", "wang_son"):
        answer = admin.post(f"/events/{eid}/checkins", json={"registration_id": ceremony[who]})
        assert answer.status_code == 200
    expect(wang.locator(".state")).to_have_text("已到", timeout=REFRESH_TIMEOUT_MS)
    expect(wang.locator(".comp")).to_have_text("陪同 1/2 到")
    expect(first_award.locator(".who")).to_have_text(["李建国", "王秀英"])
    expect(first_award.locator(".award-count")).to_have_text("已到 1 / 2")
    expect(page.locator("#stage-total")).to_have_text("候选人已到 1 / 3")
    check(page, "after-checkin")

    # The network drops: the last data stays, marked as stale, and the board says so.
    page.context.route("**/programme", lambda route: route.abort())
    expect(page.locator("#stage-error")).to_contain_text("网络连接中断", timeout=REFRESH_TIMEOUT_MS)
    expect(page.locator("#stage-updated")).to_contain_text("未能刷新")
    expect(wang.locator(".state")).to_have_text("已到")
    check(page, "stale")
    page.context.unroute("**/programme")
    expect(page.locator("#stage-error")).to_be_hidden(timeout=REFRESH_TIMEOUT_MS)
    # The token stayed in this tab's sessionStorage only.
    assert page.evaluate("localStorage.length") == 0
    assert stack.admin_token not in page.url


def test_board_with_a_staff_link_and_its_revocation(board_page, stack, admin, ceremony):
    page, eid = board_page, ceremony["event_id"]
    issued = admin.post(f"/events/{eid}/staff-tokens", json={"label": "舞台监督"}).json()
    page.goto(f"{stack.base_url}/admin/events/{eid}/stage#token={issued['token']}")
    expect(nominee(page, "张伟与刘芳").locator(".state")).to_have_text("未到")
    expect(page.get_by_label("管理员令牌")).to_be_hidden()
    assert "#" not in page.url and issued["token"] not in page.url  # the fragment is dropped
    assert page.evaluate(f"localStorage.getItem('baoming:stage:{eid}')") == issued["token"]
    assert page.evaluate("sessionStorage.length") == 0
    # The award with fewer nominees than places says so.
    expect(page.locator(".award").nth(1).locator(".award-note")).to_contain_text("名额 2 位")
    # Jump links to each award.
    expect(page.get_by_role("navigation", name="跳到奖项").get_by_role("link")).to_have_count(2)

    # Reopened later without the fragment, the same phone still shows the board.
    page.goto(f"{stack.base_url}/admin/events/{eid}/stage")
    expect(nominee(page, "王秀英")).to_be_visible()

    assert admin.delete(f"/events/{eid}/staff-tokens/{issued['token_id']}").status_code == 204
    expect(page.locator("#stage-token-problem")).to_be_visible(timeout=REFRESH_TIMEOUT_MS)
    expect(page.locator("#board")).to_be_hidden()
    assert page.evaluate(f"localStorage.getItem('baoming:stage:{eid}')") is None
    check(page, "revoked")
    page.get_by_role("button", name="用管理员令牌登录").click()
    sign_in(page, stack.admin_token)
    expect(nominee(page, "王秀英")).to_be_visible()


def test_board_of_an_event_without_awards(board_page, stack, make_event):
    page = board_page
    eid = make_event(title="没有奖项的活动")["event_id"]
    page.goto(f"{stack.base_url}/admin/events/{eid}/stage")
    sign_in(page, stack.admin_token)
    expect(page.locator("#stage-empty")).to_be_visible()
    check(page, "empty")


def test_a_nominee_picks_an_award_on_the_form_and_sees_the_seat_on_the_ticket(board_page, stack, admin, make_event, db):
    page = board_page
    eid = make_event(title="带奖项的颁奖典礼", awards=AWARDS, roles=["nominee", "family"])["event_id"]
    page.goto(f"{stack.base_url}/e/{eid}")
    award = page.get_by_label("奖项")
    expect(award).to_be_hidden()  # only nominees choose an award
    page.get_by_label("姓名").fill("陈候选")
    page.get_by_label("手机号").fill("13912340001")
    page.locator(".chip", has_text="候选人").click()
    expect(award).to_be_visible()
    assert award.locator("option").all_text_contents() == ["请选择奖项", "十大孝星", "十大恩爱夫妻"]
    page.locator(".check", has_text="我已阅读并同意").click()
    page.get_by_role("button", name="提交报名").click()
    expect(page.locator("#e-award_id")).to_contain_text("请选择候选人所属的奖项")  # the server's message, inline
    check(page, "form-award-missing")
    award.select_option(label="十大恩爱夫妻")
    page.get_by_role("button", name="提交报名").click()
    page.wait_for_url(re.compile(r"/t/[A-Z0-9.-]+$"))
    [stored] = db.of_type(eid, "REG#")
    assert stored["award_id"] == "fuqi" and stored["role"] == "nominee"
    assert admin.patch(f"/events/{eid}/registrations/{stored['registration_id']}",
                       json={"seat": "贵宾席1号"}).status_code == 200
    page.reload()
    expect(page.locator(".ticket")).to_contain_text("贵宾席1号")
    check(page, "ticket-seat")


def test_the_scanner_shows_the_seat(board_page, stack, admin, public, make_event):
    from tests.e2e.test_pages import scan_with_keyboard

    page = board_page
    eid = make_event()["event_id"]
    ticket = public.post(f"/events/{eid}/registrations", json=registration_body(name="周嘉宾")).json()
    assert admin.patch(f"/events/{eid}/registrations/{ticket['registration_id']}",
                       json={"seat": "第3桌"}).status_code == 200
    staff = admin.post(f"/events/{eid}/staff-tokens", json={"label": "东门"}).json()
    page.goto(staff["scanner_url"])
    scan_with_keyboard(page, ticket["ticket_url"])
    overlay = page.locator("#overlay")
    expect(overlay).to_contain_text("签到成功")
    expect(overlay).to_contain_text("嘉宾 · 1 人 · 座位 第3桌")
    save_screenshot(page, "stage-scanner-seat", full_page=False)
