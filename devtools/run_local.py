"""`make run`: the embedded DynamoDB, the table from infra/, demo events, and the app on PORT.

State (data snapshot, generated secrets) lives in .local/ and survives a clean restart.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from devtools.stage import PROJECT_DIR, chalice_config, stage_environment

STATE_DIR = PROJECT_DIR / ".local"
SNAPSHOT = STATE_DIR / "dynamodb-snapshot.json"
GENERATED_SECRETS = STATE_DIR / "secrets.json"
DEMO_TICKET = STATE_DIR / "demo-ticket.json"
DEMO_GUEST = {"name": "示例嘉宾", "phone": "13800138000", "role": "guest", "consent": True, "party_size": 2,
              "city": "杭州", "organization": "市新媒体协会"}

DEMO_EVENTS = [
    {
        "event_id": "demo-award-2026",
        "kind": "award_ceremony",
        "title": "2026 年度“十大孝星·十大恩爱夫妻”颁奖典礼",
        "venue": "市新媒体中心一号演播厅（人民路 88 号）",
        "starts_at": "2026-12-26T19:00:00+08:00",
        "ends_at": "2026-12-26T21:30:00+08:00",
        "capacity": 300,
        "max_party_size": 4,
    },
    {
        "event_id": "demo-exchange-2026",
        "kind": "collector_exchange",
        "title": "全国红色收藏品交流会（第十二届）",
        "venue": "市会展中心 B 馆",
        "starts_at": "2027-01-09T09:00:00+08:00",
        "ends_at": "2027-01-10T17:00:00+08:00",
        "capacity": 500,
        "max_party_size": 2,
    },
]


def _generated_secrets() -> dict[str, str]:
    STATE_DIR.mkdir(exist_ok=True)
    if GENERATED_SECRETS.exists():
        return json.loads(GENERATED_SECRETS.read_text())
    values = {
        "ADMIN_TOKEN": secrets.token_urlsafe(24),
        "TOKEN_SIGNING_KEYS": "A:" + secrets.token_urlsafe(32),
    }
    GENERATED_SECRETS.write_text(json.dumps(values))
    GENERATED_SECRETS.chmod(0o600)
    return values


def prepare_environment(port: int) -> dict[str, str]:
    """Stage 'local' from .chalice/config.json, then the caller's environment on top."""
    env = stage_environment("local")
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    for name, value in _generated_secrets().items():
        env.setdefault(name, value)
    env.update({k: v for k, v in os.environ.items() if k in env})
    os.environ.update(env)
    return env


def save_snapshot(client: Any, table: str) -> int:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    tmp = SNAPSHOT.with_suffix(".tmp")
    tmp.write_text(json.dumps({"table": table, "items": items}, ensure_ascii=False))
    tmp.replace(SNAPSHOT)
    return len(items)


def load_snapshot(client: Any, table: str) -> int:
    if not SNAPSHOT.exists():
        return 0
    items = json.loads(SNAPSHOT.read_text()).get("items", [])
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
        pending: dict[str, Any] = {table: batch}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return len(items)


def seed_demo_events() -> list[str]:
    from chalicelib.services import events
    from chalicelib.storage import events as event_store

    created = []
    for demo in DEMO_EVENTS:
        if event_store.get(demo["event_id"]) is None:
            events.create_event(demo)
            created.append(demo["event_id"])
    return created


def demo_ticket_url() -> str:
    """A demo guest's ticket for the award ceremony, registered once and remembered in .local/."""
    from chalicelib.domain.errors import DomainError
    from chalicelib.services import registrations, tickets

    if not DEMO_TICKET.exists():
        try:
            ticket = registrations.register(DEMO_EVENTS[0]["event_id"], DEMO_GUEST, idempotency_key="make-run-demo")
        except DomainError as refused:
            return f"(no demo ticket: {refused.code})"
        DEMO_TICKET.write_text(json.dumps({"ticket_token": ticket.ticket_token}))
    return tickets.ticket_url(json.loads(DEMO_TICKET.read_text())["ticket_token"])


def demo_scanner_url() -> str:
    from chalicelib.services import staff

    return staff.create_staff_token(DEMO_EVENTS[0]["event_id"]).scanner_url


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    external_endpoint = os.environ.get("DYNAMODB_ENDPOINT")
    env = prepare_environment(port)

    from devtools.bootstrap import ensure_bucket, ensure_table
    from devtools.dynamodb_server import EmbeddedDynamoDB

    embedded = None
    if not external_endpoint:
        endpoint = urlparse(env["DYNAMODB_ENDPOINT"])
        embedded = EmbeddedDynamoDB(endpoint.hostname or "127.0.0.1", endpoint.port or 8001).start()

    from chalicelib.storage import aws

    client = aws.client("dynamodb")
    table = env["TABLE_NAME"]
    if ensure_table(client, table) and embedded:
        restored = load_snapshot(client, table)
        if restored:
            print(f"restored {restored} items from {SNAPSHOT.relative_to(PROJECT_DIR)}")
    if embedded:
        ensure_bucket(aws.client("s3"), env["EXPORT_BUCKET"])
    seed_demo_events()

    from app import app
    from devtools.local_server import make_server

    server = make_server(app, chalice_config("local"), "127.0.0.1", port)
    base = env["PUBLIC_BASE_URL"]
    award, exchange = (demo["event_id"] for demo in DEMO_EVENTS)
    print(f"""
baoming is running on {base}
  admin token:        {env['ADMIN_TOKEN']}
  OpenAPI:            {base}/openapi.json
  demo events (API):  {base}/events/{award}  ·  {base}/events/{exchange}
  registration forms: {base}/e/{award}  ·  {base}/e/{exchange}
  demo ticket:        {demo_ticket_url()}
  gate scanner:       {demo_scanner_url()}
  privacy notice:     {base}/privacy
Ctrl-C stops everything (data is kept in .local/).
""", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    serving = threading.Thread(target=server.server.serve_forever, daemon=True)
    serving.start()
    stop.wait()
    server.shutdown()
    if embedded:
        saved = save_snapshot(client, table)
        embedded.stop()
        print(f"\nsaved {saved} items to {SNAPSHOT.relative_to(PROJECT_DIR)}; bye")
    return 0


if __name__ == "__main__":
    sys.exit(main())
