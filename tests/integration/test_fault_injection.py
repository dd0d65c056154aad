"""A registration burst and gate check-ins against a DynamoDB that throttles, fails and stalls.

A second embedded server (its own process) injects faults into ~10% of data-plane requests
(devtools/dynamodb_server.py, "fault injection"): throttling and 500s answered before the
request runs, and slow answers. The app runs as its own process against it (its settings are
process-global), and clients behave as a phone or a gate scanner following Retry-After would:
on a 503 they send the same request again, with the same Idempotency-Key and body.

What must hold: every answer is a 2xx, a 4xx or a 503 with Retry-After (never a 500 or a dropped
connection); seats never exceed capacity and the counters match the registrations; one live
registration per phone; every client that got its 201 holds a ticket that exists, and every
registration the store kept reached the client that asked for it; each ticket is checked in
once, by one scan, and the counters say so. The figures (answers, retries, faults) are printed
(`pytest -s`) and attached to the assertion messages.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from devtools.bootstrap import ensure_bucket, ensure_table
from devtools.dynamodb_server import fault_control, spawn
from devtools.samples import event_body, registration_body

ROOT = Path(__file__).resolve().parents[2]

# ~10% of data-plane requests: 5% throttled, 3% failing, 2% slow (0.5-1.5 s, then served).
FAULTS = "throttle=0.05,error=0.03,slow=0.02,slow_seconds=0.5-1.5"
SEED = int(os.environ.get("BAOMING_FAULT_SEED") or 20260101)  # another seed, another run of faults
CAPACITY = 30
REGISTRATIONS = 120
REGISTRATION_THREADS = 16
CHECKIN_THREADS = 8
ATTEMPTS = 5  # per request: the first try and up to four retries after a 503
# Retry-After says 2 s; the clients here wait 0.1-0.3 s instead, to keep the test short. What a
# retry carries (the same key and body) is what matters, not how long the client waited.
RETRY_PAUSE = (0.1, 0.3)


# --- the faulty store and the app on it ------------------------------------------------------------

@pytest.fixture(scope="module")
def faulty_endpoint() -> Iterator[str]:
    process, endpoint = spawn(faults=FAULTS, seed=SEED)
    try:
        fault_control(endpoint, enabled=False)  # set up in peace; switched on for the burst
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


@pytest.fixture(scope="module")
def faulty_app(faulty_endpoint: str, app_environment: dict[str, str], tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The app in its own process on the faulty store: (base URL, its stderr log)."""
    ensure_table(_client("dynamodb", faulty_endpoint), app_environment["TABLE_NAME"])
    ensure_bucket(_client("s3", faulty_endpoint), app_environment["EXPORT_BUCKET"])
    log = tmp_path_factory.mktemp("faulty-app") / "app-stderr.log"
    # The test stack's 10 s read timeout (devtools/local_env.py), not the deployed 2 s: a slow
    # fault (≤ 1.5 s) plus the queue at the embedded store's one lock could pass 2 s, and a
    # write botocore retries after a read timeout may already have run; moto ignores the
    # ClientRequestToken that makes real DynamoDB answer such a retried transaction as the first.
    env = {**os.environ, **app_environment, "DYNAMODB_ENDPOINT": faulty_endpoint, "PORT": "0",
           "AWS_READ_TIMEOUT": "10"}
    env.pop("S3_ENDPOINT", None)
    with open(log, "w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "devtools.local_server"], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://"), "the app server did not start: " + log.read_text()[-2000:]
        yield base_url, log
    finally:
        process.kill()
        process.wait(timeout=10)


# --- clients that retry a 503 as Retry-After asks ------------------------------------------------

@dataclass
class Tally:
    """Every answer seen, by phase and status; retries; anything that is not 2xx/4xx/503."""

    answers: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    retries: Counter = field(default_factory=Counter)
    gave_up: Counter = field(default_factory=Counter)  # still 503 after ATTEMPTS
    wrong: list[str] = field(default_factory=list)  # 500s, other 5xx, dropped connections, bad 503s
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, phase: str, what: str | int) -> None:
        with self.lock:
            self.answers[phase][str(what)] += 1

    def report(self) -> dict[str, Any]:
        return {"answers": {phase: dict(sorted(c.items())) for phase, c in self.answers.items()},
                "retries": dict(self.retries), "gave_up_after_503s": dict(self.gave_up), "wrong": self.wrong[:10]}


def send(tally: Tally, phase: str, session: requests.Session, method: str, url: str,
         **kwargs: Any) -> requests.Response | None:
    """The request, sent again (identically) after each 503, at most ATTEMPTS times; the last answer."""
    response = None
    for attempt in range(ATTEMPTS):
        if attempt:
            with tally.lock:
                tally.retries[phase] += 1
        try:
            response = session.request(method, url, timeout=30, **kwargs)
        except requests.RequestException as error:  # a dropped connection or a hang: never acceptable
            tally.note(phase, "dropped")
            with tally.lock:
                tally.wrong.append(f"{phase}: {method} {url}: {type(error).__name__}: {error}")
            response = None
        else:
            status = response.status_code
            tally.note(phase, status)
            if status == 503:
                is_json = response.headers.get("Content-Type", "").startswith("application/json")
                body = response.json() if is_json else {}
                if body.get("error") != "service_unavailable" or not response.headers.get("Retry-After"):
                    with tally.lock:
                        tally.wrong.append(f"{phase}: 503 without Retry-After or error JSON: {response.text[:200]}")
            elif status >= 500 or status < 200 or 300 <= status < 400:
                with tally.lock:
                    tally.wrong.append(f"{phase}: {method} {url} -> {status}: {response.text[:300]}")
                return response
            else:
                return response
        time.sleep(random.uniform(*RETRY_PAUSE))
    with tally.lock:
        tally.gave_up[phase] += 1
    return response


def run_in_threads(jobs: list[Any], threads: int) -> list[Any]:
    local = threading.local()

    def call(job: Any) -> Any:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return job(local.session)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(call, jobs))


# --- reading the store directly, faults off ------------------------------------------------------

def partition(endpoint: str, table: str, event_id: str) -> list[dict[str, Any]]:
    from chalicelib.storage.dynamo import from_dynamo

    client = _client("dynamodb", endpoint)
    items, kwargs = [], {"TableName": table, "ConsistentRead": True, "KeyConditionExpression": "pk = :pk",
                         "ExpressionAttributeValues": {":pk": {"S": f"EVENT#{event_id}"}}}
    while True:
        page = client.query(**kwargs)
        items.extend(from_dynamo(raw) for raw in page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# --- the test ---------------------------------------------------------------------------------------

@dataclass
class Client:
    """One phone at the registration form: its body and key stay the same across retries."""

    number: int
    body: dict[str, Any]
    key: str
    final: requests.Response | None = None

    @property
    def ticket(self) -> dict[str, Any] | None:
        return self.final.json() if self.final is not None and self.final.status_code == 201 else None


@pytest.mark.slow
def test_a_burst_under_injected_faults_answers_503_never_500_and_loses_nothing(
        faulty_endpoint, faulty_app, app_environment):
    base_url, app_log = faulty_app
    table = app_environment["TABLE_NAME"]
    admin_headers = {"Authorization": f"Bearer {app_environment['ADMIN_TOKEN']}"}
    tally = Tally()
    started = time.monotonic()
    fault_control(faulty_endpoint, enabled=True, reset=True)

    # 1. The organiser creates the event (same body, same event_id, on every retry) and two gate links.
    admin = requests.Session()
    admin.headers.update(admin_headers)
    body = event_body(capacity=CAPACITY, waitlist=True, max_party_size=2)
    eid = body["event_id"]
    created = send(tally, "admin", admin, "POST", f"{base_url}/events", json=body)
    assert created is not None and created.status_code == 201, (created.text if created is not None else None,
                                                                 tally.report())
    gates = {}
    for gate in ("东门", "西门"):
        issued = send(tally, "admin", admin, "POST", f"{base_url}/events/{eid}/staff-tokens", json={"label": gate})
        assert issued is not None and issued.status_code == 201, (issued.text if issued is not None else None,
                                                                  tally.report())
        gates[gate] = issued.json()["token"]

    # 2. 120 phones register at once, 16 at a time, parties of 1 or 2.
    rng = random.Random(SEED)
    clients = [Client(i, registration_body(party_size=rng.choice((1, 2))), f"reg-{i}-{uuid.uuid4().hex}")
               for i in range(REGISTRATIONS)]

    def register(client: Client):
        def job(session: requests.Session) -> None:
            client.final = send(tally, "register", session, "POST", f"{base_url}/events/{eid}/registrations",
                                json=client.body, headers={"Idempotency-Key": client.key})
        return job

    run_in_threads([register(c) for c in clients], REGISTRATION_THREADS)
    registration_seconds = time.monotonic() - started

    # Which tickets are confirmed now (a waitlisted reply may have been promoted since): read with faults off.
    fault_control(faulty_endpoint, enabled=False)
    by_id = {item["registration_id"]: item for item in partition(faulty_endpoint, table, eid)
             if item["sk"].startswith("REG#")}
    fault_control(faulty_endpoint, enabled=True)
    held = {c.ticket["registration_id"]: c for c in clients if c.ticket}
    to_scan = [c.ticket["ticket_token"] for rid, c in held.items() if by_id.get(rid, {}).get("status") == "confirmed"]

    # 3. Every confirmed ticket is scanned at both gates (a guest shown in twice), 8 scanners at once;
    #    each scan keeps its Idempotency-Key (nonce) across its retries.
    scans = [(token, gate, f"scan-{n}-{token[-12:]}-{uuid.uuid4().hex[:8]}")
             for token in to_scan for n, gate in enumerate(gates)]
    random.Random(SEED + 1).shuffle(scans)
    verdicts: list[tuple[str, str, str, int | None, str | None]] = []
    verdicts_lock = threading.Lock()

    def scan(token: str, gate: str, nonce: str):
        def job(session: requests.Session) -> None:
            response = send(tally, "checkin", session, "POST", f"{base_url}/events/{eid}/checkins",
                            json={"code": token, "gate": gate},
                            headers={"Authorization": f"Bearer {gates[gate]}", "Idempotency-Key": nonce})
            result = None
            if response is not None and response.headers.get("Content-Type", "").startswith("application/json"):
                result = response.json().get("result")
            with verdicts_lock:
                verdicts.append((token, gate, nonce, response.status_code if response is not None else None, result))
        return job

    run_in_threads([scan(*s) for s in scans], CHECKIN_THREADS)
    faults = fault_control(faulty_endpoint, enabled=False)
    burst_seconds = time.monotonic() - started

    # 4. What the store kept, and what the app says now that DynamoDB is well again.
    items = partition(faulty_endpoint, table, eid)
    stored_event = next(item for item in items if item["sk"] == "EVENT")
    registrations = [item for item in items if item["sk"].startswith("REG#")]
    guards = [item for item in items if item["sk"].startswith("PHONE#")]
    waiting_entries = [item for item in items if item["sk"].startswith("WAIT#")]
    live = [r for r in registrations if r["status"] in ("confirmed", "waitlisted")]
    confirmed = [r for r in registrations if r["status"] == "confirmed"]
    waitlisted = [r for r in registrations if r["status"] == "waitlisted"]
    seats = sum(r["party_size"] for r in confirmed)

    checker = requests.Session()
    tickets_missing = []
    for client in clients:
        if client.ticket:
            shown = checker.get(f"{base_url}/tickets/{client.ticket['ticket_token']}", timeout=30)
            if shown.status_code != 200 or shown.json()["registration_id"] != client.ticket["registration_id"]:
                tickets_missing.append((client.number, shown.status_code, shown.text[:200]))
    stats = checker.get(f"{base_url}/events/{eid}/stats", headers=admin_headers, timeout=30)
    assert stats.status_code == 200, stats.text

    finals = Counter(finals_of(c) for c in clients)
    # A registration in the store that no client holds a ticket for: its phone's owner was told
    # something else (a 409, or a 503 after every retry) though the seat or waitlist place is taken.
    phone_owner = {c.body["phone"]: c for c in clients}
    orphans = [
        {"registration_id": r["registration_id"], "status": r["status"], "client": phone_owner[r["phone"]].number,
         "client_final": finals_of(phone_owner[r["phone"]])}
        for r in live if r["registration_id"] not in held
    ]
    ok_nonces: dict[str, set[str]] = defaultdict(set)
    for token, _, nonce, _, result in verdicts:
        if result == "ok":
            ok_nonces[token].add(nonce)
    twice = {token[-8:]: sorted(n) for token, n in ok_nonces.items() if len(n) > 1}
    checked_in_ids = {r["registration_id"] for r in registrations if r.get("checked_in_at")}
    ok_ids = {held_id for held_id, c in held.items() if c.ticket["ticket_token"] in ok_nonces}
    scan_results = Counter(f"{status} {result}" for _, _, _, status, result in verdicts)

    figures = {
        "faults": {"spec": faults["spec"], "data_plane_requests": faults["seen"], "injected": faults["injected"],
                   "by_action": faults["by_action"]},
        **tally.report(),
        "registration_finals": dict(finals),
        "scan_results": dict(scan_results),
        "store": {"registrations": len(registrations), "confirmed": len(confirmed), "seats": seats,
                  "waitlisted": len(waitlisted), "guards": len(guards), "checked_in": len(checked_in_ids)},
        "event_counters": {k: stored_event.get(k) for k in ("seats_confirmed", "confirmed_count", "waitlisted_count",
                                                            "checked_in_count", "waitlist_seq")},
        "stats": {k: stats.json().get(k) for k in ("confirmed", "waitlisted", "checked_in", "seats_confirmed")},
        "orphaned_registrations": orphans,
        "tickets_missing": tickets_missing,
        "checked_in_twice": twice,
        "seconds": {"registrations": round(registration_seconds, 1), "burst": round(burst_seconds, 1),
                    "total": round(time.monotonic() - started, 1)},
    }
    report = json.dumps(figures, ensure_ascii=False, indent=1)
    print("\nfault-injection figures:\n" + report)
    app_errors = [line for line in app_log.read_text(errors="replace").splitlines() if "Traceback" in line]

    problems = []
    if tally.wrong:
        problems.append(f"answers other than 2xx/4xx/503: {tally.wrong[:5]}")
    if sum(faults["injected"].values()) == 0:
        problems.append("no fault was injected")
    if not seats <= CAPACITY:
        problems.append(f"over-booked: {seats} seats confirmed for {CAPACITY}")
    if (stored_event["seats_confirmed"], stored_event["confirmed_count"], stats.json()["seats_confirmed"]) != \
            (seats, len(confirmed), seats):
        problems.append("the event's seat counters do not match its confirmed registrations")
    if stored_event["waitlisted_count"] != len(waitlisted) or len(waiting_entries) != len(waitlisted):
        problems.append("the waitlist counter or entries do not match the waitlisted registrations")
    if any(n > 1 for n in Counter(r["phone"] for r in live).values()):
        problems.append("a phone has two live registrations")
    if len(guards) != len(live):
        problems.append(f"{len(guards)} phone guards for {len(live)} live registrations")
    if tickets_missing:
        problems.append(f"clients with a 201 whose ticket does not show: {tickets_missing[:5]}")
    if orphans:
        problems.append(f"registrations the store kept but their client never got (a 201 lost to a retry): {orphans}")
    if twice:
        problems.append(f"tickets checked in by two different scans: {twice}")
    if not (stored_event["checked_in_count"] == len(ok_nonces) == len(checked_in_ids) == stats.json()["checked_in"]):
        problems.append("checked_in_count, the tickets scanned ok and the checked-in registrations differ")
    if checked_in_ids != ok_ids:
        problems.append("checked-in registrations differ from the tickets a scanner was told `ok` for")
    assert not problems, "\n".join(problems) + "\n" + report + (
        f"\napp tracebacks: {len(app_errors)} (log: {app_log})" if app_errors else "")


def finals_of(client: Client) -> str:
    if client.final is None:
        return "no answer"
    try:
        body = client.final.json()
    except ValueError:
        return str(client.final.status_code)
    return f"{client.final.status_code} {body.get('status') or body.get('error')}"


# --- the switch itself ------------------------------------------------------------------------------

def test_a_fault_spec_is_parsed_strictly():
    from devtools.dynamodb_server import FAULT_ACTIONS, FaultSpec

    spec = FaultSpec.parse("throttle=0.05, error=0.03,slow=0.02,slow_seconds=0.1-0.2,after=5,seed=9,"
                           "actions=GetItem+Query")
    assert (spec.throttle, spec.error, spec.slow, spec.slow_seconds, spec.after, spec.seed) == \
        (0.05, 0.03, 0.02, (0.1, 0.2), 5, 9)
    assert spec.actions == {"GetItem", "Query"} and FaultSpec.parse(spec.describe()) == spec
    assert FaultSpec.parse("").actions == FAULT_ACTIONS and "CreateTable" not in FAULT_ACTIONS
    for bad in ("throttle=2", "throttle=0.6,error=0.6", "lost_ack=0.1", "actions=CreateTable", "throttle",
                "slow_seconds=2-1"):
        with pytest.raises(ValueError):
            FaultSpec.parse(bad)


def test_injected_faults_are_dynamodb_errors_answered_before_the_request_runs(tmp_path):
    """Each injected error is one botocore reads as DynamoDB's own (and the app as a 503); the
    request did not run, so nothing of it is stored or journaled; a seed repeats the same faults;
    table-level requests are never faulted; switching off works at once."""
    from botocore.config import Config
    from botocore.exceptions import ClientError

    from chalicelib.storage.aws import UNAVAILABLE_CODES

    process, endpoint = spawn(tmp_path, faults="throttle=0.3,error=0.2", seed=5)
    try:
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local",
                              config=Config(retries={"total_max_attempts": 1}))
        ensure_table(client, "faulty")  # CreateTable, DescribeTable, UpdateTimeToLive: never faulted

        def burst(prefix: str) -> list[str]:
            outcomes = []
            for n in range(60):
                try:
                    client.put_item(TableName="faulty", Item={"pk": {"S": f"{prefix}{n}"}, "sk": {"S": "x"}})
                    outcomes.append("ok")
                except ClientError as error:
                    code, status = error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
                    assert code in UNAVAILABLE_CODES, code
                    assert (code, status) in {("ThrottlingException", 400), ("InternalServerError", 500),
                                              ("ProvisionedThroughputExceededException", 400)}, (code, status)
                    outcomes.append(code)
            return outcomes

        first = burst("a")
        state = fault_control(endpoint, reset=True)  # the same seed again: the same faults, request by request
        assert state["seen"] == 0 and state["injected"] == {}
        assert burst("b") == first
        failed = sum(outcome != "ok" for outcome in first)
        assert 10 < failed < 50
        assert fault_control(endpoint)["injected"] == dict(Counter(o for o in first if o != "ok"))
        fault_control(endpoint, enabled=False)
        stored = client.scan(TableName="faulty", Select="COUNT", ConsistentRead=True)["Count"]
        assert stored == 2 * (60 - failed)
        records = [json.loads(line.split(" ", 1)[1]) for line in
                   (tmp_path / "dynamodb-journal.jsonl").read_text().splitlines()]
        assert sum(1 for record in records if record.get("put")) == stored  # one per write that ran
        fault_control(endpoint, enabled=True, spec="error=1", seed=1)
        assert client.describe_table(TableName="faulty")["Table"]["TableName"] == "faulty"
        with pytest.raises(ClientError):
            client.get_item(TableName="faulty", Key={"pk": {"S": "a0"}, "sk": {"S": "x"}})
    finally:
        process.terminate()
        process.wait(timeout=10)
    snapshot = json.loads((tmp_path / "dynamodb-snapshot.json").read_text())  # compacted at the clean stop
    assert len(snapshot["tables"][0]["items"]) == stored
