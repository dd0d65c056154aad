"""Pages of the collector exchange (SPEC §8): the intake desk and what an item tag's URL opens."""

from __future__ import annotations

from chalicelib.domain.errors import NotFound
from chalicelib.domain.events import COLLECTOR_EXCHANGE
from chalicelib.domain.items import ACTION_LABELS_ZH, INTENT_LABELS_ZH, STATE_LABELS_ZH, TRANSITIONS
from chalicelib.web.pages import (
    _console_context,
    _console_data,
    _render,
    asset_url,
    render_not_found,
    unavailable_as_page,
)


@unavailable_as_page
def desk_page(event_id: str) -> tuple[int, str]:
    from chalicelib.services import events

    try:
        event = events.require_event(event_id)
    except NotFound:
        return 404, render_not_found("找不到这个活动", "活动不存在或接收台链接有误，请向管理员确认。")
    if event.kind != COLLECTOR_EXCHANGE:
        return 404, render_not_found("本活动没有藏品接收台", "只有收藏交流会登记藏品。")
    data = {
        "event_id": event.event_id,
        "title": event.title,
        "states_zh": STATE_LABELS_ZH,
        "intents_zh": INTENT_LABELS_ZH,
        "actions_zh": ACTION_LABELS_ZH,
        "transitions": {state: list(targets) for state, targets in TRANSITIONS.items()},
        "jsqr": asset_url("jsQR.js"),
    }
    return 200, _render("desk.html", page_data=data, event=event)


@unavailable_as_page
def item_page(item_token: str) -> tuple[int, str]:
    from chalicelib.services import items

    try:
        found = items.item_page(item_token)
    except NotFound:
        return 404, render_not_found("藏品标签无效", "标签链接有误或已失效。")
    return 200, _render(
        "item.html",
        item=found.item,
        event=found.event,
        state_label=STATE_LABELS_ZH.get(found.item.state, found.item.state),
        intent_label=INTENT_LABELS_ZH.get(found.item.intent, found.item.intent),
        desk_url=f"../desk/{found.event.event_id}#item={item_token}",
    )


ADMIN_ITEMS_ROOT = "../../../"  # /admin/events/{event_id}/items


def admin_items_page(event_id: str) -> tuple[int, str]:
    """The console's list of an event's items (a shell: data comes from the API with the admin token)."""
    root = ADMIN_ITEMS_ROOT
    data = _console_data(root, event_id=event_id, states_zh=STATE_LABELS_ZH, intents_zh=INTENT_LABELS_ZH)
    return 200, _render(
        "admin_items.html",
        page_data=data,
        root=root,
        event_id=event_id,
        states_zh=STATE_LABELS_ZH,
        intents_zh=INTENT_LABELS_ZH,
        **_console_context(root),
    )
