"""The SMS providers: AWS SNS against moto's SNS served over HTTP, Alibaba Cloud SMS against a
loopback endpoint that checks the signed request, and the outbox only on the local stage."""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.integration.test_messages_api import drain, messages_of, new_phone, register


def _reset_caches():
    from chalicelib import config
    from chalicelib.storage import aws, sms

    config.reset_for_tests()
    aws.reset_for_tests()
    sms.reset_for_tests()


@pytest.fixture
def environment(stack):
    """Set variables for one test (the provider is chosen from settings read once): restored after."""
    saved: dict[str, str | None] = {}

    def set_env(**values):
        drain()  # earlier tests' queued texts go out through the outbox, not this provider
        for name, value in values.items():
            saved.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        _reset_caches()

    yield set_env
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _reset_caches()


@pytest.fixture
def moto_sns():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _sns_texts():
    from moto.sns.models import sns_backends

    return list(sns_backends["123456789012"]["us-east-1"].sms_messages.values())


def test_sns_publishes_the_ticket_text_to_the_phone(make_event, public, admin, environment, moto_sns):
    environment(SMS_PROVIDER="sns", SNS_ENDPOINT=moto_sns)
    event = make_event(title="SNS 测试")
    phone = new_phone()
    ticket = register(public, event["event_id"], phone).json()
    drain()
    sent = [(number, text) for number, text in _sns_texts() if number == f"+86{phone}"]
    assert len(sent) == 1 and ticket["ticket_url"] in sent[0][1] and "SNS 测试" in sent[0][1]
    [message] = messages_of(admin, event["event_id"], registration_id=ticket["registration_id"])
    assert message["status"] == "sent"
    assert admin.get("/dev/outbox", params={"phone": phone}).json()["items"] == [], "sns, not the outbox"


def test_sns_unreachable_leaves_the_message_queued_for_a_retry(make_event, public, admin, environment):
    environment(SMS_PROVIDER="sns", SNS_ENDPOINT="http://127.0.0.1:9")  # nothing listens there
    event = make_event()
    started = time.perf_counter()
    ticket = register(public, event["event_id"], new_phone())
    assert ticket.status_code == 201 and time.perf_counter() - started < 3
    drain()
    [message] = messages_of(admin, event["event_id"], registration_id=ticket.json()["registration_id"])
    assert (message["status"], message["attempts"], message["error"]) == ("queued", 1, "sns: unavailable")


class AliyunEndpoint(BaseHTTPRequestHandler):
    """Stands in for dysmsapi: checks the signature like the service does, answers its JSON."""

    secret = "test-secret"
    answer = {"Code": "OK", "Message": "OK", "BizId": "1"}
    received: list[dict[str, str]] = []

    def do_POST(self):
        from chalicelib.storage.sms import rpc_signature

        length = int(self.headers["Content-Length"])
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        signature = form.pop("Signature", "")
        valid = signature == rpc_signature("POST", form, self.secret)
        type(self).received.append(form)
        body = json.dumps(self.answer if valid else {"Code": "SignatureDoesNotMatch"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def aliyun_endpoint():
    AliyunEndpoint.received = []
    AliyunEndpoint.answer = {"Code": "OK", "Message": "OK", "BizId": "1"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), AliyunEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_aliyun_sends_a_signed_template_request(make_event, public, admin, environment, aliyun_endpoint):
    environment(
        SMS_PROVIDER="aliyun", ALIYUN_SMS_ENDPOINT=aliyun_endpoint, ALIYUN_ACCESS_KEY_ID="test-id",
        ALIYUN_ACCESS_KEY_SECRET=AliyunEndpoint.secret, ALIYUN_SMS_SIGN_NAME="新媒体协会",
        ALIYUN_SMS_TEMPLATES="ticket:SMS_1001,promoted:SMS_1002,recovery:SMS_1003,code:SMS_1004",
    )
    event = make_event(title="阿里云短信测试")
    phone = new_phone()
    ticket = register(public, event["event_id"], phone).json()
    drain()
    [form] = [f for f in AliyunEndpoint.received if f["PhoneNumbers"] == phone]
    assert form["Action"] == "SendSms" and form["Version"] == "2017-05-25" and form["SignName"] == "新媒体协会"
    assert form["TemplateCode"] == "SMS_1001" and form["AccessKeyId"] == "test-id"
    assert json.loads(form["TemplateParam"]) == {"title": "阿里云短信测试", "link": ticket["ticket_url"]}
    [message] = messages_of(admin, event["event_id"], registration_id=ticket["registration_id"])
    assert message["status"] == "sent"


def test_aliyun_refusal_is_retried_with_its_code(make_event, public, admin, environment, aliyun_endpoint):
    environment(
        SMS_PROVIDER="aliyun", ALIYUN_SMS_ENDPOINT=aliyun_endpoint, ALIYUN_ACCESS_KEY_ID="test-id",
        ALIYUN_ACCESS_KEY_SECRET="a-wrong-secret", ALIYUN_SMS_SIGN_NAME="新媒体协会",
        ALIYUN_SMS_TEMPLATES="ticket:SMS_1001",
    )
    event = make_event()
    rid = register(public, event["event_id"], new_phone()).json()["registration_id"]
    drain()
    [message] = messages_of(admin, event["event_id"], registration_id=rid)
    assert (message["status"], message["error"]) == ("queued", "aliyun: SignatureDoesNotMatch")


def test_the_outbox_is_not_served_when_deployed(environment, admin):
    """Deployed stages talk to DynamoDB itself (no DYNAMODB_ENDPOINT): /dev/outbox is a 404 there."""
    assert admin.get("/dev/outbox", params={"phone": new_phone()}).status_code == 200
    saved = os.environ.pop("DYNAMODB_ENDPOINT")
    try:
        _reset_caches()
        deployed = admin.get("/dev/outbox", params={"phone": new_phone()})
        assert deployed.status_code == 404 and deployed.json()["error"] == "not_found"
    finally:
        os.environ["DYNAMODB_ENDPOINT"] = saved
        _reset_caches()
