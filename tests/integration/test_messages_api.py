"""Messages (SPEC §7) through HTTP: ticket texts queued with the registration, promotions, the
sender's retries and claims, ticket recovery, phone codes, rate limits, erasure.

The sender runs in-process (`services.messages.send_due`, what `make run`'s worker thread and
the deployed functions call); the provider is the `outbox`, read back at GET /dev/outbox."""
from __future__ import annotations

import itertools
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from requests.adapters import HTTPAdapter

from devtools.samples import registration_body

_ips = itertools.count(1)


class SourceAddress(HTTPAdapter):
    """Connect from another loopback address (127.x.y.z), as another client would."""

    def __init__(self, ip: str):
        self.ip = ip
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.ip, 0)
        super().init_poolmanager(*args, **kwargs)


def from_new_ip(stack):
    n = next(_ips)
    ip = f"127.15.{n // 250}.{n % 250 + 1}"
    session = stack.session()
    session.http.mount("http://", SourceAddress(ip))
    return session


def new_phone() -> str:
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def drain(now_ms: int | None = None) -> int:
    from chalicelib.services import messages

    total = 0
    while True:
        sent = messages.send_due(now_ms)
        total += sent
        if not sent:
            return total


def outbox(admin, phone):
    response = admin.get("/dev/outbox", params={"phone": phone})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def messages_of(admin, event_id, **query):
    response = admin.get(f"/events/{event_id}/messages", params=query)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def register(public, event_id, phone, **overrides):
    return public.post(f"/events/{event_id}/registrations", json=registration_body(phone=phone, **overrides))


@pytest.fixture
def ip_session(stack):
    return from_new_ip(stack)


class Recording:
    """A provider that fails its first `failures` sends, then records what it sends."""

    name = "recording"

    def __init__(self, failures: int = 0, delay: float = 0.0):
        self.failures = failures
        self.delay = delay
        self.sent: list[tuple[str, str, str]] = []
        self.calls = 0
        self.lock = threading.Lock()

    def send(self, message, phone, text, params, at):
        with self.lock:
            self.calls += 1
            failing = self.calls <= self.failures
        time.sleep(self.delay)
        if failing:
            from chalicelib.storage.sms import SendFailed

            raise SendFailed("provider down")
        with self.lock:
            self.sent.append((message.message_id, phone, text))


@pytest.fixture
def provider():
    from chalicelib.storage import sms

    installed = []

    def install(recording):
        drain()  # what earlier tests left queued goes to the outbox, not to this provider
        sms.use_provider(recording)
        installed.append(recording)
        return recording

    yield install
    sms.use_provider(None)


# --- ticket texts -------------------------------------------------------------------------------


def test_a_registration_queues_its_ticket_text_in_the_same_write_and_the_worker_sends_it(
    make_event, public, admin, db
):
    event = make_event(title="短信测试颁奖典礼")
    phone = new_phone()
    started = time.perf_counter()
    reply = register(public, event["event_id"], phone)
    assert reply.status_code == 201, reply.text
    ticket = reply.json()
    queued = messages_of(admin, event["event_id"], registration_id=ticket["registration_id"])
    assert [(m["kind"], m["status"], m["attempts"]) for m in queued] == [("ticket", "queued", 0)]
    assert queued[0]["phone_masked"] == phone[:3] + "****" + phone[-4:]
    assert "sent_at" not in queued[0]
    stored = [item for item in db.of_type(event["event_id"], "MSG#")]
    assert len(stored) == 1 and "phone" not in stored[0], "a registration's message holds no phone number"
    assert outbox(admin, phone) == []  # nothing was sent on the request path
    assert time.perf_counter() - started < 5

    drain()
    sent = messages_of(admin, event["event_id"], registration_id=ticket["registration_id"])
    assert [(m["status"], m["attempts"]) for m in sent] == [("sent", 1)] and sent[0]["sent_at"]
    texts = outbox(admin, phone)
    assert len(texts) == 1 and texts[0]["kind"] == "ticket" and texts[0]["phone"] == phone
    assert "短信测试颁奖典礼" in texts[0]["text"] and ticket["ticket_url"] in texts[0]["text"]
    assert "成功报名" in texts[0]["text"]
    drain()
    assert len(outbox(admin, phone)) == 1, "sent once, not again"


def test_an_idempotent_retry_writes_no_second_message(make_event, public, admin):
    event = make_event()
    phone = new_phone()
    body = registration_body(phone=phone)
    first = public.post(f"/events/{event['event_id']}/registrations", json=body, headers={"Idempotency-Key": "m-1"})
    again = public.post(f"/events/{event['event_id']}/registrations", json=body, headers={"Idempotency-Key": "m-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert len(messages_of(admin, event["event_id"])) == 1


def test_waitlisted_people_are_told_and_a_promotion_reaches_the_person(make_event, public, admin):
    event = make_event(capacity=1, title="候补测试")
    first, second = new_phone(), new_phone()
    confirmed = register(public, event["event_id"], first).json()
    waiting = register(public, event["event_id"], second).json()
    assert waiting["status"] == "waitlisted"
    drain()
    assert "候补名单" in outbox(admin, second)[0]["text"]

    assert public.post(f"/tickets/{confirmed['ticket_token']}/cancel").status_code == 200
    promoted = messages_of(admin, event["event_id"], registration_id=waiting["registration_id"])
    assert sorted(m["kind"] for m in promoted) == ["promoted", "ticket"]
    drain()
    texts = outbox(admin, second)
    assert [t["kind"] for t in texts] == ["ticket", "promoted"]
    assert "转为正式" in texts[1]["text"] and waiting["ticket_url"] in texts[1]["text"]
    assert all(t["kind"] == "ticket" for t in outbox(admin, first)), "the canceller gets no promotion text"


# --- failures, retries, claims ------------------------------------------------------------------


def test_a_failing_provider_never_fails_a_registration_and_messages_are_retried_then_failed(
    make_event, public, admin, provider
):
    from chalicelib.domain.messages import MAX_ATTEMPTS, RETRY_DELAYS

    failing = provider(Recording(failures=100))
    event = make_event()
    phone = new_phone()
    reply = register(public, event["event_id"], phone)
    assert reply.status_code == 201
    rid = reply.json()["registration_id"]
    now = int(time.time() * 1000)
    drain(now)
    [message] = messages_of(admin, event["event_id"], registration_id=rid)
    assert (message["status"], message["attempts"], message["error"]) == ("queued", 1, "provider down")
    assert drain(now) == 0, "not again before its backoff"
    for delay in RETRY_DELAYS:
        now += delay * 1000 + 1
        assert drain(now) == 1
    [message] = messages_of(admin, event["event_id"], registration_id=rid)
    assert (message["status"], message["attempts"]) == ("failed", MAX_ATTEMPTS) and message["error"]
    assert failing.calls == MAX_ATTEMPTS
    assert public.get(f"/tickets/{reply.json()['ticket_token']}").status_code == 200
    assert messages_of(admin, event["event_id"], status="failed")[0]["message_id"] == message["message_id"]

    provider(Recording())  # the provider is back; the organiser retries from the console
    retried = admin.post(f"/events/{event['event_id']}/messages/{message['message_id']}/retry")
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)
    drain()
    [message] = messages_of(admin, event["event_id"], registration_id=rid)
    assert (message["status"], message["attempts"]) == ("sent", 1) and "error" not in message


def test_a_slow_provider_does_not_slow_registrations(make_event, public, provider):
    provider(Recording(delay=2.0))
    event = make_event()
    started = time.perf_counter()
    for _ in range(3):
        assert register(public, event["event_id"], new_phone()).status_code == 201
    assert time.perf_counter() - started < 3, "sending is off the request path"


def test_two_workers_never_send_the_same_message_twice(make_event, public, admin, provider):
    from chalicelib.services import messages

    recording = provider(Recording(delay=0.2))
    event = make_event()
    rid = register(public, event["event_id"], new_phone()).json()["registration_id"]
    [message] = messages_of(admin, event["event_id"], registration_id=rid)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: messages.send_one(event["event_id"], message["message_id"]), range(8)))
    assert sum(results) == 1 and len(recording.sent) == 1
    [message] = messages_of(admin, event["event_id"], registration_id=rid)
    assert (message["status"], message["attempts"]) == ("sent", 1)


def test_messages_are_for_the_admin_only_and_queries_are_checked(make_event, admin, stack):
    event = make_event()
    path = f"/events/{event['event_id']}/messages"
    staff = stack.session(admin.post(f"/events/{event['event_id']}/staff-tokens", json={}).json()["token"])
    assert stack.session().get(path).status_code == 401
    assert staff.get(path).status_code == 403
    assert staff.post(f"{path}/0000000000000000/retry").status_code == 403
    assert admin.get(path, params={"status": "lost"}).status_code == 422
    assert admin.get(path, params={"registration_id": "x"}).json()["fields"]["registration_id"]
    assert admin.post(f"{path}/0000000000000000/retry").status_code == 404
    assert admin.get("/events/no-such-event/messages").status_code == 404
    assert stack.session().get("/dev/outbox", params={"phone": "13800138000"}).status_code == 401
    assert staff.get("/dev/outbox", params={"phone": "13800138000"}).status_code == 403
    assert admin.get("/dev/outbox", params={"phone": "123"}).status_code == 422


# --- ticket recovery ----------------------------------------------------------------------------


def test_recovery_texts_the_ticket_link_and_answers_the_same_for_unknown_phones(make_event, public, admin, stack):
    event = make_event(title="找回测试")
    phone, stranger = new_phone(), new_phone()
    ticket = register(public, event["event_id"], phone).json()
    drain()
    path = f"/events/{event['event_id']}/ticket-recovery"
    known = from_new_ip(stack).post(path, json={"phone": phone})
    unknown = from_new_ip(stack).post(path, json={"phone": stranger})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {"status": "accepted"}
    assert known.headers.get("Content-Length") == unknown.headers.get("Content-Length")
    drain()
    texts = outbox(admin, phone)
    assert [t["kind"] for t in texts] == ["ticket", "recovery"]
    assert ticket["ticket_url"] in texts[1]["text"] and "找回测试" in texts[1]["text"]
    assert outbox(admin, stranger) == []
    kinds = [m["kind"] for m in messages_of(admin, event["event_id"])]
    assert sorted(kinds) == ["recovery", "ticket"], "an unknown phone leaves no message behind"


def test_recovery_of_a_cancelled_registration_sends_nothing(make_event, public, admin, stack):
    event = make_event()
    phone = new_phone()
    ticket = register(public, event["event_id"], phone).json()
    public.post(f"/tickets/{ticket['ticket_token']}/cancel")  # before its ticket text went out
    drain()
    reply = from_new_ip(stack).post(f"/events/{event['event_id']}/ticket-recovery", json={"phone": phone})
    assert reply.status_code == 202
    drain()
    assert outbox(admin, phone) == []
    [ticket_text] = messages_of(admin, event["event_id"])
    assert (ticket_text["status"], ticket_text["attempts"], ticket_text["error"]) == ("failed", 1, "registration_cancelled")


def test_recovery_timing_does_not_tell_whether_a_phone_is_registered(make_event, public, stack):
    event = make_event()
    registered = [new_phone() for _ in range(8)]
    for phone in registered:
        register(public, event["event_id"], phone)
    path = f"/events/{event['event_id']}/ticket-recovery"

    def timed(phone):
        started = time.perf_counter()
        assert from_new_ip(stack).post(path, json={"phone": phone}).status_code == 202
        return time.perf_counter() - started

    known = sorted(timed(phone) for phone in registered)
    unknown = sorted(timed(new_phone()) for _ in registered)
    median_known, median_unknown = known[len(known) // 2], unknown[len(unknown) // 2]
    # The same work either way (a limit check and one queued item): medians within noise.
    assert median_known < median_unknown * 3 + 0.05 and median_unknown < median_known * 3 + 0.05


def test_recovery_validates_the_phone_and_the_event(public, make_event):
    event = make_event()
    assert public.post(f"/events/{event['event_id']}/ticket-recovery", json={"phone": "123"}).status_code == 422
    assert public.post(f"/events/{event['event_id']}/ticket-recovery", json={}).status_code == 422
    assert public.post("/events/no-such-event/ticket-recovery", json={"phone": new_phone()}).status_code == 404


def test_the_already_registered_reply_stays_silent_about_the_ticket(make_event, public):
    event = make_event()
    phone = new_phone()
    register(public, event["event_id"], phone)
    again = register(public, event["event_id"], phone)
    assert again.status_code == 409 and again.json()["error"] == "already_registered"
    assert "ticket" not in again.text.lower()


# --- rate limits --------------------------------------------------------------------------------


def test_one_request_a_minute_per_phone_the_same_reply_registered_or_not(make_event, public, stack):
    event = make_event()
    registered, stranger = new_phone(), new_phone()
    register(public, event["event_id"], registered)
    path = f"/events/{event['event_id']}/ticket-recovery"
    replies = []
    for phone in (registered, stranger):
        assert from_new_ip(stack).post(path, json={"phone": phone}).status_code == 202
        replies.append(from_new_ip(stack).post(path, json={"phone": phone}))
    for reply in replies:
        assert reply.status_code == 429 and reply.json()["error"] == "rate_limited"
        assert 1 <= int(reply.headers["Retry-After"]) <= 60
    assert replies[0].json() == replies[1].json()


def test_recovery_and_codes_count_together_across_events(make_event, stack):
    plain = make_event()
    verified = make_event(verify_phone=True)
    phone = new_phone()
    assert from_new_ip(stack).post(f"/events/{plain['event_id']}/ticket-recovery", json={"phone": phone}).status_code == 202
    limited = from_new_ip(stack).post(f"/events/{verified['event_id']}/phone-codes", json={"phone": phone})
    assert limited.status_code == 429 and limited.headers["Retry-After"]


def test_five_a_day_per_phone(make_event, stack, db):
    from chalicelib.domain.messages import limit_key

    event = make_event()
    phone = new_phone()
    path = f"/events/{event['event_id']}/ticket-recovery"
    minute_item = {"pk": {"S": f"LIMIT#phone#{limit_key('phone', phone)}"}, "sk": {"S": "MINUTE"}}
    for _ in range(5):
        assert from_new_ip(stack).post(path, json={"phone": phone}).status_code == 202
        # a minute passes (the per-minute counter is moved back; the day's stays)
        db.client.update_item(TableName=db.table, Key=minute_item, UpdateExpression="SET last_at = :zero",
                              ExpressionAttributeValues={":zero": {"N": "0"}})
    sixth = from_new_ip(stack).post(path, json={"phone": phone})
    assert sixth.status_code == 429 and int(sixth.headers["Retry-After"]) > 60


def test_thirty_an_hour_per_address_not_a_header(make_event, public, stack):
    event = make_event(verify_phone=True)
    session = from_new_ip(stack)
    for index in range(30):
        path = "ticket-recovery" if index % 2 else "phone-codes"
        reply = session.post(f"/events/{event['event_id']}/{path}", json={"phone": new_phone()},
                             headers={"X-Forwarded-For": f"10.0.0.{index}"})
        assert reply.status_code == 202, (index, reply.text)
    limited = session.post(f"/events/{event['event_id']}/ticket-recovery", json={"phone": new_phone()},
                           headers={"X-Forwarded-For": "10.9.9.9"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) <= 3600
    assert from_new_ip(stack).post(f"/events/{event['event_id']}/ticket-recovery",
                                   json={"phone": new_phone()}).status_code == 202, "another address is not limited"
    # Registration itself is never limited by address (a venue's Wi-Fi).
    for _ in range(3):
        assert session.post(f"/events/{event['event_id']}/registrations",
                            json=registration_body(phone=new_phone())).status_code == 422  # needs a code, not a 429


# --- phone verification -------------------------------------------------------------------------


def _code_from(admin, phone):
    texts = [t for t in outbox(admin, phone) if t["kind"] == "code"]
    return re.search(r"\b(\d{6})\b", texts[-1]["text"]).group(1)


def test_an_event_can_require_a_verified_phone(make_event, public, admin, stack, db):
    event = make_event(verify_phone=True, title="验证测试")
    assert event["verify_phone"] is True
    assert public.get(f"/events/{event['event_id']}").json()["verify_phone"] is True
    phone = new_phone()
    missing = register(public, event["event_id"], phone)
    assert missing.status_code == 422 and missing.json()["fields"]["phone_code"]
    sent = from_new_ip(stack).post(f"/events/{event['event_id']}/phone-codes", json={"phone": phone})
    assert sent.status_code == 202 and sent.json() == {"status": "accepted"}
    stored = db.of_type(event["event_id"], "CODE#")
    drain()
    code = _code_from(admin, phone)
    assert "验证测试" in outbox(admin, phone)[-1]["text"]
    assert code not in str(stored) and code not in str(db.of_type(event["event_id"], "MSG#"))
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    refused = register(public, event["event_id"], phone, phone_code=wrong)
    assert refused.status_code == 422 and refused.json()["fields"]["phone_code"]
    malformed = register(public, event["event_id"], phone, phone_code="12ab")
    assert malformed.status_code == 422 and "phone_code" in malformed.json()["fields"]
    other_phone = register(public, event["event_id"], new_phone(), phone_code=code)
    assert other_phone.status_code == 422, "a code is good only for its phone"
    accepted = register(public, event["event_id"], phone, phone_code=code)
    assert accepted.status_code == 201, accepted.text
    [code_message] = [m for m in messages_of(admin, event["event_id"]) if m["kind"] == "code"]
    assert code_message["registration_id"] is None and code_message["status"] == "sent"


def test_five_wrong_tries_void_a_code(make_event, public, admin, stack):
    event = make_event(verify_phone=True)
    phone = new_phone()
    from_new_ip(stack).post(f"/events/{event['event_id']}/phone-codes", json={"phone": phone})
    drain()
    code = _code_from(admin, phone)
    wrong = f"{(int(code) + 7) % 1000000:06d}"
    for _ in range(5):
        assert register(public, event["event_id"], phone, phone_code=wrong).status_code == 422
    assert register(public, event["event_id"], phone, phone_code=code).status_code == 422


def test_an_expired_code_is_refused(make_event, public, admin, stack, db):
    event = make_event(verify_phone=True)
    phone = new_phone()
    from_new_ip(stack).post(f"/events/{event['event_id']}/phone-codes", json={"phone": phone})
    drain()
    code = _code_from(admin, phone)
    [item] = db.of_type(event["event_id"], "CODE#")
    db.client.update_item(TableName=db.table, Key={"pk": {"S": item["pk"]}, "sk": {"S": item["sk"]}},
                          UpdateExpression="SET valid_until = :past",
                          ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}})
    assert register(public, event["event_id"], phone, phone_code=code).json()["fields"]["phone_code"]


def test_codes_only_for_events_that_verify_and_the_setting_can_change(make_event, admin, stack):
    event = make_event()
    assert event["verify_phone"] is False
    off = from_new_ip(stack).post(f"/events/{event['event_id']}/phone-codes", json={"phone": new_phone()})
    assert off.status_code == 409 and off.json()["error"] == "phone_verification_off"
    patched = admin.patch(f"/events/{event['event_id']}", json={"verify_phone": True})
    assert patched.status_code == 200 and patched.json()["verify_phone"] is True
    assert admin.patch(f"/events/{event['event_id']}", json={"verify_phone": "yes"}).status_code == 422


# --- erasure ------------------------------------------------------------------------------------


def test_erasure_removes_the_persons_messages_and_outbox_entries(make_event, public, admin, db, stack):
    event = make_event()
    phone, other = new_phone(), new_phone()
    rid = register(public, event["event_id"], phone).json()["registration_id"]
    register(public, event["event_id"], other)
    from_new_ip(stack).post(f"/events/{event['event_id']}/ticket-recovery", json={"phone": phone})
    drain()
    assert len(outbox(admin, phone)) == 2
    assert admin.delete(f"/events/{event['event_id']}/registrations/{rid}").status_code == 204
    assert messages_of(admin, event["event_id"], registration_id=rid) == []
    assert outbox(admin, phone) == []
    assert len(outbox(admin, other)) == 1, "only that person's"
    stored = db.of_type(event["event_id"], "MSG#")
    assert len(stored) == 1 and all(item.get("registration_id") != rid for item in stored)


def test_erasure_also_removes_the_codes_sent_to_the_phone(make_event, public, admin, stack, db):
    event = make_event(verify_phone=True)
    phone = new_phone()
    from_new_ip(stack).post(f"/events/{event['event_id']}/phone-codes", json={"phone": phone})
    drain()
    code = _code_from(admin, phone)
    rid = register(public, event["event_id"], phone, phone_code=code).json()["registration_id"]
    drain()
    assert sorted(m["kind"] for m in messages_of(admin, event["event_id"])) == ["code", "ticket"]
    assert admin.delete(f"/events/{event['event_id']}/registrations/{rid}").status_code == 204
    assert messages_of(admin, event["event_id"]) == [] and db.of_type(event["event_id"], "MSG#") == []
    assert outbox(admin, phone) == []


def test_a_retried_verified_registration_whose_reply_was_lost_still_gets_its_ticket(make_event, public, admin, stack):
    event = make_event(verify_phone=True)
    phone = new_phone()
    from_new_ip(stack).post(f"/events/{event['event_id']}/phone-codes", json={"phone": phone})
    drain()
    body = registration_body(phone=phone, phone_code=_code_from(admin, phone))
    path = f"/events/{event['event_id']}/registrations"
    first = public.post(path, json=body, headers={"Idempotency-Key": "verified-1"})
    again = public.post(path, json=body, headers={"Idempotency-Key": "verified-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
