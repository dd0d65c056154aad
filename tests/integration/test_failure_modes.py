"""When DynamoDB is down, hung or throttled, and when a request is malformed: every answer is in
the contract's error shape, in Chinese, with a 4xx or a 503 — never a 500, a hang or a dropped
connection. The app runs as a real process against a real (dead or silent) endpoint."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests

from devtools.samples import event_body, registration_body

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SilentServer:
    """Accepts connections and never answers: a hung DynamoDB."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        for connection in self.accepted:
            connection.close()
        self.socket.close()


def start_app(dynamodb_endpoint: str, app_environment: dict[str, str]) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, **app_environment, "DYNAMODB_ENDPOINT": dynamodb_endpoint, "PORT": "0",
           "AWS_READ_TIMEOUT": "2"}  # as deployed
    process = subprocess.Popen([sys.executable, "-m", "devtools.local_server"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    assert base_url.startswith("http://"), "the app server did not start"
    return process, base_url


@pytest.fixture(params=["down", "hung"])
def broken_store_app(request, app_environment) -> Iterator[str]:
    silent = SilentServer() if request.param == "hung" else None
    endpoint = silent.endpoint if silent else f"http://127.0.0.1:{free_port()}"
    process, base_url = start_app(endpoint, app_environment)
    try:
        yield base_url
    finally:
        process.kill()
        process.wait(timeout=10)
        if silent:
            silent.close()


@pytest.mark.slow
def test_an_unreachable_or_hung_store_is_a_503_within_five_seconds(broken_store_app, app_environment, stack):
    admin = {"Authorization": f"Bearer {app_environment['ADMIN_TOKEN']}"}
    calls = [
        ("GET", "/events/some-event", {}, None),
        ("POST", "/events/some-event/registrations", {}, registration_body()),
        ("GET", "/events", admin, None),
        ("POST", "/events", admin, event_body()),
        ("GET", "/events/some-event/stats", {"Authorization": "Bearer st_" + "x" * 40}, None),  # authorizer reads
    ]

    def call(method, path, headers, body):
        started = time.monotonic()
        response = requests.request(method, broken_store_app + path, headers=headers, json=body, timeout=20)
        return response, time.monotonic() - started

    with __import__("concurrent.futures").futures.ThreadPoolExecutor(len(calls)) as pool:
        results = list(pool.map(lambda args: call(*args), calls))
    for (method, path, _, _), (response, seconds) in zip(calls, results):
        assert response.status_code == 503, (method, path, response.status_code, response.text)
        assert response.json()["error"] == "service_unavailable", response.text
        assert response.headers.get("Retry-After"), (method, path)
        assert seconds < 6.5, (method, path, seconds)
    page = requests.get(broken_store_app + "/e/some-event", timeout=20)
    assert page.status_code == 503 and "系统繁忙" in page.text
    assert page.headers["Content-Type"].startswith("text/html")


def test_framework_errors_speak_the_contract(stack, admin):
    put = admin.request("PUT", "/events")
    assert put.status_code == 405 and put.json()["error"] == "method_not_allowed"
    assert "不支持" in put.json()["message"]
    plain = admin.post("/events", data="kind=x", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415 and plain.json()["error"] == "unsupported_media_type"


def test_deep_json_is_a_400_and_a_huge_body_a_413(public, make_event):
    event = make_event()
    path = f"/events/{event['event_id']}/registrations"
    deep = "[" * 1000 + "]" * 1000
    response = public.post(path, data=deep, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_json"
    just_deep_enough = json.dumps({**registration_body(), "note": "x"}).replace('"x"', "[" * 31 + "]" * 31)
    assert public.post(path, data=just_deep_enough, headers={"Content-Type": "application/json"}).status_code == 422
    huge = json.dumps({**registration_body(), "note": "长" * 100_000})  # ~300 KB of UTF-8
    too_large = public.post(path, data=huge.encode(), headers={"Content-Type": "application/json"})
    assert too_large.status_code == 413 and too_large.json()["error"] == "payload_too_large"


def test_long_lists_are_refused_before_their_elements(public, make_event):
    event = make_event(kind="collector_exchange", roles=None)
    body = {**registration_body("collector_exchange"), "items": [{"name": "x"}] * 15000}
    response = public.post(f"/events/{event['event_id']}/registrations", json=body)
    assert response.status_code == 422
    assert response.json()["fields"] == {"items": ["最多登记 20 件藏品"]}
    assert len(response.content) < 1000


@pytest.mark.parametrize("year", ["9999", "0001", "1999", "2100"])
def test_times_outside_this_century_are_refused(admin, year):
    body = event_body(starts_at=f"{year}-03-01T19:00:00+08:00", ends_at=f"{year}-03-01T21:00:00+08:00")
    response = admin.post("/events", json=body)
    assert response.status_code == 422
    assert "2000" in response.json()["fields"]["starts_at"][0]


def test_an_unhandled_error_is_a_500_in_the_contract_shape(public, make_event, monkeypatch):
    from chalicelib.storage import registrations as registration_store

    event = make_event()
    token = public.post(f"/events/{event['event_id']}/registrations", json=registration_body()).json()["ticket_token"]
    monkeypatch.setattr(registration_store, "get_with_event", lambda *a: 1 / 0)
    response = public.get(f"/tickets/{token}")
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "message": "服务器内部错误，请稍后重试"}
