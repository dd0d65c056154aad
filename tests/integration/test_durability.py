"""Local durability (SPEC §10): what the embedded DynamoDB acknowledged survives kill -9 and
SIGHUP, an erasure stays erased, and `make run` keeps its ports and files straight.

Everything runs as real child processes (`python -m devtools.dynamodb_server`,
`python -m devtools.run_local`) killed with real signals; nothing is faked.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from devtools.bootstrap import create_table_kwargs
from devtools.samples import event_body, registration_body

ROOT = Path(__file__).resolve().parents[2]
TABLE = "durable"
ADMIN_TOKEN = "durability-test-admin-token-0123456789abcdef"  # 44 characters


# --- helpers ------------------------------------------------------------------------------------

def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh shell: none of the test session's TABLE_NAME, DYNAMODB_ENDPOINT, ..."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    env.update(extra)
    return env


class Server:
    """`python -m devtools.dynamodb_server --port 0 --data-dir DIR`, as a child process."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devtools.dynamodb_server", "--port", "0", "--data-dir", str(data_dir), *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or _clean_env(),
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"server did not start: {self.process.stderr.read() if self.process.stderr else ''}")
        ready = json.loads(line)
        self.endpoint: str = ready["endpoint"]
        self.restored: dict[str, Any] = ready["restored"]
        self.client = boto3.client(
            "dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 1}),
        )

    def kill(self, signum: int = signal.SIGKILL) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=30)
        self.stderr = self.process.stderr.read() if self.process.stderr else ""
        return code

    def scan(self, table: str = TABLE) -> dict[tuple[str, str], dict[str, Any]]:
        items, kwargs = {}, {"TableName": table}
        while True:
            page = self.client.scan(**kwargs)
            for item in page["Items"]:
                items[(item["pk"]["S"], item["sk"]["S"])] = item
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def create_table(self) -> None:
        self.client.create_table(**create_table_kwargs(TABLE))
        self.client.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})


@contextmanager
def running(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    server = Server(data_dir, *args, env=env)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.kill(signal.SIGTERM)


def S(value: str) -> dict[str, str]:  # noqa: N802 (DynamoDB's type letters)
    return {"S": value}


def N(value: int) -> dict[str, str]:  # noqa: N802
    return {"N": str(value)}


def person(n: int) -> dict[str, Any]:
    return {"pk": S("EVENT#e1"), "sk": S(f"REG#{n:04d}"), "type": S("registration"), "name": S(f"参加者{n}"),
            "phone": S(f"139{n:08d}"), "city": S("杭州"), "status": S("confirmed"), "party_size": N(1),
            "items": {"L": [{"M": {"name": S("像章"), "intent": S("exhibit")}}]}, "tags": {"SS": ["a", "b"]},
            "gsi1pk": S("EVENTS"), "gsi1sk": S(f"2026-01-01#{n:04d}"), "blob": {"B": bytes([n % 256, 0, 255])}}


def register(client: Any, n: int) -> None:
    """A registration-shaped transaction: registration + phone guard (both new) + the event counter."""
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": person(n), "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": TABLE, "Item": {"pk": S("EVENT#e1"), "sk": S(f"PHONE#{n:04d}"),
                                               "registration_id": S(f"{n:04d}")},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": TABLE, "Key": {"pk": S("EVENT#e1"), "sk": S("EVENT")},
                    "UpdateExpression": "ADD confirmed_count :one", "ExpressionAttributeValues": {":one": N(1)}}},
    ])


def erase(client: Any, n: int) -> None:
    """As the PIPL erasure does: personal attributes removed and the phone guard deleted, in one transaction."""
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": TABLE, "Key": {"pk": S("EVENT#e1"), "sk": S(f"REG#{n:04d}")},
                    "UpdateExpression": "REMOVE #name, phone, city, #items SET erased = :t",
                    "ExpressionAttributeNames": {"#name": "name", "#items": "items"},
                    "ExpressionAttributeValues": {":t": {"BOOL": True}}}},
        {"Delete": {"TableName": TABLE, "Key": {"pk": S("EVENT#e1"), "sk": S(f"PHONE#{n:04d}")}}},
    ])


def write_everything(server: Server) -> None:
    """Every kind of write, including refused ones, ending with an erasure by UpdateItem."""
    client = server.client
    server.create_table()
    for n in range(1, 11):
        register(client, n)
    client.put_item(TableName=TABLE, Item={"pk": S("EVENT#e1"), "sk": S("NOTE"), "text": S("v1")})
    client.put_item(TableName=TABLE, Item={"pk": S("EVENT#e1"), "sk": S("NOTE"), "text": S("v2")})
    client.delete_item(TableName=TABLE, Key={"pk": S("EVENT#e1"), "sk": S("REG#0009")})
    client.batch_write_item(RequestItems={TABLE: [
        {"PutRequest": {"Item": {"pk": S("BATCH"), "sk": S(f"{n:02d}"), "n": N(n)}}} for n in range(20)
    ] + [{"DeleteRequest": {"Key": {"pk": S("EVENT#e1"), "sk": S("PHONE#0009")}}}]})
    with pytest.raises(ClientError):  # refused: a taken phone guard; must leave nothing behind
        register(client, 3)
    with pytest.raises(ClientError):
        client.put_item(TableName=TABLE, Item={"pk": S("EVENT#e1"), "sk": S("NOTE"), "text": S("v3")},
                        ConditionExpression="attribute_not_exists(pk)")
    erase(client, 4)
    client.update_item(TableName=TABLE, Key={"pk": S("EVENT#e1"), "sk": S("REG#0005")},
                       UpdateExpression="REMOVE phone, #name", ExpressionAttributeNames={"#name": "name"})


def assert_everything(server: Server, before: dict[tuple[str, str], dict[str, Any]]) -> None:
    after = server.scan()
    assert after == before
    assert ("EVENT#e1", "REG#0009") not in after and ("EVENT#e1", "PHONE#0009") not in after
    assert after[("EVENT#e1", "EVENT")]["confirmed_count"] == N(10)
    assert after[("EVENT#e1", "NOTE")]["text"] == S("v2")
    erased = after[("EVENT#e1", "REG#0004")]
    assert {"name", "phone", "city", "items"}.isdisjoint(erased) and erased["erased"] == {"BOOL": True}
    assert ("EVENT#e1", "PHONE#0004") not in after
    assert {"name", "phone"}.isdisjoint(after[("EVENT#e1", "REG#0005")])
    assert after[("EVENT#e1", "REG#0001")]["blob"] == {"B": bytes([1, 0, 255])}
    # the table's definition came back too: its index and its TTL
    listed = server.client.query(TableName=TABLE, IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
                                 ExpressionAttributeValues={":p": S("EVENTS")})["Items"]
    assert len(listed) == 9
    ttl = server.client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def journal_lines(data_dir: Path) -> list[bytes]:
    return (data_dir / "dynamodb-journal.jsonl").read_bytes().splitlines(keepends=True)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- the embedded server ----------------------------------------------------------------------

def test_kill_9_right_after_acknowledged_writes_loses_nothing_and_brings_nothing_erased_back(tmp_path):
    with running(tmp_path) as server:
        write_everything(server)
        before = server.scan()
        # the very last acknowledged writes, then kill -9 at once
        register(server.client, 11)
        erase(server.client, 11)
        assert server.kill(signal.SIGKILL) == -signal.SIGKILL
    expected = dict(before)
    expected[("EVENT#e1", "REG#0011")] = {name: value for name, value in person(11).items()
                                         if name not in ("name", "phone", "city", "items")}
    expected[("EVENT#e1", "REG#0011")]["erased"] = {"BOOL": True}
    expected[("EVENT#e1", "EVENT")] = {**before[("EVENT#e1", "EVENT")], "confirmed_count": N(11)}
    with running(tmp_path) as server:
        assert server.restored["journal_records"] > 0 and server.restored["snapshot_items"] == 0
        assert server.scan() == expected


@pytest.mark.slow
def test_restart_after_kill_9_serves_exactly_the_acknowledged_state(tmp_path):
    with running(tmp_path) as server:
        write_everything(server)
        before = server.scan()
        server.kill(signal.SIGKILL)
    with running(tmp_path) as server:
        assert_everything(server, before)
        server.client.put_item(TableName=TABLE, Item={"pk": S("AFTER"), "sk": S("RESTART")})
        server.kill(signal.SIGKILL)
    with running(tmp_path) as server:  # the second life's writes are journaled too
        assert server.scan()[("AFTER", "RESTART")] == {"pk": S("AFTER"), "sk": S("RESTART")}


def test_sighup_stops_cleanly_into_the_snapshot(tmp_path):
    with running(tmp_path) as server:
        write_everything(server)
        before = server.scan()
        assert server.kill(signal.SIGHUP) == 0
    assert journal_lines(tmp_path) == []  # compacted on the way out
    with running(tmp_path) as server:
        assert server.restored["snapshot_items"] == len(before) and server.restored["journal_records"] == 0
        assert_everything(server, before)


@pytest.mark.slow
def test_a_torn_last_journal_line_is_dropped_and_the_journal_goes_on(tmp_path):
    with running(tmp_path) as server:
        write_everything(server)
        before = server.scan()
        server.kill(signal.SIGKILL)
    last = journal_lines(tmp_path)[-1]
    with open(tmp_path / "dynamodb-journal.jsonl", "ab") as journal:
        journal.write(last[: len(last) // 2])  # a write the crash interrupted (never acknowledged)
    with running(tmp_path) as server:
        assert server.restored["torn_tail_bytes"] == len(last) // 2
        assert_everything(server, before)
        server.client.put_item(TableName=TABLE, Item={"pk": S("AFTER"), "sk": S("TORN")})
        server.kill(signal.SIGKILL)
    with running(tmp_path) as server:
        assert server.restored["torn_tail_bytes"] == 0
        assert ("AFTER", "TORN") in server.scan()


def test_a_damaged_record_in_the_middle_refuses_to_start(tmp_path):
    with running(tmp_path) as server:
        write_everything(server)
        server.kill(signal.SIGKILL)
    lines = journal_lines(tmp_path)
    lines[3] = lines[3].replace(b"REG#", b"REX#", 1)  # its checksum no longer matches
    (tmp_path / "dynamodb-journal.jsonl").write_bytes(b"".join(lines))
    process = subprocess.run([sys.executable, "-m", "devtools.dynamodb_server", "--port", "0",
                              "--data-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                             env=_clean_env(), timeout=60)
    assert process.returncode == 2
    assert "damaged record" in process.stderr and "dynamodb-journal.jsonl" in process.stderr


def test_compaction_while_writing_then_kill_9(tmp_path):
    with running(tmp_path, "--compact-mb", "0.004") as server:  # compacts every ~4 KB of journal
        write_everything(server)
        for n in range(20, 40):
            register(server.client, n)
        erase(server.client, 21)
        before = server.scan()
        server.kill(signal.SIGKILL)
    assert (tmp_path / "dynamodb-snapshot.json").stat().st_size > 0
    assert len(journal_lines(tmp_path)) < 10
    with running(tmp_path) as server:
        assert server.restored["snapshot_items"] > 0
        after = server.scan()
        assert after == before
        assert "phone" not in after[("EVENT#e1", "REG#0021")] and ("EVENT#e1", "PHONE#0021") not in after


@pytest.mark.slow
def test_a_crash_between_snapshot_and_journal_truncation_replays_nothing_twice(tmp_path):
    faulty = _clean_env(BAOMING_DYNAMODB_FAULT="crash-before-journal-truncate")
    with running(tmp_path, "--compact-mb", "0.008", env=faulty) as server:
        server.create_table()
        written = 0
        with pytest.raises(Exception):  # noqa: B017 (the server dies inside the compaction this write triggers)
            while True:
                server.client.update_item(TableName=TABLE, Key={"pk": S("COUNTER"), "sk": S("C")},
                                          UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": N(1)})
                written += 1
        assert server.process.wait(timeout=10) == 137
    journaled = len(journal_lines(tmp_path))
    assert journaled == written + 3  # CreateTable, UpdateTimeToLive, the writes (the last one unacknowledged)
    with running(tmp_path) as server:
        assert server.restored["skipped_records"] == journaled and server.restored["journal_records"] == 0
        counter = server.client.get_item(TableName=TABLE, Key={"pk": S("COUNTER"), "sk": S("C")})["Item"]
        assert counter["n"] == N(written + 1)
        server.kill(signal.SIGTERM)
    assert "replaying" not in server.stderr  # CreateTable was not run a second time


@pytest.mark.slow
def test_files_are_owner_only_even_when_they_were_not(tmp_path):
    data = tmp_path / "state"
    with running(data) as server:
        server.create_table()
        server.client.put_item(TableName=TABLE, Item={"pk": S("A"), "sk": S("B")})
        server.kill(signal.SIGTERM)
    os.chmod(data, 0o755)
    for name in ("dynamodb-snapshot.json", "dynamodb-journal.jsonl", "dynamodb.lock"):
        os.chmod(data / name, 0o644)
    with running(data) as server:
        assert mode(data) == 0o700
        assert {path.name: mode(path) for path in data.iterdir()} == {
            "dynamodb-snapshot.json": 0o600, "dynamodb-journal.jsonl": 0o600, "dynamodb.lock": 0o600}
        server.client.put_item(TableName=TABLE, Item={"pk": S("A"), "sk": S("C")})
        server.kill(signal.SIGTERM)
    assert {path.name: mode(path) for path in data.iterdir()} == {
        "dynamodb-snapshot.json": 0o600, "dynamodb-journal.jsonl": 0o600, "dynamodb.lock": 0o600}


def test_one_data_directory_one_server(tmp_path):
    with running(tmp_path):
        second = subprocess.run([sys.executable, "-m", "devtools.dynamodb_server", "--port", "0",
                                 "--data-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                                env=_clean_env(), timeout=60)
    assert second.returncode == 2
    assert "already used by another embedded DynamoDB server" in second.stderr
    assert "BAOMING_STATE_DIR" in second.stderr


def test_spawn_without_a_data_directory_keeps_nothing(tmp_path):
    from devtools.dynamodb_server import spawn

    process, endpoint = spawn()
    try:
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local")
        client.create_table(**create_table_kwargs(TABLE))
        client.put_item(TableName=TABLE, Item={"pk": S("A"), "sk": S("B")})
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not any(tmp_path.iterdir())
    assert not (ROOT / "dynamodb-journal.jsonl").exists()


def test_the_server_names_dynamodb_port_when_its_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.run([sys.executable, "-m", "devtools.dynamodb_server"], cwd=ROOT,
                                 capture_output=True, text=True, timeout=60,
                                 env=_clean_env(DYNAMODB_PORT=str(port)))
    assert process.returncode == 2
    assert f"port {port}" in process.stderr and "Set DYNAMODB_PORT to a free port" in process.stderr
    assert "Traceback" not in process.stderr


# --- make run ---------------------------------------------------------------------------------

def free_port_pair() -> int:
    """A port p with p + 1 free too (for PORT and the default DYNAMODB_PORT)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise AssertionError("no two consecutive free ports")


class Stack:
    """`python -m devtools.run_local` (what `make run` runs) in its own process group."""

    def __init__(self, state: Path, port: int, **env: str):
        self.port, self.state = port, state
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devtools.run_local"], cwd=ROOT, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0,
            env=_clean_env(PORT=str(port), BAOMING_STATE_DIR=str(state), ADMIN_TOKEN=ADMIN_TOKEN, **env),
        )
        self.output = self._read_until("Ctrl-C stops everything", timeout=60)
        self.admin = requests.Session()
        self.admin.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"

    def _read_until(self, marker: str, timeout: float) -> str:
        assert self.process.stdout is not None
        fd, output, deadline = self.process.stdout.fileno(), b"", time.monotonic() + timeout
        while time.monotonic() < deadline and marker.encode() not in output:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                output += chunk
        if marker.encode() not in output:
            self.kill_group(signal.SIGKILL)
            raise AssertionError(f"run_local did not print {marker!r}:\n{output.decode(errors='replace')}")
        return output.decode()

    def kill_group(self, signum: int) -> int:
        os.killpg(self.process.pid, signum)
        return self.process.wait(timeout=60)

    def rest(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.read().decode()


@pytest.mark.slow
def test_make_run_survives_kill_9_of_its_process_group(tmp_path):
    state, port = tmp_path / "state", free_port_pair()
    stack = Stack(state, port)
    try:
        assert f"DynamoDB:           http://127.0.0.1:{port + 1}" in stack.output
        response = stack.admin.post(stack.base + "/events", json=event_body(capacity=50), timeout=30)
        assert response.status_code == 201, response.text
        event_id = response.json()["event_id"]
        tickets = {}
        for _ in range(12):
            created = requests.post(f"{stack.base}/events/{event_id}/registrations", json=registration_body(),
                                    timeout=30)
            assert created.status_code == 201, created.text
            tickets[created.json()["registration_id"]] = created.json()["ticket_token"]
        erased_id = next(iter(tickets))
        erased = stack.admin.delete(f"{stack.base}/events/{event_id}/registrations/{erased_id}", timeout=30)
        assert erased.status_code == 204, erased.text
    finally:
        assert stack.kill_group(signal.SIGKILL) == -signal.SIGKILL

    stack = Stack(state, port)
    try:
        assert "journaled writes" in stack.output
        listed, cursor = {}, None
        while True:
            page = stack.admin.get(f"{stack.base}/events/{event_id}/registrations",
                                   params={"limit": 100, **({"cursor": cursor} if cursor else {})}, timeout=30)
            assert page.status_code == 200, page.text
            listed.update({item["registration_id"]: item for item in page.json()["items"]})
            cursor = page.json()["next_cursor"]
            if not cursor:
                break
        assert set(listed) == set(tickets)
        assert listed[erased_id]["name"] is None and listed[erased_id]["phone"] is None
        assert all(item["name"] == "张三" and item["status"] == "confirmed"
                   for rid, item in listed.items() if rid != erased_id)
        assert requests.get(f"{stack.base}/tickets/{tickets[erased_id]}", timeout=30).status_code == 404
        kept = next(token for rid, token in tickets.items() if rid != erased_id)
        assert requests.get(f"{stack.base}/tickets/{kept}", timeout=30).status_code == 200
        stats = stack.admin.get(f"{stack.base}/events/{event_id}/stats", timeout=30).json()
        assert stats["confirmed"] == 11
        late = requests.post(f"{stack.base}/events/{event_id}/registrations", json=registration_body(), timeout=30)
        assert late.status_code == 201
    finally:
        stack.process.kill()  # kill -9 of make run alone: its DynamoDB sees its stdin close and stops cleanly
        assert stack.process.wait(timeout=30) == -signal.SIGKILL
    wait_until_released(state)

    stack = Stack(state, port)
    try:
        assert " 0 journaled writes" in stack.output  # it stopped cleanly, i.e. compacted
        ticket = requests.get(f"{stack.base}/tickets/{late.json()['ticket_token']}", timeout=30)
        assert ticket.status_code == 200 and ticket.json()["status"] == "confirmed"
    finally:
        assert stack.kill_group(signal.SIGINT) == 0
    assert "saved" in stack.rest()
    assert mode(state) == 0o700
    assert {path.name: mode(path) for path in state.iterdir()} == dict.fromkeys(
        ("secrets.json", "demo-ticket.json", "dynamodb-snapshot.json", "dynamodb-journal.jsonl", "dynamodb.lock"),
        0o600)


def wait_until_released(state: Path, timeout: float = 60) -> None:
    """Until no server holds the state directory's lock."""
    import fcntl

    deadline = time.monotonic() + timeout
    with open(state / "dynamodb.lock", "rb") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(lock, fcntl.LOCK_UN)
                return
            except BlockingIOError:
                assert time.monotonic() < deadline, "the embedded DynamoDB outlived make run"
                time.sleep(0.1)


@pytest.mark.slow
def test_two_stacks_with_different_ports_run_side_by_side(tmp_path):
    first_port = free_port_pair()
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "dynamodb-snapshot.json").write_text(json.dumps(  # as make run saved it before the journal
        {"table": "baoming-local", "items": [{"pk": S("LEGACY#1"), "sk": S("OLD"), "kept": S("yes")}]}))
    first = Stack(tmp_path / "one", first_port)
    assert "imported 1 items from the snapshot of an older version" in first.output
    try:
        second_port = free_port_pair()
        second = Stack(tmp_path / "two", second_port)
        try:
            for stack, port in ((first, first_port), (second, second_port)):
                assert f"DynamoDB:           http://127.0.0.1:{port + 1}" in stack.output
                assert requests.get(f"{stack.base}/events/demo-award-2026", timeout=30).status_code == 200
            created = first.admin.post(first.base + "/events", json=event_body(), timeout=30)
            assert created.status_code == 201
            event_id = created.json()["event_id"]
            assert requests.get(f"{second.base}/events/{event_id}", timeout=30).status_code == 404
        finally:
            second.kill_group(signal.SIGTERM)
    finally:
        first.kill_group(signal.SIGTERM)
    snapshot = json.loads((tmp_path / "one" / "dynamodb-snapshot.json").read_text())
    assert {"pk": "LEGACY#1", "sk": "OLD", "kept": "yes"} in snapshot["tables"][0]["items"]
    assert not (tmp_path / "one" / "dynamodb-snapshot.legacy.json").exists()


def run_local_fails(**env: str) -> subprocess.CompletedProcess[str]:
    process = subprocess.run([sys.executable, "-m", "devtools.run_local"], cwd=ROOT, capture_output=True,
                             text=True, timeout=60, env=_clean_env(**env))
    assert process.returncode == 2, process.stdout + process.stderr
    assert "Traceback" not in process.stderr and "Fatal" not in process.stderr, process.stderr
    return process


def test_make_run_names_the_variable_for_a_taken_port(tmp_path):
    port = free_port_pair()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        failed = run_local_fails(PORT=str(port), BAOMING_STATE_DIR=str(tmp_path), ADMIN_TOKEN=ADMIN_TOKEN)
    assert f"port {port}" in failed.stderr and "Set PORT to a free port" in failed.stderr

    port = free_port_pair()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port + 1))
        taken.listen()
        failed = run_local_fails(PORT=str(port), BAOMING_STATE_DIR=str(tmp_path), ADMIN_TOKEN=ADMIN_TOKEN)
    assert f"port {port + 1}" in failed.stderr and "Set DYNAMODB_PORT to a free port" in failed.stderr


@pytest.mark.parametrize("token, why", [("", "is empty"), ("short-token-31-characters-long!", "too short (31"),
                                        ("x" * 40 + "\n", "control characters")])
def test_make_run_refuses_a_weak_admin_token(tmp_path, token, why):
    failed = run_local_fails(PORT=str(free_port_pair()), BAOMING_STATE_DIR=str(tmp_path), ADMIN_TOKEN=token)
    assert why in failed.stderr and "ADMIN_TOKEN" in failed.stderr
    assert "openssl rand -base64 32" in failed.stderr and "secrets.token_urlsafe(32)" in failed.stderr


def test_generated_admin_tokens_are_long_enough(tmp_path):
    from devtools.run_local import MIN_ADMIN_TOKEN_LENGTH, _generated_secrets

    values = _generated_secrets(tmp_path)
    assert len(values["ADMIN_TOKEN"]) >= MIN_ADMIN_TOKEN_LENGTH
    assert mode(tmp_path / "secrets.json") == 0o600
    assert _generated_secrets(tmp_path) == values  # kept


def test_ports_and_state_directories_follow_port(monkeypatch):
    from devtools import run_local

    for name in ("PORT", "DYNAMODB_PORT", "BAOMING_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert run_local.state_dir(8000) == ROOT / ".local"
    assert run_local.state_dir(9000) == ROOT / ".local" / "port-9000"
    monkeypatch.setenv("BAOMING_STATE_DIR", "/tmp/elsewhere")
    assert run_local.state_dir(9000) == Path("/tmp/elsewhere")
    monkeypatch.setenv("PORT", "9000")
    assert run_local.read_port("DYNAMODB_PORT", 9001) == 9001
    monkeypatch.setenv("DYNAMODB_PORT", "9100")
    assert run_local.read_port("DYNAMODB_PORT", 9001) == 9100
    monkeypatch.setenv("DYNAMODB_PORT", "eighty")
    with pytest.raises(run_local.SetupError, match="DYNAMODB_PORT"):
        run_local.read_port("DYNAMODB_PORT", 9001)
