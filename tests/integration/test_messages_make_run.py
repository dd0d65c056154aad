"""`make run` sends texts from a worker thread: a registration's ticket text reaches the local
outbox within seconds, read back at GET /dev/outbox, and the client address is the TCP peer."""
from __future__ import annotations

import signal
import time

import requests

from devtools.samples import event_body, registration_body
from tests.integration.test_durability import Stack, free_port_pair, wait_until_released


def test_make_run_sends_the_ticket_text_to_the_outbox(tmp_path):
    state, port = tmp_path / "state", free_port_pair()
    stack = Stack(state, port)
    try:
        assert "/dev/outbox?phone=" in stack.output
        event_id = stack.admin.post(stack.base + "/events", json=event_body(title="本地短信"), timeout=30).json()["event_id"]
        body = registration_body()
        ticket = requests.post(f"{stack.base}/events/{event_id}/registrations", json=body, timeout=30).json()
        deadline, texts = time.monotonic() + 15, []
        while time.monotonic() < deadline and not texts:
            texts = stack.admin.get(f"{stack.base}/dev/outbox", params={"phone": body["phone"]}, timeout=30).json()["items"]
            time.sleep(0.3)
        assert len(texts) == 1 and ticket["ticket_url"] in texts[0]["text"] and "本地短信" in texts[0]["text"]
    finally:
        stack.kill_group(signal.SIGTERM)
    wait_until_released(state)
