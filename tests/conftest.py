"""Shared fixtures: a real DynamoDB-compatible server over HTTP and the app served on loopback.

With DYNAMODB_ENDPOINT set, tests use that server; otherwise they start the embedded one
(devtools.dynamodb_server) in a child process. Each session gets its own table, created
from infra/'s definition.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from devtools.samples import event_body

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Stack:
    base_url: str
    admin_token: str
    table_name: str
    dynamodb_endpoint: str

    def session(self, token: str | None = None) -> "ApiSession":
        return ApiSession(self.base_url, token)

    def admin(self) -> "ApiSession":
        return ApiSession(self.base_url, self.admin_token)


class ApiSession:
    """A requests.Session bound to the stack's base URL (one per thread in concurrent tests)."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url = base_url
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    external = os.environ.get("DYNAMODB_ENDPOINT")
    if external:
        yield external
        return
    from devtools.dynamodb_server import spawn

    process, endpoint = spawn()
    try:
        yield endpoint
    finally:
        # It compacts its journal on SIGTERM: with a whole suite's data on a loaded machine that
        # can take a while; what is under test here is the app, not the shutdown.
        process.terminate()
        try:
            process.wait(timeout=120)
        except __import__("subprocess").TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def app_environment(dynamodb_endpoint: str) -> Iterator[dict[str, str]]:
    from devtools.local_env import local_environment

    with local_environment(dynamodb_endpoint) as env:
        yield env


@pytest.fixture(scope="session")
def stack(app_environment: dict[str, str]) -> Iterator[Stack]:
    from app import app
    from devtools.local_env import reset_app_caches
    from devtools.local_server import ServerThread, make_server
    from devtools.stage import chalice_config

    server = ServerThread(make_server(app, chalice_config("local"))).start()
    os.environ["PUBLIC_BASE_URL"] = server.base_url
    reset_app_caches()
    yield Stack(server.base_url, app_environment["ADMIN_TOKEN"], app_environment["TABLE_NAME"],
                app_environment["DYNAMODB_ENDPOINT"])
    server.stop()


_SECRET_IN_LOGS = __import__("re").compile(
    r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])|[A-Za-z0-9-]{3,64}\.[A-Za-z2-7][0-9A-Za-z]{16}[A-Za-z2-7]{32}|st_[A-Za-z0-9_-]{20,}"
)


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test: no full phone number, ticket token or staff token in any log line at INFO+
    (what Lambda ships to CloudWatch), from any logger and any thread."""
    import logging

    with caplog.at_level(logging.INFO):
        yield
    leaked = [record.getMessage() for record in caplog.records if _SECRET_IN_LOGS.search(
        record.getMessage() + (record.exc_text or ""))]
    assert not leaked, f"personal data or a token in the logs: {leaked[:3]}"


@pytest.fixture
def admin(stack: Stack) -> ApiSession:
    return stack.admin()


@pytest.fixture
def public(stack: Stack) -> ApiSession:
    return stack.session()


@pytest.fixture
def make_event(admin: ApiSession):
    def create(**overrides: Any) -> dict[str, Any]:
        response = admin.post("/events", json=event_body(**overrides))
        assert response.status_code == 201, response.text
        return response.json()

    return create


class TableInspector:
    """Reads the table directly, to check what the API wrote (never to stand in for it)."""

    def __init__(self, stack: Stack):
        import boto3

        self.table = stack.table_name
        self.client = boto3.client(
            "dynamodb", endpoint_url=stack.dynamodb_endpoint, region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
        )

    def partition(self, event_id: str) -> list[dict[str, Any]]:
        from chalicelib.storage.dynamo import from_dynamo

        items, kwargs = [], {
            "TableName": self.table, "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"EVENT#{event_id}"}},
        }
        while True:
            page = self.client.query(**kwargs)
            items.extend(from_dynamo(raw) for raw in page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def scan_prefix(self, pk_prefix: str) -> list[dict[str, Any]]:
        """Every item whose partition key starts with `pk_prefix`, all scan pages read."""
        from chalicelib.storage.dynamo import from_dynamo

        items, kwargs = [], {
            "TableName": self.table, "ConsistentRead": True, "FilterExpression": "begins_with(pk, :p)",
            "ExpressionAttributeValues": {":p": {"S": pk_prefix}},
        }
        while True:
            page = self.client.scan(**kwargs)
            items.extend(from_dynamo(raw) for raw in page["Items"])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def of_type(self, event_id: str, prefix: str) -> list[dict[str, Any]]:
        return [item for item in self.partition(event_id) if item["sk"].startswith(prefix)]

    def event(self, event_id: str) -> dict[str, Any]:
        return next(item for item in self.partition(event_id) if item["sk"] == "EVENT")

    def set_event_fields(self, event_id: str, **fields: Any) -> None:
        from chalicelib.storage.dynamo import to_dynamo

        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": value for i, value in enumerate(fields.values())}
        self.client.update_item(
            TableName=self.table, Key={"pk": {"S": f"EVENT#{event_id}"}, "sk": {"S": "EVENT"}},
            UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
            ExpressionAttributeNames=names, ExpressionAttributeValues=to_dynamo(values),
        )


@pytest.fixture(scope="session")
def db(stack: Stack) -> TableInspector:
    return TableInspector(stack)
