"""axe-core on every participant and staff page, in every state, at a phone and a desktop viewport.

One browser context (the session's Chromium, conftest's phone preset, axe preloaded) walks the
pages through their states; each state is checked at 390×844 and again resized to 1280×800 (the
stylesheet has only width media queries, no hover or pointer ones, so that is the desktop
layout), with a screenshot of each as test-artifacts/screenshots/a11y-<viewport>-<state>.png.
A test fails, after seeing all its states, if any has a serious or critical violation
(`axe_violations` in conftest.py: axe's WCAG 2.x A/AA and best-practice rules, target size,
and text over gradients). The events and tickets are made once, through the API; a state that
changes a ticket (cancelling, checking in) has its own.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from devtools.samples import event_body, registration_body
from tests.e2e.conftest import (
    BrowserLog,
    axe_violations,
    format_violations,
    new_phone_context,
    preload_axe,
    save_screenshot,
)

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
KINDS = ("award_ceremony", "collector_exchange")
FORM_STATES = ("open", "waitlist", "full", "not_open", "closed")
NOTICES = {"open": "剩余名额", "waitlist": "名额已满，可登记候补", "full": "本活动不设候补", "not_open": "报名尚未开始",
           "closed": "报名已截止"}


# --- what the pages show: made once, through the API -----------------------------------------

@pytest.fixture(scope="module")
def scenes(stack) -> dict[str, Any]:
    """The events and tickets every state needs, made through the API (a few requests at a time)."""

    def event(**overrides: Any) -> str:
        response = stack.admin().post("/events", json=event_body(**overrides))
        assert response.status_code == 201, response.text
        return response.json()["event_id"]

    def register(eid: str, kind: str = "award_ceremony", **overrides: Any) -> dict[str, Any]:
        response = stack.session().post(f"/events/{eid}/registrations", json=registration_body(kind, **overrides))
        assert response.status_code == 201, response.text
        return response.json()

    with ThreadPoolExecutor(max_workers=6) as pool:
        def together(jobs: dict[Any, Callable[[], Any]]) -> dict[Any, Any]:
            futures = {name: pool.submit(job) for name, job in jobs.items()}
            return {name: future.result() for name, future in futures.items()}

        award = {"title": "2026 十大孝星颁奖典礼", "venue": "市民中心大剧院", "max_party_size": 3}
        common = {"award_ceremony": award,
                  "collector_exchange": {"kind": "collector_exchange", "title": "全国红色收藏交流会",
                                         "venue": "革命历史纪念馆"}}
        windows = {"open": {"capacity": 20}, "waitlist": {"capacity": 1}, "full": {"capacity": 1, "waitlist": False},
                   "not_open": {"registration_opens_at": "2027-01-01T09:00:00+08:00"},
                   "closed": {"registration_opens_at": "2025-01-01T09:00:00+08:00",
                              "registration_closes_at": "2025-02-01T09:00:00+08:00"}}
        jobs: dict[Any, Callable[[], Any]] = {
            (kind, state): functools.partial(event, **common[kind], **windows[state])
            for kind in KINDS for state in FORM_STATES}
        jobs.update(roomy=functools.partial(event, **award, capacity=20),
                    tight=functools.partial(event, **award, capacity=1),
                    collector=functools.partial(event, **common["collector_exchange"]),
                    gate=functools.partial(event, **award, capacity=10))
        events = together(jobs)
        forms = {key: events[key] for key in jobs if isinstance(key, tuple)}
        roomy, gate = events["roomy"], events["gate"]

        jobs = {(kind, state): functools.partial(register, forms[kind, state], kind)  # they fill the one seat
                for kind in KINDS for state in ("waitlist", "full")}
        jobs.update({
            "seated": functools.partial(register, events["tight"]),
            "confirmed": functools.partial(register, roomy, name="李秀英", role="family", party_size=3),
            "collector": functools.partial(register, events["collector"], "collector_exchange",
                                           items=[{"name": "毛主席像章（1967）", "intent": "exhibit"}]),
            "cancelled": functools.partial(register, roomy),
            "checked_in": functools.partial(register, roomy, name="王五"),
            "staff": lambda: stack.admin().post(f"/events/{gate}/staff-tokens").json(),
        })
        jobs["to-cancel"] = functools.partial(register, roomy, name="孙七")  # cancelled on the page
        jobs["arrival"] = functools.partial(register, gate, name="王五", role="nominee", party_size=3)
        tickets = together(jobs)

        done = together({
            "waitlisted": functools.partial(register, events["tight"], name="周八"),
            "cancel": lambda: stack.session().post(f"/tickets/{tickets['cancelled']['ticket_token']}/cancel"),
            "check-in": lambda: stack.admin().post(f"/events/{roomy}/checkins",
                                                   json={"code": tickets["checked_in"]["ticket_url"]}),
        })
    assert done["waitlisted"]["status"] == "waitlisted"
    assert done["cancel"].status_code == 200 and done["check-in"].status_code in (200, 201), done
    tickets["waitlisted"] = done["waitlisted"]
    token = tickets["confirmed"]["ticket_token"]
    return {"forms": forms, "tickets": tickets, "gate": gate, "staff": tickets["staff"],
            "forged": token[:-2] + ("BB" if token.endswith("AA") else "AA")}


# --- one context; axe on each state at both sizes, all failures reported together ------------

@dataclass
class Audit:
    page: Any
    log: BrowserLog
    found: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def check(self, state: str, full_page: bool = True) -> None:
        """Runs axe on the page as it is now, at each viewport, and saves a screenshot of each."""
        for viewport, size in VIEWPORTS.items():
            self.page.set_viewport_size(size)
            self.found[f"{state} ({viewport})"] = axe_violations(self.page)
            save_screenshot(self.page, f"a11y-{viewport}-{state}", full_page=full_page, scale="css")
        self.page.set_viewport_size(VIEWPORTS["phone"])

    def assert_clean(self) -> None:
        failing = {where: violations for where, violations in self.found.items() if violations}
        assert not failing, "\n\n".join(format_violations(violations, where) for where, violations in failing.items())


@pytest.fixture(scope="module")
def screen(browser) -> Iterator[Audit]:
    """The module's page, in a phone context with axe put into every document it opens."""
    log = BrowserLog()
    context = new_phone_context(browser, log)
    preload_axe(context)
    yield Audit(context.new_page(), log)
    context.close()


@pytest.fixture
def audit(screen: Audit) -> Iterator[Audit]:
    """The module's page for one test; after it, nothing loaded from elsewhere, no script errors."""
    for seen in (screen.log.foreign_requests, screen.log.page_errors, screen.log.console_errors):
        seen.clear()  # the context's handlers hold this log: emptied, not replaced
    screen.found = {}
    yield screen
    assert not screen.log.problems(), screen.log.problems()


# --- the pages -------------------------------------------------------------------------------

def test_axe_gets_in_despite_the_pages_csp(phone, browser_log, stack):
    """The CSP refuses a <script> tag added to the page; axe_violations puts axe in all the same."""
    response = phone.goto(f"{stack.base_url}/privacy")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    with pytest.raises(PlaywrightError):
        phone.add_script_tag(content="window.injected = true")
    assert phone.evaluate("[typeof window.injected, typeof window.axe]") == ["undefined", "undefined"]
    browser_log.console_errors.clear()  # the refused tag, reported by Chromium
    assert axe_violations(phone, impact=None) == []
    assert phone.evaluate("axe.version") == "4.14.1"


def test_registration_forms(audit, scenes, stack):
    page = audit.page
    for kind in KINDS:
        short = "award" if kind == "award_ceremony" else "collector"
        for state in FORM_STATES:
            page.goto(f"{stack.base_url}/e/{scenes['forms'][kind, state]}")
            expect(page.locator(".seats")).to_contain_text(NOTICES[state])
            if state in ("open", "waitlist") and kind == "collector_exchange":
                page.get_by_role("button", name="＋ 添加藏品").click()
                expect(page.locator(".item-row")).to_have_count(1)
            audit.check(f"form-{short}-{state}")

        # The server's field errors, inline, after submitting the form empty (an item row half filled).
        page.goto(f"{stack.base_url}/e/{scenes['forms'][kind, 'open']}")
        if kind == "collector_exchange":
            page.get_by_role("button", name="＋ 添加藏品").click()
            page.locator(".item-row").get_by_label("类别").fill("粮票")
        page.get_by_role("button", name="提交报名").click()
        expect(page.locator("#form-error")).to_have_text("提交的内容有误，请检查标出的字段")
        expect(page.locator("#e-name")).to_be_visible()
        if kind == "collector_exchange":
            expect(page.locator('.item-row [data-field="name"] .error')).to_have_text("请填写藏品名称")
        audit.check(f"form-{short}-errors")
    audit.assert_clean()


def test_ticket_pages(audit, scenes, stack):
    page, tickets = audit.page, scenes["tickets"]
    for state, label in (("confirmed", "已确认"), ("collector", "已确认"), ("waitlisted", "候补中"),
                         ("cancelled", "已取消"), ("checked_in", "已签到")):
        page.goto(f"{stack.base_url}/t/{tickets[state]['ticket_token']}")
        expect(page.locator("#status")).to_have_text(label)
        if state in ("confirmed", "collector"):
            page.wait_for_function("document.getElementById('qr').naturalWidth > 0")
        audit.check(f"ticket-{state}")

    page.goto(f"{stack.base_url}/t/{tickets['to-cancel']['ticket_token']}")
    page.get_by_role("button", name="取消报名").click()
    expect(page.locator("#confirm")).to_be_visible()
    audit.check("ticket-cancel-confirm")
    page.get_by_role("button", name="确认取消").click()
    expect(page.locator("#status")).to_have_text("已取消")  # changed by the page script
    audit.check("ticket-cancelled-just-now")
    audit.assert_clean()


def test_privacy_and_not_found_pages(audit, scenes, stack):
    page = audit.page
    page.goto(f"{stack.base_url}/privacy")
    expect(page.locator("h1")).to_have_text("隐私声明")
    audit.check("privacy")
    for state, path, heading in (("404-event", "/e/no-such-event", "找不到这个活动"),
                                 ("404-ticket", f"/t/{scenes['forged']}", "电子票不存在")):
        assert page.goto(stack.base_url + path).status == 404
        expect(page.locator("h1")).to_have_text(heading)
        audit.check(state)
    audit.assert_clean()


def test_scanner_pages(audit, scenes, stack):
    page = audit.page
    page.clock.install()  # to hold a verdict on screen while axe looks (resumed at the end: time flows again)
    page.goto(f"{stack.base_url}/scan/{scenes['gate']}")
    expect(page.locator("#no-token")).to_be_visible()
    audit.check("scanner-no-token")

    page.goto(scenes["staff"]["scanner_url"])  # the same document, a #token= fragment
    expect(page.locator("#scanner")).to_be_visible()
    expect(page.locator("#counts")).not_to_have_text(re.compile("…"))
    expect(page.locator("#cam-status")).not_to_have_text(re.compile("正在打开"))  # no camera here
    audit.check("scanner-ready")

    # From here the page's timers run only when the test says: a verdict stays up while axe looks.
    page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)
    overlay = page.locator("#overlay")
    arrival = scenes["tickets"]["arrival"]
    for kind, code in (("ok", arrival["ticket_url"]), ("warn", arrival["ticket_token"]),
                       ("error", "HELLO-NOT-A-TICKET")):
        expect(page.locator("#code")).to_be_focused()
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        expect(overlay).to_have_class(re.compile(rf"\bis-{kind}\b"))
        audit.check(f"scanner-{kind}", full_page=False)
        page.clock.run_for(2000)  # the verdict hides itself
        expect(overlay).to_be_hidden()
    expect(page.locator("#history li")).to_have_count(3)
    audit.check("scanner-history")
    page.clock.resume()
    audit.assert_clean()
