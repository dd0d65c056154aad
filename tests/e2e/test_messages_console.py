"""The console's side of SMS (SPEC §7): a registration's texts in 报名名单 (短信: kind, status,
attempts, the error, 重发 for a failed one) and the event form's 短信验证 switch."""
from __future__ import annotations

import json
import time

from playwright.sync_api import expect

from tests.e2e.test_console import check, desktop, labelled, log, ready, register, row_of, sign_in  # noqa: F401
from tests.integration.test_messages_api import Recording, drain, provider  # noqa: F401


def test_a_registrations_texts_and_a_retry_from_the_console(desktop, stack, make_event, public, admin, provider):  # noqa: F811
    from chalicelib.domain.messages import RETRY_DELAYS

    page = desktop
    eid = make_event(title="短信记录测试")["event_id"]
    provider(Recording(failures=100))
    rid = register(public, eid, name="孙短信")["registration_id"]
    now = int(time.time() * 1000)
    drain(now)
    for delay in RETRY_DELAYS:
        now += delay * 1000 + 1
        drain(now)
    assert admin.get(f"/events/{eid}/messages", params={"registration_id": rid}).json()["items"][0]["status"] == "failed"

    page.goto(f"{stack.base_url}/admin/events/{eid}#attendees")
    sign_in(page, stack.admin_token)
    ready(page)
    row_of(page, "孙短信").get_by_role("button", name="短信：孙短信", exact=True).click()
    dialog = page.get_by_role("dialog", name="短信记录")
    expect(dialog).to_be_visible()
    first = dialog.locator("tbody tr").first
    expect(first.locator("th")).to_have_text("电子票")
    expect(first).to_contain_text("发送失败")
    expect(first).to_contain_text("provider down")
    expect(first.locator("td.num")).to_have_text("5")
    check(page, "messages-failed")

    provider(Recording())
    dialog.get_by_role("button", name="重发电子票短信").click()
    expect(page.locator("#messages-note")).to_contain_text("已重新排队")
    expect(first).to_contain_text("待发送")
    drain()
    dialog.get_by_role("button", name="关闭").click()
    expect(dialog).to_be_hidden()
    row_of(page, "孙短信").get_by_role("button", name="短信：孙短信", exact=True).click()
    expect(dialog.locator("tbody tr").first).to_contain_text("已发送")
    check(page, "messages-sent")


def test_the_event_form_switches_phone_verification(desktop, stack, make_event, admin):  # noqa: F811
    page = desktop
    eid = make_event()["event_id"]
    page.goto(f"{stack.base_url}/admin/events/{eid}#edit")
    sign_in(page, stack.admin_token)
    form = page.locator("#event-form")
    expect(form).to_have_attribute("aria-busy", "false")  # filled from the event: its state is the server's
    switch = labelled(form, "短信验证")
    expect(switch).not_to_be_checked()
    patches: list[dict] = []
    page.on("request", lambda r: patches.append(json.loads(r.post_data)) if r.method == "PATCH" else None)
    switch.check()
    form.get_by_role("button", name="保存修改").click()
    expect(form.locator("#event-form-ok")).to_contain_text("已保存")
    assert patches == [{"verify_phone": True}]
    assert admin.get(f"/events/{eid}").json()["verify_phone"] is True
