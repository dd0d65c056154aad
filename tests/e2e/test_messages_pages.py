"""SMS on the registration form (SPEC §7), in headless Chromium at a phone viewport: 找回电子票
after an already_registered answer, and 获取验证码 with its 60 s countdown on an event that
verifies phones. Each new state is checked with axe (no serious or critical findings)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from devtools.samples import registration_body, unique_phone
from tests.e2e.conftest import axe_violations
from tests.e2e.test_pages import fill_person
from tests.integration.test_messages_api import drain, outbox


def test_an_already_registered_phone_gets_its_ticket_back_by_sms(phone, make_event, stack, public, admin, shoot):
    eid = make_event(title="找回电子票测试")["event_id"]
    taken = unique_phone()
    ticket = public.post(f"/events/{eid}/registrations", json=registration_body(phone=taken)).json()
    drain()
    phone.goto(f"{stack.base_url}/e/{eid}")
    expect(phone.get_by_role("button", name="找回电子票")).to_be_hidden()
    fill_person(phone, phone=taken)
    phone.get_by_role("button", name="提交报名").click()
    expect(phone.locator("#e-phone")).to_contain_text("该手机号已报名本活动")
    recover = phone.get_by_role("button", name="找回电子票")
    expect(recover).to_be_visible()
    assert axe_violations(phone) == []
    recover.click()
    expect(phone.locator("#recovery-status")).to_contain_text("电子票链接将通过短信发送")
    expect(recover).to_be_disabled()
    assert axe_violations(phone) == []
    shoot(phone, "register-recovery-sent")
    drain()
    texts = outbox(admin, taken)
    assert [t["kind"] for t in texts] == ["ticket", "recovery"] and ticket["ticket_url"] in texts[1]["text"]


def test_the_code_button_counts_down_sixty_seconds_and_the_code_registers(phone, make_event, stack, admin, shoot):
    eid = make_event(verify_phone=True, title="验证码测试")["event_id"]
    number = unique_phone()
    phone.clock.install()
    phone.goto(f"{stack.base_url}/e/{eid}")
    send = phone.get_by_role("button", name="获取验证码")
    expect(phone.get_by_label("短信验证码")).to_be_visible()
    send.click()
    expect(phone.locator("#code-status")).to_contain_text("请先填写正确的 11 位手机号")
    fill_person(phone, phone=number)
    send.click()
    expect(phone.locator("#code-status")).to_have_text("验证码已发送，请查收短信")
    counting = phone.locator("#send-code")
    expect(counting).to_have_text("重新获取（60 秒）")
    expect(counting).to_be_disabled()
    assert axe_violations(phone) == []
    shoot(phone, "register-code-countdown")
    phone.clock.run_for(30_000)  # (the page's clock also runs on in real time meanwhile)
    expect(counting).to_have_text(re.compile(r"^重新获取（(1\d|2\d|30) 秒）$"))
    expect(counting).to_be_disabled()
    phone.clock.run_for(30_000)
    expect(counting).to_have_text("获取验证码")
    expect(counting).to_be_enabled()

    counting.click()  # within the minute the server refuses, and says when to try again
    expect(phone.locator("#code-status")).to_contain_text("请求过于频繁")
    expect(counting).to_be_disabled()

    drain()
    code = re.search(r"\b(\d{6})\b", [t for t in outbox(admin, number) if t["kind"] == "code"][-1]["text"]).group(1)
    phone.get_by_label("短信验证码").fill("000000" if code != "000000" else "111111")
    phone.get_by_role("button", name="提交报名").click()
    expect(phone.locator("#e-phone_code")).to_contain_text("验证码不正确或已过期")
    assert axe_violations(phone) == []
    phone.get_by_label("短信验证码").fill(code)
    phone.get_by_role("button", name="提交报名").click()
    phone.wait_for_url(re.compile(r"/t/"))
    expect(phone.locator("#status")).to_have_text("已确认")
