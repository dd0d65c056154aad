"""Request latency through the app in-process against the embedded DynamoDB server.

Each figure is a ratio to the floor measured in the same run: a minimal Chalice handler
that does one PutItem on the same server with the same boto3 client. Requests go through
the same local API Gateway emulation (routing, authorizer) the dev server uses, minus sockets.
"""
from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from chalice import Chalice

N = 300


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _timed(call: Callable[..., Any], *args: Any) -> float:
    started = time.perf_counter()
    call(*args)
    return time.perf_counter() - started


def floor_app() -> Chalice:
    from chalicelib.config import settings
    from chalicelib.storage import aws

    floor = Chalice(app_name="floor")
    counter = iter(range(10**9))

    @floor.route("/put", methods=["POST"])
    def put() -> dict[str, str]:
        aws.client("dynamodb").put_item(
            TableName=settings().table_name,
            Item={"pk": {"S": f"FLOOR#{next(counter)}"}, "sk": {"S": "X"},
                  "body": {"S": floor.current_request.raw_body.decode()}},
        )
        return {"ok": "1"}

    @floor.route("/transact", methods=["POST"])
    def transact() -> dict[str, str]:
        # The shape of a registration's write (two conditional puts, one counter), nothing else.
        n, table = next(counter), settings().table_name
        aws.client("dynamodb").transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": f"FLOOR#{n}"}, "sk": {"S": "A"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": f"FLOOR#{n}"}, "sk": {"S": "B"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": table, "Key": {"pk": {"S": "FLOOR"}, "sk": {"S": "COUNTER"}},
                        "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ])
        return {"ok": "1"}

    return floor


def main() -> None:
    from devtools.dynamodb_server import spawn
    from devtools.local_env import local_environment
    from devtools.local_server import GatewayLike
    from devtools.stage import chalice_config

    process, endpoint = spawn()
    try:
        with local_environment(endpoint, prefix="bench") as env:
            from app import app
            from devtools.samples import event_body, registration_body

            config = chalice_config("local")
            gateway, floor = GatewayLike(app, config), GatewayLike(floor_app(), config)
            admin = {"authorization": f"Bearer {env['ADMIN_TOKEN']}", "content-type": "application/json"}
            plain = {"content-type": "application/json"}

            def call(target: GatewayLike, method: str, path: str, headers: dict[str, str], body: Any) -> dict[str, Any]:
                response = target.handle_request(method=method, path=path, headers=dict(headers),
                                                  body=json.dumps(body).encode())
                assert response["statusCode"] < 300, response
                return response

            event = json.loads(call(gateway, "POST", "/events", admin, event_body(capacity=100_000))["body"])
            path = f"/events/{event['event_id']}/registrations"
            for _ in range(20):  # warm up clients and code paths
                call(gateway, "POST", path, plain, registration_body())
                call(floor, "POST", "/put", plain, registration_body())

            register, put, transact, tickets = [], [], [], []

            def register_one(body: dict[str, Any]) -> None:
                tickets.append(json.loads(call(gateway, "POST", path, plain, body)["body"])["ticket_token"])

            for _ in range(N):  # interleaved, so drift affects all alike
                body = registration_body()
                register.append(_timed(register_one, body))
                put.append(_timed(call, floor, "POST", "/put", plain, body))
                transact.append(_timed(call, floor, "POST", "/transact", plain, body))
            checkin, put2 = [], []
            for token in tickets:
                checkin.append(_timed(call, gateway, "POST", f"/events/{event['event_id']}/checkins",
                                      admin, {"code": token}))
                put2.append(_timed(call, floor, "POST", "/put", plain, {"code": token}))
    finally:
        process.terminate()
        process.wait(timeout=10)

    floor_ms, floor2_ms = _median_ms(put), _median_ms(put2)
    print(f"one-PutItem handler (floor)      {floor_ms:7.2f} ms median of {N}")
    print(f"one-TransactWriteItems handler   {_median_ms(transact):7.2f} ms  "
          f"{_median_ms(transact) / floor_ms:.2f}x floor")
    print(f"registration (confirmed)         {_median_ms(register):7.2f} ms  "
          f"{_median_ms(register) / floor_ms:.2f}x floor (goal <= 1.3x),"
          f" {_median_ms(register) / _median_ms(transact):.2f}x the bare transaction")
    print(f"one-PutItem handler (floor)      {floor2_ms:7.2f} ms median of {N}")
    print(f"check-in (ok)                    {_median_ms(checkin):7.2f} ms  "
          f"{_median_ms(checkin) / floor2_ms:.2f}x floor (goal <= 1.3x)")


if __name__ == "__main__":
    main()
