"""The participant and staff pages (zh-CN, mobile first), served by the app itself.

Everything a page needs comes from the app (no CDN, no web fonts); URLs are relative so
the pages work under API Gateway's stage prefix. Each page function returns (status, html).

Pages are rendered here, server side, with every interpolated value passed through
`html.escape`; what the page scripts need goes into a non-executable
`<script type="application/json" id="page-data">` block (the CSP allows no inline code).
The `render_*` functions are pure (a dict in, HTML out) so they can be tested without I/O.
"""
from __future__ import annotations

import functools
import hashlib
import json
import mimetypes
import re
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any, Iterable, Mapping

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain import events as domain_events
from chalicelib.domain import registrations as domain_registrations
from chalicelib.domain.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent / "static"
_ASSET_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,80}")

KIND_LABELS_ZH = {domain_events.AWARD_CEREMONY: "颁奖典礼", domain_events.COLLECTOR_EXCHANGE: "藏品交流会"}
INTENT_LABELS_ZH = {"exhibit": "展示", "exchange": "交换", "donate": "捐赠"}
MAX_ITEMS = 20
WEEKDAYS_ZH = "一二三四五六日"


# --- small pure helpers -------------------------------------------------------------------

def e(value: Any) -> str:
    """HTML-escaped text (quotes too, so it is safe inside attribute values)."""
    return escape("" if value is None else str(value), quote=True)


def script_json(data: Any) -> str:
    """JSON for a <script type="application/json"> block: `<`, `>` and `&` as \\u escapes, so
    no `</script>` or `<!--` can end the block early; U+2028/2029 escaped for old parsers."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, replacement in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                              ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, replacement)
    return text


def _shanghai(value: str | datetime) -> datetime:
    moment = clock.parse_iso(value) if isinstance(value, str) else value
    return moment.astimezone(clock.SHANGHAI)


def format_time(value: str | datetime) -> str:
    """`2026年12月26日 19:00` in Asia/Shanghai, whatever offset the value carries."""
    moment = _shanghai(value)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def format_range(starts: str, ends: str | None) -> str:
    """`2026年12月26日（周六）19:00–21:30`; both dates when the event spans days."""
    start = _shanghai(starts)
    weekday = f"（周{WEEKDAYS_ZH[start.weekday()]}）"
    text = f"{start.year}年{start.month}月{start.day}日{weekday}{start:%H:%M}"
    if not ends:
        return text
    end = _shanghai(ends)
    if end.date() == start.date():
        return f"{text}–{end:%H:%M}"
    return f"{text} 至 {format_time(end)}"


class Html(str):
    """Markup built here from escaped parts: inserted as is."""


def when_html(starts: str, ends: str | None) -> Html:
    """format_range with the clock times kept on one line."""
    text = format_range(starts, ends)
    split = text.index("）") + 1
    return Html(f'{e(text[:split])}<span class="nw">{e(text[split:])}</span>')


def role_label(role: str) -> str:
    return domain_events.ROLE_LABELS_ZH.get(role, role)


def registration_state(event: Mapping[str, Any], moment: datetime) -> str:
    """`not_open`, `closed`, `open`, `waitlist` (full, waitlist on) or `full` (no waitlist)."""
    return event.registration_state(moment)


@functools.lru_cache(maxsize=32)
def asset_url(name: str) -> str:
    """Relative URL of a static asset with a content hash, so a deploy is never hidden by caches."""
    for folder in (STATIC_DIR, STATIC_DIR / "vendor"):
        path = folder / name
        if path.is_file():
            return f"../static/{name}?v={hashlib.sha256(path.read_bytes()).hexdigest()[:10]}"
    return f"../static/{name}"


# --- layout ---------------------------------------------------------------------------------

def layout(title: str, body: str, *, page_class: str = "", scripts: Iterable[str] = (),
           page_data: Any = None) -> str:
    data = (f'<script type="application/json" id="page-data">{script_json(page_data)}</script>\n'
            if page_data is not None else "")
    tags = "".join(f'<script src="{e(asset_url(name))}" defer></script>\n' for name in scripts)
    return (
        "<!doctype html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">\n'
        '<meta name="format-detection" content="telephone=no">\n'
        '<meta name="theme-color" content="#b3261e">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{e(title)}</title>\n"
        f'<link rel="stylesheet" href="{e(asset_url("app.css"))}">\n'
        f'</head>\n<body class="{e(page_class)}">\n{body}\n{data}{tags}</body>\n</html>\n'
    )


def render_not_found(heading: str, detail: str) -> str:
    body = (
        '<main class="page narrow">\n<section class="card notice-page">\n'
        '<p class="big-icon" aria-hidden="true">?</p>\n'
        f"<h1>{e(heading)}</h1>\n<p>{e(detail)}</p>\n"
        '<p class="muted small">错误代码 404</p>\n'
        "</section>\n</main>"
    )
    return layout(heading, body, page_class="p-404")


def _facts(rows: Iterable[tuple[str, str]], extra_class: str = "") -> str:
    """A definition list of label → value; values are escaped unless they are Html."""
    items = "".join(f"<div><dt>{e(label)}</dt><dd>{value if isinstance(value, Html) else e(value)}</dd></div>"
                    for label, value in rows)
    return f'<dl class="facts {extra_class}">{items}</dl>'


# --- /e/{event_id}: the registration form ----------------------------------------------------

def _field(name: str, label: str, control: str, *, required: bool = False, hint: str = "") -> str:
    star = '<span class="req" aria-hidden="true">*</span>' if required else ""
    optional = "" if required else '<span class="opt">选填</span>'
    hint_html = f'<p class="hint">{e(hint)}</p>' if hint else ""
    return (f'<div class="field" data-field="{name}">'
            f'<label for="f-{name}">{e(label)}{star}{optional}</label>{control}{hint_html}'
            f'<p class="error" id="e-{name}" role="alert" hidden></p></div>\n')


def _input(name: str, **attrs: Any) -> str:
    rendered = "".join(f' {key.replace("_", "-")}="{e(value)}"' for key, value in attrs.items())
    return f'<input id="f-{name}" name="{name}" aria-describedby="e-{name}"{rendered}>'


def _item_template() -> str:
    options = "".join(f'<option value="{key}">{label}</option>' for key, label in INTENT_LABELS_ZH.items())
    return (
        '<template id="item-template"><div class="item-row" data-row>'
        '<div class="item-head"><strong class="item-no">藏品</strong>'
        '<button type="button" class="link-btn remove-item">删除</button></div>'
        '<div class="field" data-field="name"><label data-for="name">藏品名称'
        '<span class="req" aria-hidden="true">*</span></label>'
        '<input data-name="name" maxlength="50" autocomplete="off" placeholder="如：1958年纪念章">'
        '<p class="error" role="alert" hidden></p></div>'
        '<div class="grid2">'
        '<div class="field" data-field="category"><label data-for="category">类别<span class="opt">选填</span></label>'
        '<input data-name="category" maxlength="30" autocomplete="off" placeholder="如：徽章">'
        '<p class="error" role="alert" hidden></p></div>'
        '<div class="field" data-field="era"><label data-for="era">年代<span class="opt">选填</span></label>'
        '<input data-name="era" maxlength="30" autocomplete="off" placeholder="如：1950年代">'
        '<p class="error" role="alert" hidden></p></div></div>'
        '<div class="field" data-field="intent"><label data-for="intent">用途'
        '<span class="req" aria-hidden="true">*</span></label>'
        f'<select data-name="intent"><option value="">请选择</option>{options}</select>'
        '<p class="error" role="alert" hidden></p></div>'
        '<p class="error row-error" role="alert" hidden></p>'
        "</div></template>\n"
    )


def _state_notice(event: Mapping[str, Any], state: str) -> str:
    remaining = event.seats_remaining
    if state == "open":
        return (f'<p class="seats seats-ok">剩余名额 <strong>{remaining}</strong>'
                f'<span class="muted"> / 共 {int(event.capacity)}</span></p>')
    if state == "waitlist":
        return ('<p class="seats seats-wait">名额已满，可登记候补'
                '<span class="sub">有人取消时按登记顺序自动递补，结果以电子票页面为准</span></p>')
    if state == "full":
        return '<p class="seats seats-closed">名额已满<span class="sub">本活动不设候补，感谢关注</span></p>'
    if state == "not_open":
        opens = format_time(event.registration_opens_at)
        return f'<p class="seats seats-closed">报名尚未开始<span class="sub">将于 {e(opens)} 开放报名</span></p>'
    return '<p class="seats seats-closed">报名已截止<span class="sub">感谢关注，期待下次相见</span></p>'


def _registration_form(event: Mapping[str, Any], state: str) -> str:
    kind = event.kind
    roles = list(event.roles or domain_events.KIND_ROLES[kind])
    max_party = int(event.max_party_size or 1)
    single_role = len(roles) == 1
    chips = "".join(
        f'<label class="chip"><input type="radio" name="role" value="{e(role)}"'
        f'{" checked" if single_role else ""}><span>{e(role_label(role))}</span></label>'
        for role in roles
    )
    parts = [
        '<form id="reg-form" class="card form" novalidate autocomplete="on">\n',
        '<h2 class="section-title">填写报名信息</h2>\n',
        _field("name", "姓名", _input("name", autocomplete="name", maxlength=50, required="required",
                                       enterkeyhint="next", placeholder="请填写真实姓名"), required=True),
        _field("phone", "手机号", _input("phone", type="tel", inputmode="numeric", autocomplete="tel",
                                         maxlength=20, required="required", enterkeyhint="next",
                                         placeholder="11 位手机号"),
               required=True, hint="仅用于活动通知与核验，票面只显示部分号码"),
        '<fieldset class="field" data-field="role" id="f-role">'
        '<legend>身份<span class="req" aria-hidden="true">*</span></legend>'
        f'<div class="chips">{chips}</div><p class="error" id="e-role" role="alert" hidden></p></fieldset>\n',
    ]
    if max_party > 1:
        options = "".join(f'<option value="{n}">{n} 人</option>' for n in range(1, max_party + 1))
        parts.append(_field("party_size", "人数（含本人）",
                            f'<select id="f-party_size" name="party_size" aria-describedby="e-party_size">'
                            f"{options}</select>", required=True, hint=f"每份报名最多 {max_party} 人"))
    parts += [
        '<div class="grid2">',
        _field("city", "所在城市", _input("city", autocomplete="address-level2", maxlength=60)),
        _field("organization", "单位", _input("organization", autocomplete="organization", maxlength=60)),
        "</div>\n",
    ]
    if kind == domain_events.COLLECTOR_EXCHANGE:
        parts.append(
            '<fieldset class="field items" data-field="items">'
            '<legend>携带藏品<span class="opt">选填，最多 20 件</span></legend>'
            '<div id="item-rows"></div><p class="error" id="e-items" role="alert" hidden></p>'
            '<button type="button" id="add-item" class="btn btn-ghost">＋ 添加藏品</button></fieldset>\n'
        )
    parts += [
        _field("note", "备注",
               '<textarea id="f-note" name="note" rows="3" maxlength="200" aria-describedby="e-note" '
               'placeholder="如需无障碍座位等，请在此说明"></textarea>'),
        '<div class="privacy-box">'
        f'<p>你填写的姓名、手机号等信息仅用于本活动的报名、通知和入场签到，不会用于其他目的；'
        f'活动结束后 {int(event.retention_days or domain_events.DEFAULT_RETENTION_DAYS)} 天内删除。'
        '<a href="../privacy" target="_blank" rel="noopener">阅读完整隐私声明</a></p>'
        '<div class="field" data-field="consent"><label class="check" for="f-consent">'
        '<input type="checkbox" id="f-consent" name="consent" value="yes" aria-describedby="e-consent">'
        '<span>我已阅读并同意《隐私声明》</span></label>'
        '<p class="error" id="e-consent" role="alert" hidden></p></div></div>\n',
        '<p class="form-error" id="form-error" role="alert" hidden></p>\n',
        f'<button type="submit" class="btn btn-primary btn-block" id="submit" '
        f'data-label="{"登记候补" if state == "waitlist" else "提交报名"}">'
        f'{"登记候补" if state == "waitlist" else "提交报名"}</button>\n',
        "</form>\n",
    ]
    if kind == domain_events.COLLECTOR_EXCHANGE:
        parts.append(_item_template())
    return "".join(parts)


def render_registration(event: Mapping[str, Any], moment: datetime) -> str:
    state = registration_state(event, moment)
    kind_label = KIND_LABELS_ZH.get(event.kind, "活动")
    header = (
        '<header class="hero">\n'
        f'<p class="eyebrow">{e(kind_label)} · 在线报名</p>\n'
        f'<h1>{e(event.title)}</h1>\n'
        + _facts([("时间", when_html(event.starts_at, event.ends_at)), ("地点", event.venue)])
        + "\n" + _state_notice(event, state) + "\n</header>\n"
    )
    can_register = state in ("open", "waitlist")
    form = _registration_form(event, state) if can_register else ""
    body = f'<main class="page">\n{header}{form}<footer class="foot"><a href="../privacy">隐私声明</a></footer>\n</main>'
    data = {"event_id": event.event_id, "kind": event.kind, "title": event.title, "state": state,
            "max_items": MAX_ITEMS}
    return layout(f'{event.title} · 报名', body, page_class="p-register",
                  scripts=["register.js"] if can_register else (), page_data=data)


def registration_page(event_id: str) -> tuple[int, str]:
    from chalicelib.services import events

    try:
        event = events.require_event(event_id)
    except NotFound:
        return 404, render_not_found("找不到这个活动", "活动不存在或链接有误，请向主办方确认报名链接。")
    return 200, render_registration(event, clock.now())


# --- /t/{ticket_token}: the ticket -----------------------------------------------------------

STATUS_NOTES = {
    "confirmed": "截图或长按二维码保存，入场时出示",
    "waitlisted": "你在候补名单中。有人取消时将按登记顺序自动递补，请稍后刷新本页查看状态；"
                  "候补转为已确认后，此二维码方可使用。",
    "cancelled": "此报名已取消，二维码已失效。",
    "checked_in": "已完成签到，欢迎参加。",
}


def ticket_status(ticket: Mapping[str, Any]) -> str:
    """The status a participant sees: checked_in wins over confirmed."""
    if ticket.checked_in_at and ticket.status != domain_registrations.CANCELLED:
        return "checked_in"
    return ticket.status


TICKET_STATUS_LABELS = {**domain_registrations.STATUS_LABELS_ZH, "checked_in": "已签到"}


def render_ticket(token: str, ticket: Mapping[str, Any]) -> str:
    event = ticket.event
    status = ticket_status(ticket)
    qr_png = f"../tickets/{e(token)}/qr.png"
    show_qr = status != domain_registrations.CANCELLED
    person = [("姓名", ticket.name), ("手机号", ticket.phone_masked), ("身份", role_label(ticket.role)),
              ("人数", f'{int(ticket.party_size)} 人')]
    if ticket.checked_in_at:
        person.append(("签到时间", format_time(ticket.checked_in_at)))
    qr_block = (
        f'<div class="qr-block" id="qr-block"{"" if show_qr else " hidden"}>'
        f'<img class="qr{" qr-muted" if status == domain_registrations.WAITLISTED else ""}" id="qr" src="{qr_png}" '
        f'alt="电子票二维码" width="280" height="280">'
        f'<a class="link-btn save-link" href="{qr_png}" download="ticket-qr.png">保存二维码图片</a></div>'
    )
    cancellable = status in (domain_registrations.CONFIRMED, domain_registrations.WAITLISTED)
    cancel = (
        '<section class="card cancel-card" id="cancel-area">'
        '<button type="button" class="btn btn-danger-ghost btn-block" id="cancel">取消报名</button>'
        '<div class="confirm" id="confirm" hidden>'
        f'<p class="confirm-q">{"确认取消？取消后将退出候补名单" if status == domain_registrations.WAITLISTED else "确认取消？取消后名额将让给候补"}</p>'
        '<div class="btn-row"><button type="button" class="btn btn-danger" id="confirm-yes">确认取消</button>'
        '<button type="button" class="btn btn-ghost" id="confirm-no">再想想</button></div></div>'
        '<p class="form-error" id="cancel-error" role="alert" hidden></p></section>\n'
        if cancellable else ""
    )
    again = f'<a class="btn btn-ghost btn-block" id="register-again" href="../e/{e(event.event_id)}"' \
            f'{"" if status == domain_registrations.CANCELLED else " hidden"}>重新报名</a>'
    body = (
        '<main class="page narrow">\n<section class="card ticket">\n'
        '<p class="eyebrow">电子票</p>\n'
        f'<h1>{e(event.title)}</h1>\n'
        + _facts([("时间", when_html(event.starts_at, None)), ("地点", event.venue)])
        + f'\n<p class="status status-{status}" id="status">{e(TICKET_STATUS_LABELS[status])}</p>\n'
        f'<p class="status-note" id="status-note">{e(STATUS_NOTES[status])}</p>\n'
        + qr_block + "\n"
        + _facts(person, "person") + "\n" + again + "\n</section>\n" + cancel
        + '<p class="foot small muted">请妥善保管本页链接，持有链接即可查看或取消本报名。'
          '<a href="../privacy">隐私声明</a></p>\n</main>'
    )
    data = {"token": token, "event_id": event.event_id, "status": status}
    return layout(f'电子票 · {event.title}', body, page_class="p-ticket",
                  scripts=["ticket.js"] if cancellable else (), page_data=data)


def ticket_page(ticket_token: str) -> tuple[int, str]:
    from chalicelib.services import tickets

    try:
        ticket = tickets.get_ticket(ticket_token)
    except NotFound:
        return 404, render_not_found("电子票不存在", "电子票链接有误或已失效，请检查链接是否完整。")
    return 200, render_ticket(ticket_token, ticket)


# --- /scan/{event_id}: the gate scanner ------------------------------------------------------

def render_scanner(event: Mapping[str, Any]) -> str:
    body = (
        '<main class="page scan">\n'
        '<header class="scan-head">'
        f'<div class="scan-title"><p class="eyebrow">检票 · {e(format_range(event.starts_at, event.ends_at))}</p>'
        f'<h1>{e(event.title)}</h1></div>'
        '<p class="counts" id="counts" aria-live="polite" hidden>已签到 <strong id="n-in">…</strong>'
        ' / 已确认 <strong id="n-ok">…</strong></p></header>\n'
        '<section class="card token-missing" id="no-token" hidden>'
        '<h2>未找到工作人员令牌</h2>'
        '<p id="no-token-msg">请用管理员发给你的签到链接打开本页（链接中 #token= 之后的部分就是令牌）。</p>'
        '<div class="field"><label for="token-input">或粘贴签到链接 / 令牌</label>'
        '<input id="token-input" autocomplete="off" autocapitalize="off" spellcheck="false"></div>'
        '<button type="button" class="btn btn-primary btn-block" id="token-save">使用此令牌</button></section>\n'
        '<section class="scanner" id="scanner" hidden>\n'
        '<div class="camera" id="camera"><video id="video" playsinline muted autoplay></video>'
        '<div class="aim" aria-hidden="true"></div>'
        '<p class="cam-status" id="cam-status">摄像头未开启</p></div>\n'
        '<div class="scan-controls">'
        '<button type="button" class="btn btn-ghost" id="cam-toggle">开启摄像头</button>'
        '<div class="field gate-field"><label for="gate">签到口</label>'
        '<input id="gate" maxlength="30" placeholder="如：东门" autocomplete="off" enterkeyhint="done"></div>'
        "</div>\n"
        '<div class="field code-field"><label for="code">扫码枪 / 手动输入票码</label>'
        '<div class="code-row"><input id="code" inputmode="none" autocomplete="off" autocapitalize="off" '
        'autocorrect="off" spellcheck="false" enterkeyhint="go" placeholder="扫码枪扫描后自动提交">'
        '<button type="button" class="btn btn-ghost" id="keyboard">键盘</button></div></div>\n'
        '<div class="last" id="last" hidden></div>\n'
        '<ol class="history" id="history"></ol>\n'
        "</section>\n"
        '<div class="overlay" id="overlay" hidden role="alert" aria-live="assertive">'
        '<div class="overlay-inner"><p class="ov-icon" id="ov-icon"></p><p class="ov-title" id="ov-title"></p>'
        '<p class="ov-name" id="ov-name"></p><p class="ov-detail" id="ov-detail"></p></div></div>\n'
        "</main>"
    )
    data = {"event_id": event.event_id, "title": event.title, "roles_zh": domain_events.ROLE_LABELS_ZH,
            "jsqr": asset_url("jsQR.js")}
    return layout(f'检票 · {event.title}', body, page_class="p-scan", scripts=["scan.js"], page_data=data)


def scanner_page(event_id: str) -> tuple[int, str]:
    from chalicelib.services import events

    try:
        event = events.require_event(event_id)
    except NotFound:
        return 404, render_not_found("找不到这个活动", "活动不存在或检票链接有误，请向管理员确认。")
    return 200, render_scanner(event)


# --- /privacy --------------------------------------------------------------------------------

def render_privacy(version: str) -> str:
    sections = [
        ("我们为什么收集信息", "<p>仅用于活动报名、名额与候补管理、活动通知，以及活动现场的入场签到。"
                          "我们不会将你的信息用于营销，也不会出售或提供给与本活动无关的第三方。</p>"),
        ("收集哪些信息", "<ul><li>姓名、手机号（必填）</li><li>身份（如候选人、家属、嘉宾、媒体、藏家等）、同行人数</li>"
                      "<li>所在城市、单位、备注（选填）</li><li>藏品交流会：登记的藏品名称、类别、年代和用途（选填）</li>"
                      "<li>报名时间、签到时间与签到口，以及你同意的本声明版本</li></ul>"),
        ("保存多久", f"<p>活动结束后 {domain_events.DEFAULT_RETENTION_DAYS} 天内自动删除"
                  "（个别活动另有期限的，以活动报名页所写为准）。删除后仅保留不含个人信息的统计数字。</p>"),
        ("谁能看到", "<p>活动主办方的工作人员，为组织活动和现场签到所需。电子票页面只显示部分手机号；"
                  "持有电子票链接的人可以查看或取消该报名，请勿转发。</p>"),
        ("你的权利", "<p>你可以随时在电子票页面取消报名；如需查阅、更正或提前删除你的信息，"
                  "请联系活动主办方，我们会及时处理。</p>"),
        ("联系方式", "<p>活动主办方（见活动报名页面）。</p>"),
    ]
    content = "".join(f"<h2>{e(title)}</h2>{html}" for title, html in sections)
    body = (
        '<main class="page narrow">\n<article class="card prose">\n'
        '<p class="eyebrow">个人信息保护</p>\n<h1>隐私声明</h1>\n'
        f'<p class="muted">版本：{e(version)}</p>\n{content}\n'
        "</article>\n</main>"
    )
    return layout("隐私声明", body, page_class="p-privacy")


def privacy_page() -> tuple[int, str]:
    return 200, render_privacy(settings().privacy_notice_version)


# --- /static/{name} ---------------------------------------------------------------------------

def static_asset(name: str) -> tuple[bytes, str]:
    """(content, content type) of a file directly under chalicelib/static or its vendor/ folder."""
    if not _ASSET_NAME.fullmatch(name) or ".." in name:
        raise NotFound()
    for folder in (STATIC_DIR, STATIC_DIR / "vendor"):
        path = folder / name
        if path.is_file():
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith("javascript"):
                content_type += "; charset=utf-8"
            return path.read_bytes(), content_type
    raise NotFound()
