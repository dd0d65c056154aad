"""The participant and staff pages (zh-CN, mobile first), served by the app itself.

Everything a page needs comes from the app (no CDN, no web fonts); URLs are relative so
the pages work under API Gateway's stage prefix. Each page function returns (status, html).

Pages are rendered server side by Jinja2 from `templates/` with autoescaping on, so every
interpolated value is escaped; what the page scripts need goes into a non-executable
`<script type="application/json" id="page-data">` block (the CSP allows no inline code).
Jinja2 is imported on the first render, not with this module: most Lambda invocations are
API calls that never render a page. The `render_*` functions are pure (domain objects in,
HTML out) so they can be tested without I/O.
"""

from __future__ import annotations

import functools
import hashlib
import json
import mimetypes
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.errors import NotFound, ServiceUnavailable
from chalicelib.domain.events import (
    CLOSED,
    COLLECTOR_EXCHANGE,
    DEFAULT_RETENTION_DAYS,
    FULL,
    KIND_LABELS_ZH,
    KIND_ROLES,
    OPEN,
    ROLE_LABELS_ZH,
    WAITLIST,
    Event,
    role_label,
)
from chalicelib.domain.registrations import (
    CANCELLED,
    CHECKED_IN,
    CONFIRMED,
    ITEM_INTENT_LABELS_ZH,
    MAX_ITEMS,
    TICKET_STATUS_LABELS_ZH,
    WAITLISTED,
    TicketView,
)

if TYPE_CHECKING:
    import jinja2

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
# A file name directly under static/ or static/vendor/ (the OpenAPI document reuses the pattern).
ASSET_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,80}")
WEEKDAYS_ZH = "一二三四五六日"

# The line under the status on a ticket, by TicketView.ticket_status.
STATUS_NOTES = {
    CONFIRMED: "截图或长按二维码保存，入场时出示",
    WAITLISTED: "你在候补名单中。有人取消时将按登记顺序自动递补，请稍后刷新本页查看状态；"
    "候补转为已确认后，此二维码方可使用。",
    CANCELLED: "此报名已取消，二维码已失效。",
    CHECKED_IN: "已完成签到，欢迎参加。",
}


# --- small pure helpers -------------------------------------------------------------------


def script_json(data: object) -> str:
    """JSON for a <script type="application/json"> block: `<`, `>` and `&` as \\u escapes, so
    no `</script>` or `<!--` can end the block early; U+2028/2029 escaped for old parsers."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, replacement in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
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


def registration_state(event: Event, moment: datetime) -> str:
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


# --- templates ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The Jinja2 environment, made on the first render (importing jinja2 costs cold-start time)."""
    import jinja2
    from markupsafe import Markup

    def page_data_json(data: object) -> Markup:
        return Markup(script_json(data))  # safe: script_json leaves no `<`, `>` or `&`

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    environment.filters["script_json"] = page_data_json
    environment.globals.update(
        asset_url=asset_url,
        rooted_asset_url=rooted_asset_url,
        format_time=format_time,
        format_range=format_range,
        role_label=role_label,
    )
    return environment


def _render(template: str, *, page_data: object = None, root: str = "../", **context: object) -> str:
    """A page from its template; `page_data` (unless None) becomes the page's JSON data block.
    `root` is the relative way up to the app's root from the page's URL (`../` for /e/{id},
    `./` for /privacy): every link is relative, so pages work under API Gateway's stage prefix."""
    return _environment().get_template(template).render(page_data=page_data, root=root, **context)


def render_not_found(heading: str, detail: str, root: str = "../") -> str:
    return _render("not_found.html", heading=heading, detail=detail, root=root)


def render_unavailable() -> str:
    return _render("unavailable.html")


Page = Callable[..., tuple[int, str]]


def unavailable_as_page(page: Page) -> Page:
    """A page whose data can't be read right now (DynamoDB down, slow or throttled) answers a
    Chinese 503 page instead of JSON: a person reads it, not a program."""

    @functools.wraps(page)
    def answering(*args: Any, **kwargs: Any) -> tuple[int, str]:
        try:
            return page(*args, **kwargs)
        except ServiceUnavailable:
            return 503, render_unavailable()

    return answering


# --- /e/{event_id}: the registration form ----------------------------------------------------


def invite_state(event: Event, moment: datetime) -> str:
    """The form's state for an invite link: open until the event ends, on any seat up to capacity."""
    if not event.invite_registration_is_open(moment):
        return CLOSED
    if event.seats_remaining > 0:
        return OPEN
    return WAITLIST if event.waitlist else FULL


def render_registration(
    event: Event, moment: datetime, invite_code: str | None = None, invite_role: str | None = None
) -> str:
    """The form; with a usable invite code, only the code's role, chosen (SPEC §6). Invite-only
    roles are never offered on the public form."""
    invited = invite_code is not None and invite_role is not None
    state = invite_state(event, moment) if invited else registration_state(event, moment)
    can_register = state in ("open", "waitlist")
    data = {
        "event_id": event.event_id,
        "kind": event.kind,
        "title": event.title,
        "state": state,
        "max_items": MAX_ITEMS,
    }
    roles = list(event.roles or KIND_ROLES[event.kind])
    if invite_code is not None and invite_role is not None:
        data["invite_code"] = invite_code
        roles = [invite_role]
    else:
        roles = [role for role in roles if role not in event.invite_only_roles]
    return _render(
        "register.html",
        page_data=data,
        event=event,
        state=state,
        can_register=can_register,
        kind_label=KIND_LABELS_ZH.get(event.kind, "活动"),
        collector=event.kind == COLLECTOR_EXCHANGE,
        roles=roles,
        invite_role=invite_role if invited else None,
        invite_rejected=bool(invite_code) and not invited,
        max_party_size=int(event.max_party_size or 1),
        retention_days=int(event.retention_days or DEFAULT_RETENTION_DAYS),
        max_items=MAX_ITEMS,
        intent_labels=ITEM_INTENT_LABELS_ZH,
        awards=list(event.awards or []) if "nominee" in (event.roles or KIND_ROLES[event.kind]) else [],
        questions=list(event.questions or []),
    )


@unavailable_as_page
def registration_page(event_id: str, invite_code: str | None = None) -> tuple[int, str]:
    from chalicelib.services import events, invites

    try:
        event = events.require_event(event_id)
    except NotFound:
        return 404, render_not_found("找不到这个活动", "活动不存在或链接有误，请向主办方确认报名链接。")
    invite_role = invites.role_of_code(event, invite_code) if invite_code else None
    return 200, render_registration(event, clock.now(), invite_code, invite_role)


# --- /t/{ticket_token}: the ticket -----------------------------------------------------------


def render_ticket(token: str, ticket: TicketView) -> str:
    status = ticket.ticket_status
    data = {"token": token, "event_id": ticket.event.event_id, "status": status}
    from chalicelib.web import ticket_items  # the collector's items (SPEC §8)

    items_context = ticket_items.ticket_items_context(ticket, data)
    return _render(
        "ticket.html",
        **items_context,
        page_data=data,
        token=token,
        ticket=ticket,
        event=ticket.event,
        status=status,
        status_label=TICKET_STATUS_LABELS_ZH[status],
        status_note=STATUS_NOTES[status],
        show_qr=status != CANCELLED,
        cancelled=status == CANCELLED,
        waitlisted=status == WAITLISTED,
        cancellable=status in (CONFIRMED, WAITLISTED),
    )


@unavailable_as_page
def ticket_page(ticket_token: str) -> tuple[int, str]:
    from chalicelib.services import tickets

    try:
        ticket = tickets.get_ticket(ticket_token)
    except NotFound:
        return 404, render_not_found("电子票不存在", "电子票链接有误或已失效，请检查链接是否完整。")
    return 200, render_ticket(ticket_token, ticket)


# --- /scan/{event_id}: the gate scanner ------------------------------------------------------

SCAN_WORKER = "scan-sw.js"  # the scanner's service worker, served with Service-Worker-Allowed
# What the service worker keeps for opening the scanner offline (the page itself besides).
SCANNER_ASSETS = ("app.css", "scan.css", "gate-store.js", "camera-scan.js", "scan.js", "jsQR.js")


def render_scanner(event: Event) -> str:
    lists = [{"list_id": item.list_id, "name": item.name, "roles": item.roles} for item in event.gate_lists]
    data = {
        "event_id": event.event_id,
        "title": event.title,
        "roles_zh": ROLE_LABELS_ZH,
        "jsqr": asset_url("jsQR.js"),
        "lists": lists,
        "ends_at": event.ends_at,
        "worker": asset_url(SCAN_WORKER),
        "assets": [asset_url(name) for name in SCANNER_ASSETS],
    }
    return _render("scan.html", page_data=data, event=event, lists=lists)


@unavailable_as_page
def scanner_page(event_id: str) -> tuple[int, str]:
    from chalicelib.services import events

    try:
        event = events.require_event(event_id)
    except NotFound:
        return 404, render_not_found("找不到这个活动", "活动不存在或检票链接有误，请向管理员确认。")
    return 200, render_scanner(event)


# --- /admin, /admin/events/{event_id}: the organiser console ---------------------------------


# Console URLs are relative to the page's own depth, so they keep API Gateway's stage prefix:
# /admin sits at the root (`./events`), /admin/events/{id} two folders down (`../../events`).
ADMIN_ROOT = "./"
ADMIN_EVENT_ROOT = "../../"


def rooted_asset_url(name: str, root: str) -> str:
    """`asset_url` (`../static/…`, right one folder deep) for a page whose way up to the root is `root`."""
    return root + asset_url(name).removeprefix("../")


def _console_context(root: str) -> dict[str, object]:
    return {
        "console_asset": lambda name: rooted_asset_url(name, root),
        "kind_labels": KIND_LABELS_ZH,
        "kind_roles": {kind: list(roles) for kind, roles in KIND_ROLES.items()},
        "role_labels": ROLE_LABELS_ZH,
        "default_retention_days": DEFAULT_RETENTION_DAYS,
    }


def _console_data(root: str, **extra: object) -> dict[str, object]:
    return {
        "root": root,
        # The award-ceremony parts of the console, loaded when first needed (SPEC §9).
        "awards_js": rooted_asset_url("admin-awards.js", root),
        "awards_css": rooted_asset_url("admin-awards.css", root),
        # The event form's 报名问题 editor, loaded when first needed (SPEC §6).
        "questions_js": rooted_asset_url("admin-questions.js", root),
        "questions_css": rooted_asset_url("admin-questions.css", root),
        "kinds": KIND_LABELS_ZH,
        "kind_roles": {kind: list(roles) for kind, roles in KIND_ROLES.items()},
        "roles_zh": ROLE_LABELS_ZH,
        **extra,
    }


def render_admin() -> str:
    return _render("admin.html", page_data=_console_data(ADMIN_ROOT), root=ADMIN_ROOT, **_console_context(ADMIN_ROOT))


def admin_page() -> tuple[int, str]:
    """The console's shell: sign-in and the event list. Data comes from the JSON API with the
    admin token the organiser pastes (kept in sessionStorage), so the shell itself is public."""
    return 200, render_admin()


def render_admin_event(event_id: str) -> str:
    root = ADMIN_EVENT_ROOT
    data = _console_data(
        root,
        event_id=event_id,
        qr_lib=rooted_asset_url("qrcode-generator.js", root),
        messages_lib=rooted_asset_url("admin-messages.js", root),  # loaded on the first 短信 click
    )
    return _render("admin_event.html", page_data=data, root=root, event_id=event_id, **_console_context(root))


def admin_event_page(event_id: str) -> tuple[int, str]:
    from chalicelib.domain.ids import EVENT_ID

    if not EVENT_ID.fullmatch(event_id):
        return 404, render_not_found("找不到这个活动", "活动编号有误，请从活动列表进入。", root="../../")
    return 200, render_admin_event(event_id)


# --- /admin/events/{event_id}/invitations: printable invitations (SPEC §6) ---------------------

INVITATIONS_ROOT = "../../../"


def render_invitations(event_id: str) -> str:
    root = INVITATIONS_ROOT
    data = _console_data(root, event_id=event_id)
    return _render("invitations.html", page_data=data, root=root, event_id=event_id, **_console_context(root))


def invitations_page(event_id: str) -> tuple[int, str]:
    """A shell like the console's: the cards come from the API with the organiser's token."""
    from chalicelib.domain.ids import EVENT_ID

    if not EVENT_ID.fullmatch(event_id):
        return 404, render_not_found("找不到这个活动", "活动编号有误，请从活动列表进入。", root=INVITATIONS_ROOT)
    return 200, render_invitations(event_id)


# --- /admin/events/{event_id}/stage: the stage manager's board (SPEC §9) ----------------------

STAGE_REFRESH_SECONDS = 5  # at least every 10 s (SPEC §9)


def render_stage(event_id: str) -> str:
    root = ADMIN_EVENT_ROOT + "../"  # /admin/events/{id}/stage sits three folders down
    data = _console_data(root, event_id=event_id, refresh_seconds=STAGE_REFRESH_SECONDS)
    return _render("stage.html", page_data=data, root=root, event_id=event_id, **_console_context(root))


def stage_page(event_id: str) -> tuple[int, str]:
    """A shell like the console's: the data comes from GET /events/{id}/programme with the admin
    token of this tab (sessionStorage) or a gate's staff token given in the URL fragment."""
    from chalicelib.domain.ids import EVENT_ID

    if not EVENT_ID.fullmatch(event_id):
        return 404, render_not_found("找不到这个活动", "活动编号有误，请从活动列表进入。", root="../../../")
    return 200, render_stage(event_id)


# --- /privacy --------------------------------------------------------------------------------


def render_privacy(version: str) -> str:
    return _render("privacy.html", version=version, retention_days=DEFAULT_RETENTION_DAYS, root="./")


def privacy_page() -> tuple[int, str]:
    return 200, render_privacy(settings().privacy_notice_version)


# --- /static/{name} ---------------------------------------------------------------------------


def static_asset(name: str) -> tuple[bytes, str]:
    """(content, content type) of a file directly under chalicelib/web/static or its vendor/ folder."""
    if not ASSET_NAME.fullmatch(name) or ".." in name:
        raise NotFound()
    for folder in (STATIC_DIR, STATIC_DIR / "vendor"):
        path = folder / name
        if path.is_file():
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith("javascript"):
                content_type += "; charset=utf-8"
            return path.read_bytes(), content_type
    raise NotFound()


# The site icon: the red seal-like 报 of the pages' theme colour, as a small SVG (browsers ask
# for /favicon.ico on every site; a 404 there fills logs and costs a request per page view).
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="6" fill="#b3261e"/>'
    '<text x="16" y="23" font-size="20" text-anchor="middle" fill="#fff">报</text></svg>'
)
