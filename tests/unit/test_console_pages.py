"""The organiser console's two page shells (SPEC §4), rendered without I/O: every label the
spec names, nothing executable inline, and relative URLs right at both depths (so they keep
API Gateway's stage prefix)."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from chalicelib.web import pages

STAGE = "https://abc.execute-api.ap-east-1.amazonaws.com/api"
HOSTILE_ID = "a-<b>-x"


class Page(HTMLParser):
    """What a test needs from a page: labels, URLs, scripts, handlers, ids, element texts."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.labels: dict[str, str] = {}  # id → label text
        self.urls: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.handlers: list[str] = []
        self.ids: list[str] = []
        self.controls: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self._label: tuple[str | None, list[str]] | None = None
        self._script: dict[str, str | None] | None = None
        self._wrapped: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if attributes.get("id"):
            self.ids.append(attributes["id"] or "")
        for name in ("href", "src", "action"):
            if attributes.get(name) and not (tag == "form" and name == "action"):
                self.urls.append(attributes[name] or "")
        if tag == "script":
            self._script = attributes
            self.scripts.append((attributes, ""))
        if tag == "label":
            self._label = (attributes.get("for"), [])
        if tag in ("input", "select", "textarea", "button"):
            self.controls.append((tag, attributes))
            if self._label is not None and self._label[0] is None:
                self._wrapped.append(attributes)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None
        if tag == "label" and self._label is not None:
            target, parts = self._label
            text = "".join(parts).strip()
            if target:
                self.labels[target] = text
            for attributes in self._wrapped:
                self.labels[f"wrapped:{attributes.get('name')}:{attributes.get('value')}"] = text
            self._label, self._wrapped = None, []

    def handle_data(self, data):
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        if self._label is not None:
            self._label[1].append(data)
        if data.strip():
            self.texts.append(data.strip())


def page_data(parsed: Page) -> dict:
    [(attrs, text)] = [(a, t) for a, t in parsed.scripts if a.get("id") == "page-data"]
    assert attrs.get("type") == "application/json"
    assert "</" not in text and "<!--" not in text
    return json.loads(text)


@pytest.fixture(scope="module")
def admin_html() -> str:
    return pages.render_admin()


@pytest.fixture(scope="module")
def event_html() -> str:
    return pages.render_admin_event("award-2027")


def test_both_pages_are_zh_cn_and_csp_safe(admin_html, event_html):
    for html, scripts in ((admin_html, ["admin.js", "admin-list.js"]), (event_html, ["admin.js", "admin-guests.js", "admin-event.js"])):
        assert '<html lang="zh-CN">' in html
        parsed = Page(html)
        assert not parsed.handlers  # no onclick= etc.
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from another host
        assert "javascript:" not in html
        executable = [(attrs, text) for attrs, text in parsed.scripts if attrs.get("type") != "application/json"]
        assert all(attrs.get("src") and not text.strip() for attrs, text in executable)  # no inline code
        assert all("defer" in attrs for attrs, _ in executable)
        assert [urlsplit(attrs["src"]).path.rsplit("/", 1)[-1] for attrs, _ in executable] == scripts
        # The QR encoder is never in the first load: the gates panel loads it when opened.
        assert "qrcode-generator" not in " ".join(attrs.get("src") or "" for attrs, _ in executable)
        assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"


@pytest.mark.parametrize("page_path, fixture", [("/admin", "admin_html"), ("/admin/events/award-2027", "event_html")])
def test_relative_urls_keep_the_stage_prefix(page_path, fixture, request):
    html = request.getfixturevalue(fixture)
    parsed = Page(html)
    page_url = STAGE + page_path
    urls = [url for url in parsed.urls if not url.startswith("#")]
    assert urls
    for url in urls:
        assert not url.startswith("/"), url  # root-relative would drop /api
        resolved = urljoin(page_url, url)
        assert resolved.startswith(STAGE + "/"), (url, resolved)
    resolved = {urlsplit(urljoin(page_url, url)).path for url in urls}
    assert "/api/static/app.css" in resolved and "/api/static/admin.css" in resolved
    assert "/api/admin" in resolved  # the brand / back link to the event list
    data = page_data(parsed)
    assert urljoin(page_url, data["root"] + "events") == STAGE + "/events"
    assert data["kind_roles"]["award_ceremony"] == ["nominee", "family", "guest", "media", "volunteer", "audience"]
    assert data["roles_zh"]["collector"] == "藏家"


def test_assets_carry_a_content_hash_at_both_depths(admin_html, event_html):
    assert re.search(r'href="\./static/app\.css\?v=[0-9a-f]{10}"', admin_html)
    assert re.search(r'href="\./static/admin\.css\?v=[0-9a-f]{10}"', admin_html)
    assert re.search(r'src="\./static/admin\.js\?v=[0-9a-f]{10}"', admin_html)
    assert re.search(r'href="\.\./\.\./static/app\.css\?v=[0-9a-f]{10}"', event_html)
    assert re.search(r'src="\.\./\.\./static/admin-event\.js\?v=[0-9a-f]{10}"', event_html)
    data = page_data(Page(event_html))
    assert re.fullmatch(r"\.\./\.\./static/qrcode-generator\.js\?v=[0-9a-f]{10}", data["qr_lib"])
    assert data["event_id"] == "award-2027" and data["root"] == "../../"
    # The participant pages' asset URLs did not move.
    assert pages.asset_url("app.css").startswith("../static/app.css?v=")


def test_sign_in_field_and_no_token_in_any_url(admin_html, event_html):
    for html in (admin_html, event_html):
        parsed = Page(html)
        assert parsed.labels["admin-token"] == "管理员令牌"
        [(_, token_input)] = [(tag, a) for tag, a in parsed.controls if a.get("id") == "admin-token"]
        assert token_input.get("type") == "password"
        assert "name" not in token_input  # never submitted as a form field, so never in a URL
        assert "登录" in parsed.texts and "退出" in parsed.texts


def test_event_form_labels(admin_html, event_html):
    expected = {"ef-title": "标题*", "ef-venue": "地点*", "ef-starts_at": "开始时间*", "ef-ends_at": "结束时间*",
                "ef-capacity": "名额*", "ef-event_id": "活动编号选填", "ef-registration_opens_at": "报名开始时间选填",
                "ef-registration_closes_at": "报名截止时间选填", "ef-max_party_size": "每份报名最多人数选填",
                "ef-retention_days": "个人信息保存天数选填"}
    for html in (admin_html, event_html):
        parsed = Page(html)
        for control_id, label in expected.items():
            if control_id == "ef-event_id" and html is event_html:
                assert parsed.labels[control_id] == "活动编号"  # read only when editing
                continue
            assert parsed.labels[control_id] == label, control_id
        assert parsed.labels["ef-waitlist"].startswith("候补")
        assert parsed.labels["wrapped:kind:award_ceremony"] == "颁奖典礼"
        assert parsed.labels["wrapped:kind:collector_exchange"] == "收藏交流会"
        award_roles = ["候选人", "家属", "嘉宾", "媒体", "志愿者", "观众"]
        collector_roles = ["藏家", "参观者", "媒体", "志愿者"]
        assert [parsed.labels[f"wrapped:roles:{r}"] for r in ("nominee", "family", "guest", "audience")] == [
            award_roles[0], award_roles[1], award_roles[2], award_roles[5]]
        assert [parsed.labels[f"wrapped:roles:{r}"] for r in ("collector", "visitor")] == collector_roles[:2]
        assert "类型" in parsed.texts and "身份" in parsed.texts
        for field in ("title", "venue", "starts_at", "ends_at", "capacity", "roles", "kind", "waitlist"):
            assert f'id="ee-{field}" role="alert"' in html  # the server's messages land here
        types = {a.get("id"): a.get("type") for _, a in parsed.controls}
        assert all(types[f"ef-{name}"] == "datetime-local" for name in (
            "starts_at", "ends_at", "registration_opens_at", "registration_closes_at"))
    create, edit = Page(admin_html), Page(event_html)
    assert "创建活动" in create.texts and "新建活动" in create.texts
    assert "保存修改" in edit.texts
    kinds = [a for tag, a in edit.controls if a.get("name") == "kind"]
    assert kinds and all("disabled" in a for a in kinds)  # the kind is fixed once created
    assert "readonly" in next(a for _, a in edit.controls if a.get("id") == "ef-event_id")


def test_event_page_sections_and_controls(event_html):
    parsed = Page(event_html)
    tabs = re.findall(r'<a href="#(\w+)" data-tab="\w+"[^>]*>([^<]+)</a>', event_html)
    assert tabs == [("overview", "概览"), ("edit", "编辑"), ("attendees", "报名名单"), ("gates", "签到口"),
                    ("guests", "邀请与导入"), ("audit", "日志")]
    assert parsed.labels["q"] == "搜索"
    assert parsed.labels["status-filter"] == "状态" and parsed.labels["role-filter"] == "身份"
    assert parsed.labels["gate-label"] == "签到口名称"
    assert parsed.labels["gate-url"] == "签到链接"
    assert parsed.labels["public-url"] == "公开报名表"
    for text in ("下载 Excel", "下载 CSV", "新建签到链接", "上一页", "下一页", "已确认", "候补中", "已取消", "全部"):
        assert text in parsed.texts, text
    assert 'id="confirm-dialog"' in event_html and "<dialog" in event_html
    # Every button has text; every input/select/textarea has a label.
    for tag, attrs in parsed.controls:
        if tag == "button" or attrs.get("type") in ("radio", "checkbox"):
            continue
        assert attrs.get("id") in parsed.labels, attrs
    assert "../../e/award-2027" in parsed.urls  # the public form, relative


def test_event_id_is_escaped():
    html = pages.render_admin_event(HOSTILE_ID)
    assert "<b>" not in html
    assert page_data(Page(html))["event_id"] == HOSTILE_ID
