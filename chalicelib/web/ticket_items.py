"""The collector's items on the ticket page (SPEC §8): what the template and its script get."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.events import COLLECTOR_EXCHANGE
from chalicelib.domain.items import DECLARED, INTENT_LABELS_ZH, STATE_LABELS_ZH
from chalicelib.domain.registrations import CANCELLED, MAX_ITEMS, TicketView


def ticket_items_context(ticket: TicketView, data: dict[str, Any]) -> dict[str, Any]:
    """What the ticket page shows of a collector's items, and whether they may still edit them
    (a collector exchange, not cancelled, before the event starts); `data` gets what the script needs."""
    collector = ticket.event.kind == COLLECTOR_EXCHANGE
    editable = collector and ticket.status != CANCELLED and clock.now() < clock.parse_iso(ticket.event.starts_at)
    if editable:
        data["items"] = [
            {
                "item_id": item["item_id"] or None,
                "name": item["name"],
                "category": item["category"] or "",
                "era": item["era"] or "",
                "intent": item["intent"],
                "state": item["state"],
                "editable": item["state"] == DECLARED,
            }
            for item in ticket.items
        ]
        data["max_items"] = MAX_ITEMS
        data["states_zh"] = STATE_LABELS_ZH
    return {
        "show_items": collector and (bool(ticket.items) or editable),
        "items": ticket.items,
        "items_editable": editable,
        "item_states_zh": STATE_LABELS_ZH,
        "intent_labels": INTENT_LABELS_ZH,
    }
