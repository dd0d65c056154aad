"""Pure helpers of the pages: time formatting, escaping, page states, CSP-safe markup."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.events import Event
from chalicelib.domain.registrations import TicketEvent, TicketView
from chalicelib.web import pages

HOSTILE = '</script><script>alert(1)</script><!-- "\'&amp; \u2028'
EVENT = Event.from_mapping({
    "event_id": "demo-award", "kind": "award_ceremony", "title": "十大孝星颁奖典礼", "venue": "大剧院",
    "starts_at": "2026-12-26T19:00:00+08:00", "ends_at": "2026-12-26T21:30:00+08:00",
    "registration_opens_at": None, "registration_closes_at": None, "capacity": 10, "waitlist": True,
    "max_party_size": 1, "roles": ["nominee", "guest"], "retention_days": 90, "seats_confirmed": 3,
})
BEFORE = datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)
TICKET = TicketView(
    registration_id="01ABC",
    event=TicketEvent(event_id="demo-award", title="十大孝星颁奖典礼", venue="大剧院",
                      starts_at="2026-12-26T19:00:00+08:00"),
    name="张三", phone_masked="138****5678", role="guest", party_size=2, status="confirmed",
    checked_in_at=None,
)
TOKEN = "DEMO-AWARD.B0123456789ABCDEFGABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCD"


class Scripts(HTMLParser):
    """The <script> elements of a page, their attributes and contents; and any on* handlers."""

    def __init__(self, html: str):
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.handlers: list[str] = []
        self._open: dict[str, str | None] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data):
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


def page_data(html: str):
    [(attrs, text)] = [(a, t) for a, t in Scripts(html).scripts if a.get("id") == "page-data"]
    assert attrs.get("type") == "application/json"
    return json.loads(text)


def assert_csp_safe(html: str) -> None:
    """script-src 'self': every executable script is an external file, no inline handlers."""
    parsed = Scripts(html)
    assert not parsed.handlers
    for attrs, text in parsed.scripts:
        if attrs.get("type") == "application/json":
            assert "</" not in text and "<!--" not in text
        else:
            assert attrs.get("src", "").startswith("../static/") and not text.strip()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from another host


@pytest.mark.parametrize("value, shown", [
    ("2026-12-26T19:00:00+08:00", "2026年12月26日 19:00"),
    ("2026-12-26T11:00:00+00:00", "2026年12月26日 19:00"),
    ("2026-12-26T20:30:00Z", "2026年12月27日 04:30"),
    ("2027-03-01T09:05:00+08:00", "2027年3月1日 09:05"),
])
def test_times_are_shown_in_shanghai(value, shown):
    assert pages.format_time(value) == shown


def test_time_ranges():
    assert pages.format_range("2026-12-26T19:00:00+08:00", "2026-12-26T21:30:00+08:00") == \
        "2026年12月26日（周六）19:00–21:30"
    assert pages.format_range("2026-12-26T19:00:00+08:00", "2026-12-27T10:00:00+08:00") == \
        "2026年12月26日（周六）19:00 至 2026年12月27日 10:00"
    assert pages.format_range("2026-12-26T11:00:00Z", None) == "2026年12月26日（周六）19:00"
    # On the pages the clock times stay on one line.
    assert '<dd>2026年12月26日（周六）<span class="nw">19:00–21:30</span></dd>' in \
        pages.render_registration(EVENT, BEFORE)
    assert '<dd>2026年12月26日（周六）<span class="nw">19:00</span></dd>' in pages.render_ticket(TOKEN, TICKET)


def test_script_json_cannot_close_its_block():
    text = pages.script_json({"title": HOSTILE})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"title": HOSTILE}


def test_hostile_event_title_is_escaped_in_the_form_page():
    html = pages.render_registration(EVENT.changed(title=HOSTILE, venue='<img src=x onerror="alert(2)">'), BEFORE)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert page_data(html)["title"] == HOSTILE
    assert_csp_safe(html)
    sources = [a.get("src", "").split("?")[0] for a, _ in Scripts(html).scripts if a.get("src")]
    assert sources == ["../static/register.js", "../static/register-sms.js"]


def test_hostile_values_are_escaped_in_the_ticket_and_scanner_pages():
    ticket = replace(TICKET, name=HOSTILE, event=replace(TICKET.event, title=HOSTILE, venue=HOSTILE))
    html = pages.render_ticket(TOKEN, ticket)
    assert "<script>alert" not in html
    assert html.count("&lt;/script&gt;&lt;script&gt;alert(1)") == 4  # <title>, h1, venue, name
    assert_csp_safe(html)
    scanner = pages.render_scanner(EVENT.changed(title=HOSTILE))
    assert "<script>alert" not in scanner
    assert page_data(scanner)["title"] == HOSTILE
    assert_csp_safe(scanner)


def test_registration_states():
    assert pages.registration_state(EVENT, BEFORE) == "open"
    full = EVENT.changed(seats_confirmed=10)
    assert pages.registration_state(full, BEFORE) == "waitlist"
    assert pages.registration_state(full.changed(waitlist=False), BEFORE) == "full"
    opens_later = EVENT.changed(registration_opens_at="2026-12-02T00:00:00+08:00")
    assert pages.registration_state(opens_later, BEFORE) == "not_open"
    closed_before = EVENT.changed(registration_closes_at="2026-11-30T00:00:00+08:00")
    assert pages.registration_state(closed_before, BEFORE) == "closed"
    after = datetime(2026, 12, 26, 21, 30, tzinfo=SHANGHAI)
    assert pages.registration_state(EVENT, after) == "closed"  # closes when the event ends


@pytest.mark.parametrize("changes, notice", [
    ({"seats_confirmed": 10}, "名额已满，可登记候补"),
    ({"seats_confirmed": 10, "waitlist": False}, "名额已满"),
    ({"registration_opens_at": "2026-12-05T10:00:00+08:00"}, "报名尚未开始"),
    ({"registration_closes_at": "2026-11-30T00:00:00+08:00"}, "报名已截止"),
])
def test_form_page_notices(changes, notice):
    html = pages.render_registration(EVENT.changed(**changes), BEFORE)
    assert notice in html
    form_expected = "可登记候补" in notice
    assert ('id="reg-form"' in html) is form_expected
    assert ("register.js" in html) is form_expected
    if "尚未开始" in notice:
        assert "将于 2026年12月5日 10:00 开放报名" in html


def test_form_fields_follow_the_event():
    award = pages.render_registration(EVENT, BEFORE)
    assert "剩余名额 <strong>7</strong>" in award
    assert re.findall(r'name="role" value="(\w+)"', award) == ["nominee", "guest"]
    assert "候选人" in award and "嘉宾" in award and "媒体" not in award
    assert 'name="party_size"' not in award  # max_party_size 1
    assert "item-template" not in award
    assert 'inputmode="numeric"' in award and 'autocomplete="tel"' in award
    assert re.search(r'<input type="checkbox" id="f-consent"[^>]*>', award).group(0).find("checked") < 0
    assert 'href="../privacy"' in award and "活动结束后 90 天内删除" in award
    collector = pages.render_registration(EVENT.changed(kind="collector_exchange", roles=["collector", "visitor"],
                                                        max_party_size=4), BEFORE)
    assert 'id="item-template"' in collector and 'id="add-item"' in collector
    assert re.findall(r'<option value="(\d+)">', collector) == ["1", "2", "3", "4"]
    assert all(label in collector for label in ("展示", "交换", "捐赠", "藏品名称", "类别", "年代"))


@pytest.mark.parametrize("status, checked_in_at, label, shows_qr, cancellable", [
    ("confirmed", None, "已确认", True, True),
    ("waitlisted", None, "候补中", True, True),
    ("cancelled", None, "已取消", False, False),
    ("confirmed", "2026-12-26T18:42:00+08:00", "已签到", True, False),
])
def test_ticket_states(status, checked_in_at, label, shows_qr, cancellable):
    html = pages.render_ticket(TOKEN, replace(TICKET, status=status, checked_in_at=checked_in_at))
    assert f'id="status">{label}</p>' in html
    assert ('id="qr-block" hidden' not in html) is shows_qr
    assert (f'src="../tickets/{TOKEN}/qr.png"' in html)
    assert ('id="cancel"' in html) is cancellable
    assert "138****5678" in html and "2 人" in html and "嘉宾" in html
    if status == "waitlisted":
        assert "入场" not in html
    if checked_in_at:
        assert "2026年12月26日 18:42" in html


def test_privacy_page_is_versioned():
    html = pages.render_privacy("2026-11-01<b>")
    assert "版本：2026-11-01&lt;b&gt;" in html
    assert "180 天" in html and "联系方式" in html
    assert_csp_safe(html)


def test_not_found_page():
    html = pages.render_not_found("找不到这个活动", "活动不存在")
    assert "<h1>找不到这个活动</h1>" in html and 'lang="zh-CN"' in html
    assert_csp_safe(html)


def test_assets_are_relative_and_versioned():
    url = pages.asset_url("app.css")
    assert re.fullmatch(r"\.\./static/app\.css\?v=[0-9a-f]{10}", url)
    assert pages.asset_url("jsQR.js").startswith("../static/jsQR.js")
    content, content_type = pages.static_asset("register.js")
    assert content_type == "text/javascript; charset=utf-8" and b"Idempotency-Key" in content
    assert pages.static_asset("app.css")[1] == "text/css; charset=utf-8"
    for bad in ("../pages.py", ".hidden", "a/b.js", "missing.js"):
        with pytest.raises(pages.NotFound):
            pages.static_asset(bad)


def test_scripts_never_build_html_from_strings():
    """Everything the scripts show goes through textContent: no innerHTML, no eval."""
    for name in ("register.js", "register-sms.js", "register-questions.js", "admin-messages.js", "ticket.js", "scan.js"):
        source = (pages.STATIC_DIR / name).read_text("utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function", source)


def test_form_assets_stay_small():
    """The form's own files leave room in the 50 KB budget for the HTML (measured in e2e)."""
    size = sum((pages.STATIC_DIR / name).stat().st_size for name in ("app.css", "register.js", "register-sms.js"))
    assert size < 30 * 1024


def test_jinja2_is_imported_on_the_first_render_only():
    """Cold starts: importing the pages module (as app.py does) must not import Jinja2."""
    code = ("import sys; from chalicelib.web import pages; assert 'jinja2' not in sys.modules; "
            "pages.render_not_found('a', 'b'); assert 'jinja2' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
