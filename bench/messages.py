"""Messages (SPEC §7): sending never sits on the request path, and what a message costs.

1. Registration latency with a backlog of 1,000 queued texts (sender paused, then draining them
   as `make run`'s worker does, through a provider taking 20 ms a text) vs with none: the ratio
   should be ≈ 1. Registrations go through the app in-process (the local API Gateway emulation,
   no sockets) against the embedded DynamoDB.
2. The cost of one message in DynamoDB writes, counted at the client: the write requests of a
   registration with and without its message, and of the sender for one message.

`python -m bench.messages`
"""
from __future__ import annotations

import json
import statistics
import subprocess
import threading
import time
from collections import Counter
from typing import Any

ROUNDS = 4
PER_PHASE = 20
BACKLOG = 1000
PROVIDER_SECONDS = 0.02
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


class SlowProvider:
    """Like a real SMS API: 20 ms a text, nothing stored."""

    name = "bench"

    def __init__(self) -> None:
        self.sent = 0

    def send(self, message: Any, phone: str, text: str, params: Any, at: str) -> None:
        time.sleep(PROVIDER_SECONDS)
        self.sent += 1


class WriteCounter:
    """Counts DynamoDB write requests (and the items inside transactions) made by this process."""

    def __init__(self, client: Any) -> None:
        self.requests: Counter[str] = Counter()
        self.items = 0
        client.meta.events.register("provide-client-params.dynamodb.*", self._count)

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in WRITES:
            self.requests[model.name] += 1
            self.items += len(params.get("TransactItems", [])) or 1

    def reset(self) -> None:
        self.requests.clear()
        self.items = 0


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _p95_ms(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.95) - 1] * 1000


def main() -> None:
    from devtools.dynamodb_server import spawn
    from devtools.local_env import local_environment
    from devtools.local_server import GatewayLike
    from devtools.stage import chalice_config

    process, endpoint = spawn()
    try:
        with local_environment(endpoint, prefix="bench") as env:
            from app import app
            from chalicelib.services import enqueue, messages
            from chalicelib.storage import aws, sms
            from chalicelib.storage import events as event_store
            from chalicelib.storage import messages as message_store
            from chalicelib.storage.dynamo import to_dynamo
            from devtools.samples import event_body, registration_body

            gateway = GatewayLike(app, chalice_config("local"))
            admin = {"authorization": f"Bearer {env['ADMIN_TOKEN']}", "content-type": "application/json"}
            plain = {"content-type": "application/json"}

            def call(method: str, path: str, headers: dict[str, str], body: Any) -> dict[str, Any]:
                response = gateway.handle_request(method=method, path=path, headers=dict(headers),
                                                  body=json.dumps(body).encode())
                assert response["statusCode"] < 300, response
                return json.loads(response["body"])

            provider = SlowProvider()
            sms.use_provider(provider)
            measured = call("POST", "/events", admin, event_body(capacity=100_000))["event_id"]
            backlog_event = call("POST", "/events", admin, event_body(capacity=100_000))["event_id"]
            path = f"/events/{measured}/registrations"
            for _ in range(20):  # warm up
                call("POST", path, plain, registration_body())
            messages.send_due()
            stop = threading.Event()

            def worker() -> None:  # what make run's worker thread does
                while not stop.is_set():
                    if not messages.send_due(limit=25):
                        stop.wait(1.0)

            def register_many(count: int) -> list[float]:
                samples = []
                for _ in range(count):
                    started = time.perf_counter()
                    call("POST", path, plain, registration_body())
                    samples.append(time.perf_counter() - started)
                return samples

            def batch_write(requests: list[dict[str, Any]]) -> None:
                client = aws.client("dynamodb")
                for start in range(0, len(requests), 25):
                    pending: dict[str, Any] = {env["TABLE_NAME"]: requests[start:start + 25]}
                    while pending:
                        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

            def queue_backlog() -> int:
                """1,000 queued texts (verification codes to 1,000 phones), written in batches."""
                event = event_store.get(backlog_event)
                assert event is not None
                batch_write([{"PutRequest": {"Item": to_dynamo(message_store.item_of(enqueue.new_message(
                    event, "code", phone=f"139{n:08d}", code_nonce=f"n{n}")))}} for n in range(BACKLOG)])
                return len(message_store.due(int(time.time() * 1000) + 1, limit=BACKLOG))

            def clear_backlog() -> None:
                while True:
                    left = message_store.due(int(time.time() * 1000) + 1, limit=BACKLOG)
                    if not left:
                        return
                    batch_write([{"DeleteRequest": {"Key": to_dynamo(message_store.key(eid, mid))}}
                                 for eid, mid in left])

            def run_sender() -> threading.Thread:
                stop.clear()
                thread = threading.Thread(target=worker, daemon=True)
                thread.start()
                return thread

            # Rounds of three phases, so the machine's drift touches each alike: no queued texts
            # (the worker polls an empty queue); 1,000 queued with nobody sending; the same
            # backlog being drained by the worker.
            idle: list[float] = []
            paused: list[float] = []
            busy: list[float] = []
            backlogs, drained = [], 0
            for round_number in range(ROUNDS):
                clear_backlog()
                sender = run_sender()
                idle.extend(register_many(PER_PHASE))
                stop.set()
                sender.join()
                backlogs.append(queue_backlog())
                paused.extend(register_many(PER_PHASE))
                sent_before = provider.sent
                sender = run_sender()
                busy.extend(register_many(PER_PHASE))
                stop.set()
                sender.join()
                drained += provider.sent - sent_before
                print(f"  round {round_number + 1}: {_median_ms(idle):.1f} / {_median_ms(paused):.1f} / "
                      f"{_median_ms(busy):.1f} ms so far", flush=True)
            clear_backlog()
            backlog = min(backlogs)

            # Cost: writes of a registration with and without its message, and of one send.
            counter = WriteCounter(aws.client("dynamodb")._client)
            rid = call("POST", path, plain, registration_body())["registration_id"]
            registration_requests, registration_items = dict(counter.requests), counter.items
            [message] = list(message_store.of_event(measured, registration_id=rid))
            counter.reset()
            messages.send_one(measured, message.message_id)
            send_requests, send_items = dict(counter.requests), counter.items
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()

    print(f"registration, no queued texts            {_median_ms(idle):7.2f} ms median, p95 {_p95_ms(idle):7.2f} ms "
          f"({len(idle)} registrations a phase, in {ROUNDS} rounds)")
    print(f"registration, {backlog} queued, sender paused {_median_ms(paused):7.2f} ms median, "
          f"p95 {_p95_ms(paused):7.2f} ms  {_median_ms(paused) / _median_ms(idle):.2f}x (goal ≈ 1)")
    print(f"registration, {backlog} queued and draining  {_median_ms(busy):7.2f} ms median, "
          f"p95 {_p95_ms(busy):7.2f} ms  {_median_ms(busy) / _median_ms(idle):.2f}x ({drained} texts sent "
          f"meanwhile, 20 ms each at the provider; the sender shares the embedded store's one lock)")
    print(f"one registration: write requests {registration_requests} = {registration_items} item writes "
          f"(the ticket text is 1 of them, a Put inside the registration's transaction)")
    print(f"sending one text: write requests {send_requests} = {send_items} item writes "
          f"(claim + sent; the outbox provider adds 1 Put, SNS/Alibaba Cloud none)")
    print("per text: 3 item writes = 1 transactional Put (2 WCU) + 2 UpdateItem (1 WCU each) on the table, "
          "+ 3 on gsi1 while it is queued (put, claim, removal) = 7 write units; a failed attempt adds 2")


if __name__ == "__main__":
    main()
