"""`make run`: the embedded DynamoDB, the table from infra/, demo events, and the app on PORT.

State (DynamoDB journal and snapshot, generated secrets, the demo ticket) lives in the state
directory: BAOMING_STATE_DIR, else `.local/` (`.local/port-<PORT>/` when PORT is not 8000, so
two stacks run side by side). Every write the embedded DynamoDB acknowledges is on disk
before the app sees the acknowledgement, so it survives Ctrl-C, a closed terminal and kill -9.
The embedded DynamoDB listens on DYNAMODB_PORT (default PORT + 1).
"""
from __future__ import annotations

import errno
import json
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from devtools.stage import PROJECT_DIR, chalice_config, stage_environment

DEFAULT_PORT = 8000
MIN_ADMIN_TOKEN_LENGTH = 32
SECRETS_NAME = "secrets.json"
DEMO_TICKET_NAME = "demo-ticket.json"
LEGACY_SNAPSHOT_NAME = "dynamodb-snapshot.json"  # before the journal: {"table": ..., "items": [...]}
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

MAKE_A_TOKEN = (
    "Make one with\n"
    '    export ADMIN_TOKEN="$(openssl rand -base64 32)"\n'
    "or\n"
    "    export ADMIN_TOKEN=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')\"\n"
    "or {generate}."
)


class SetupError(Exception):
    """A configuration problem `make run` explains and exits on (status 2)."""


# --- configuration ------------------------------------------------------------------------------

def read_port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise SetupError(f"{name}={raw!r} is not a port number (1-65535).")
    return int(raw)


def state_dir(port: int) -> Path:
    """BAOMING_STATE_DIR, else .local/ for the default PORT and .local/port-<PORT>/ for others."""
    configured = os.environ.get("BAOMING_STATE_DIR", "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    base = PROJECT_DIR / ".local"
    return base if port == DEFAULT_PORT else base / f"port-{port}"


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_DIR)) + "/" if path.is_dir() else str(path.relative_to(PROJECT_DIR))
    except ValueError:
        return str(path)


def admin_token_problem(token: str, source: str, secrets_path: Path) -> str | None:
    """Why `token` can't be the admin token (or None): it unlocks every event and attendee list."""
    generate = (f"unset ADMIN_TOKEN and `make run` generates one (kept in {_display(secrets_path)})"
                if source == "ADMIN_TOKEN" else f"delete {_display(secrets_path)} to have a new one generated")
    how = MAKE_A_TOKEN.format(generate=generate)
    if not token:
        return f"{source} is empty: the admin token unlocks every event and attendee list.\n{how}"
    if re.search(r"[\s\x00-\x1f\x7f]", token):
        return (f"{source} contains spaces or control characters (a trailing newline?); it is sent in an "
                f"`Authorization: Bearer` header.\n{how}")
    if len(token) < MIN_ADMIN_TOKEN_LENGTH:
        return (f"{source} is too short ({len(token)} characters): it must have at least "
                f"{MIN_ADMIN_TOKEN_LENGTH}, because it unlocks every event and attendee list and a short one "
                f"can be guessed.\n{how}")
    return None


def _probe_port(port: int, variable: str) -> None:
    """Fail early, with the variable to set, if the port is taken (the real bind is checked again)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise SetupError(_port_in_use(port, variable)) from None
        raise
    finally:
        probe.close()


def _port_in_use(port: int, variable: str) -> str:
    extra = " (the embedded DynamoDB then uses PORT + 1 unless DYNAMODB_PORT is set)" if variable == "PORT" else ""
    return (f"port {port} on 127.0.0.1 is already in use (another program, or another `make run`).\n"
            f"Set {variable} to a free port, e.g. `{variable}={port + 10} make run`{extra}, or stop what is using it.")


# --- state files (owner-only) -------------------------------------------------------------------

def _generated_secrets(state: Path) -> dict[str, str]:
    from devtools.dynamodb_server import restrict_file, write_private_file

    path = state / SECRETS_NAME
    if path.exists():
        restrict_file(path)
        return dict(json.loads(path.read_text()))
    values = {
        "ADMIN_TOKEN": secrets.token_urlsafe(32),  # 43 characters
        "TOKEN_SIGNING_KEYS": "A:" + secrets.token_urlsafe(32),
    }
    write_private_file(path, json.dumps(values).encode())
    return values


def prepare_environment(port: int, dynamodb_port: int, state: Path) -> dict[str, str]:
    """Stage 'local' from .chalice/config.json, then the caller's environment on top."""
    env = stage_environment("local")
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    env["DYNAMODB_ENDPOINT"] = f"http://127.0.0.1:{dynamodb_port}"
    for name, value in _generated_secrets(state).items():
        env.setdefault(name, value)
    env.update({k: v for k, v in os.environ.items() if k in env})
    os.environ.update(env)
    return env


def detach_legacy_snapshot(state: Path) -> Path | None:
    """A snapshot from before the journal ({"table", "items"}) is renamed aside, to be imported."""
    path = state / LEGACY_SNAPSHOT_NAME
    legacy = state / "dynamodb-snapshot.legacy.json"
    if path.exists():
        with path.open("rb") as file:
            head = file.read(16)
        if not head.startswith(b'{"format":'):  # every journal-era snapshot starts so
            os.replace(path, legacy)
    return legacy if legacy.exists() else None


def import_legacy_snapshot(client: Any, legacy: Path, table: str) -> int:
    """Items of a pre-journal snapshot, written (and so journaled) once; then the file goes."""
    items = json.loads(legacy.read_text()).get("items", [])
    for start in range(0, len(items), 25):
        pending: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    legacy.unlink()
    return len(items)


# --- demo data ------------------------------------------------------------------------------------

def seed_demo_events() -> list[str]:
    from chalicelib.services import events
    from chalicelib.storage import events as event_store

    created = []
    for demo in DEMO_EVENTS:
        if event_store.get(demo["event_id"]) is None:
            events.create_event(demo)
            created.append(demo["event_id"])
    return created


def demo_ticket_url(state: Path) -> str:
    """A demo guest's ticket for the award ceremony, registered once and remembered in the state dir."""
    from chalicelib.domain.errors import DomainError
    from chalicelib.services import registrations, tickets
    from devtools.dynamodb_server import restrict_file, write_private_file

    path = state / DEMO_TICKET_NAME
    restrict_file(path)
    if not path.exists():
        try:
            ticket = registrations.register(DEMO_EVENTS[0]["event_id"], DEMO_GUEST, idempotency_key="make-run-demo")
        except DomainError as refused:
            return f"(no demo ticket: {refused.code})"
        write_private_file(path, json.dumps({"ticket_token": ticket.ticket_token}).encode())
    return str(tickets.ticket_url(json.loads(path.read_text())["ticket_token"]))


def demo_scanner_url() -> str:
    from chalicelib.services import staff

    return str(staff.create_staff_token(DEMO_EVENTS[0]["event_id"]).scanner_url)


def demo_desk_url() -> str:
    """The collector exchange's intake desk (SPEC §8), with a staff token of that event."""
    from chalicelib.services import staff

    issued = staff.create_staff_token(DEMO_EVENTS[1]["event_id"], {"label": "藏品接收台"})
    return str(issued.scanner_url).replace("/scan/", "/desk/", 1)


def sms_line(env: dict[str, str], base: str) -> str:
    from chalicelib.config import settings

    provider = settings().sms_provider
    if provider == "outbox":
        return f"stored, not sent: {base}/dev/outbox?phone=<手机号> (admin token)"
    return f"sent through {provider} (SMS_PROVIDER)"


# --- main -----------------------------------------------------------------------------------------

def _say(text: str) -> None:
    try:
        print(text, flush=True)
    except OSError:  # the terminal is gone (SIGHUP): the data is what matters
        pass


def main() -> int:
    try:
        return run()
    except SetupError as problem:
        print(f"make run: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C while starting: the journal has every acknowledged write
        return 130


def run() -> int:
    started = time.perf_counter()
    port = read_port("PORT", DEFAULT_PORT)
    external_endpoint = os.environ.get("DYNAMODB_ENDPOINT")
    dynamodb_port = read_port("DYNAMODB_PORT", port + 1)
    if not external_endpoint and dynamodb_port == port:
        raise SetupError(f"DYNAMODB_PORT and PORT are both {port}; give the embedded DynamoDB another port.")
    state = state_dir(port)

    from devtools.dynamodb_server import ManagedServer, ensure_private_dir

    if state.parent == PROJECT_DIR / ".local":
        ensure_private_dir(state.parent)  # .local/ itself, when this stack's state is .local/port-<PORT>/
    ensure_private_dir(state)
    source = "ADMIN_TOKEN" if "ADMIN_TOKEN" in os.environ else f"the ADMIN_TOKEN in {_display(state / SECRETS_NAME)}"
    env = prepare_environment(port, dynamodb_port, state)
    problem = admin_token_problem(env.get("ADMIN_TOKEN", ""), source, state / SECRETS_NAME)
    if problem:
        raise SetupError(problem)
    _probe_port(port, "PORT")

    # The embedded DynamoDB starts first, in its own process: it restores its data while this
    # process imports the app (two CPUs), and serves with a GIL of its own.
    embedded = None
    legacy = None
    if not external_endpoint:
        legacy = detach_legacy_snapshot(state)
        embedded = ManagedServer(dynamodb_port, state)
    try:
        return serve(env, port, state, embedded, legacy, started)
    finally:
        if embedded is not None:
            embedded.stop()  # a no-op after a clean stop; else it compacts on the way out


RETENTION_EVERY_SECONDS = 10.0


def retention_worker(stop: threading.Event) -> None:
    """What the scheduled function does deployed (every minute): re-stamp expiries after edits
    of an event's end or retention. Locally every 10 s, so a change lands well within a minute."""
    from chalicelib.services import retention

    while not stop.wait(RETENTION_EVERY_SECONDS):
        try:
            retention.run_pending(seconds=RETENTION_EVERY_SECONDS)
        except Exception as error:  # a store restarting or busy: try again next round
            _say(f"retention re-stamp failed ({type(error).__name__}); retrying")


MESSAGES_EVERY_SECONDS = 1.0


def messages_worker(stop: threading.Event) -> None:
    """What the deployed stream and scheduled functions do: send queued texts (SPEC §7) through
    SMS_PROVIDER (default here: the outbox, read at GET /dev/outbox?phone=), retries included."""
    from chalicelib.services import messages

    failures = 0
    while not stop.wait(MESSAGES_EVERY_SECONDS if not failures else min(2 ** failures, 30)):
        try:
            messages.send_for(seconds=MESSAGES_EVERY_SECONDS * 5)
            failures = 0
        except Exception as error:  # a store restarting or busy: try again shortly
            failures += 1
            if failures == 1:
                _say(f"sending texts failed ({type(error).__name__}); retrying")


def serve(env: dict[str, str], port: int, state: Path, embedded: Any, legacy: Path | None, started: float) -> int:
    from app import app
    from chalicelib.storage import aws
    from devtools.bootstrap import ensure_bucket, ensure_table
    from devtools.dynamodb_server import ServerFailed
    from devtools.local_server import make_server

    client = aws.client("dynamodb")
    s3 = aws.client("s3") if embedded else None
    try:
        server = make_server(app, chalice_config("local"), "127.0.0.1", port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise SetupError(_port_in_use(port, "PORT")) from None
        raise
    restored = ""
    if embedded is not None:
        try:
            stats = embedded.wait_ready()["restored"] or {}
        except ServerFailed as failed:
            raise SetupError(f"{failed} (see above).") from None
        if stats.get("snapshot_items") or stats.get("journal_records"):
            restored = (f"restored {stats['snapshot_items']} items and {stats['journal_records']} journaled "
                        f"writes in {stats['seconds']:.2f} s")

    table = env["TABLE_NAME"]
    ensure_table(client, table)
    if legacy is not None:
        count = import_legacy_snapshot(client, legacy, table)
        restored = f"imported {count} items from the snapshot of an older version"
    if s3 is not None:
        ensure_bucket(s3, env["EXPORT_BUCKET"])
        ensure_bucket(s3, env["PHOTO_BUCKET"])  # item photos (embedded S3: any origin may POST)
    seed_demo_events()

    base = env["PUBLIC_BASE_URL"]
    award, exchange = (demo["event_id"] for demo in DEMO_EVENTS)
    data = (f"{_display(state)} (every acknowledged write is on disk first: kill -9 loses nothing)" if embedded
            else f"in the DynamoDB at {env['DYNAMODB_ENDPOINT']}")
    restored_line = f"\n                      {restored}" if restored else ""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    serving = threading.Thread(target=server.server.serve_forever, daemon=True)
    serving.start()
    threading.Thread(target=retention_worker, args=(stop,), daemon=True).start()
    threading.Thread(target=messages_worker, args=(stop,), daemon=True).start()
    _say(f"""
baoming is running on {base}  (started in {time.perf_counter() - started:.1f} s)
  admin token:        {env['ADMIN_TOKEN']}
  OpenAPI:            {base}/openapi.json
  demo events (API):  {base}/events/{award}  ·  {base}/events/{exchange}
  registration forms: {base}/e/{award}  ·  {base}/e/{exchange}
  demo ticket:        {demo_ticket_url(state)}
  gate scanner:       {demo_scanner_url()}
  intake desk:        {demo_desk_url()}
  organiser console:  {base}/admin
  privacy notice:     {base}/privacy
  texts (SMS):        {sms_line(env, base)}
  DynamoDB:           {env['DYNAMODB_ENDPOINT']}
  data:               {data}{restored_line}
Ctrl-C stops everything.
""")
    stop.wait()
    server.shutdown()
    if embedded is not None:
        saved = embedded.stop()
        _say(f"\nsaved {saved} items to {_display(state)}; bye")
    return 0


if __name__ == "__main__":
    sys.exit(main())
