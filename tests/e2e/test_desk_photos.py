"""Item photos at the intake desk and in the console (SPEC §8), in headless Chromium: a PNG chosen
in the desk's 拍照/上传照片 goes straight to S3 (the embedded one) with the presigned POST, is
confirmed, and its thumbnail appears (loaded from S3, allowed by the page's CSP); a file too large
or of another type is refused in the page with a Chinese message; the console shows the thumbnail.
Screenshots and axe on every state; any CSP violation would be a console error (the fixtures fail on it)."""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from devtools.samples import registration_body
from tests.e2e.conftest import axe_violations, new_phone_context, save_screenshot
from tests.helpers import tiny_png

ITEMS = [{"name": "红军水壶", "category": "军用品", "intent": "exhibit"}, {"name": "粮票一套", "intent": "donate"}]


@pytest.fixture
def desk(make_event, public, admin):
    event = make_event(kind="collector_exchange", capacity=20, title="红色收藏交流会")
    eid = event["event_id"]
    ticket = public.post(f"/events/{eid}/registrations",
                         json=registration_body("collector_exchange", name="周九", items=ITEMS)).json()
    staff = admin.post(f"/events/{eid}/staff-tokens", json={"label": "接收台"}).json()
    return event, ticket, staff


def test_a_photo_from_the_desk_to_s3_and_back(phone, browser_log, desk, stack, admin, shoot):
    event, ticket, staff = desk
    eid = event["event_id"]
    phone.goto(f"{stack.base_url}/desk/{eid}#token={staff['token']}")
    expect(phone.locator("#code")).to_be_focused()
    phone.keyboard.type(ticket["ticket_url"])
    phone.keyboard.press("Enter")
    card = phone.locator("#item-C-0001")
    expect(card).to_contain_text("红军水壶")
    picker = card.get_by_label("拍照/上传照片")
    expect(picker).to_have_attribute("accept", "image/jpeg,image/png")
    expect(picker).to_have_attribute("capture", "environment")
    expect(card.locator("img.photo-thumb")).to_have_count(0)
    assert axe_violations(phone) == []

    # Refused in the page, before anything is sent.
    picker.set_input_files({"name": "big.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"\0" * (5 * 1024 * 1024)})
    expect(phone.locator("#message")).to_contain_text("照片不能超过 5 MB")
    picker.set_input_files({"name": "anim.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + b"\0" * 100})
    expect(phone.locator("#message")).to_have_text("只接受 JPEG 或 PNG 格式的照片")
    assert admin.get(f"/events/{eid}/items/C-0001").json()["photo_url"] is None
    shoot(phone, "desk-photo-refused", full_page=False)

    png = tiny_png(64, 48)
    picker.set_input_files({"name": "photo.png", "mimeType": "image/png", "buffer": png})
    expect(phone.locator("#message")).to_have_text("C-0001 照片已保存")
    thumb = phone.locator("#item-C-0001 img.photo-thumb")
    expect(thumb).to_be_visible()
    expect(thumb).to_have_attribute("alt", "藏品照片：C-0001 红军水壶")
    phone.wait_for_function("document.querySelector('#item-C-0001 img.photo-thumb').naturalWidth === 64")
    assert thumb.get_attribute("src").startswith(stack.dynamodb_endpoint + "/")  # shown straight from S3
    expect(phone.locator("#item-C-0001").get_by_label("更换照片（拍照/上传）")).to_be_attached()
    expect(phone.locator("#item-C-0002 img.photo-thumb")).to_have_count(0)
    assert axe_violations(phone) == []
    shoot(phone, "desk-photo", full_page=True)
    item = admin.get(f"/events/{eid}/items/C-0001").json()
    assert requests.get(item["photo_url"], timeout=30).content == png

    # The console's items page shows the thumbnail too.
    context = new_phone_context(phone.context.browser, browser_log, viewport={"width": 1280, "height": 800}, is_mobile=False,
                                has_touch=False, device_scale_factor=1)
    page = context.new_page()
    try:
        page.goto(f"{stack.base_url}/admin/events/{eid}/items")
        page.get_by_label("管理员令牌").fill(stack.admin_token)
        page.get_by_role("button", name="登录").click()
        rows = page.locator("#items-table tbody tr")
        expect(rows).to_have_count(2)
        console_thumb = rows.first.locator("img.item-thumb")
        expect(console_thumb).to_have_attribute("alt", "藏品照片：C-0001 红军水壶")
        page.wait_for_function("document.querySelector('#items-table img.item-thumb').naturalWidth === 64")
        expect(rows.nth(1).locator("img")).to_have_count(0)
        assert axe_violations(page) == []
        save_screenshot(page, "console-items-photo", full_page=True)
    finally:
        context.close()


def test_the_collector_adds_a_photo_on_the_ticket_page(phone, desk, stack, admin, shoot):
    event, ticket, _ = desk
    eid = event["event_id"]
    admin.post(f"/events/{eid}/items/C-0002/transitions", json={"to": "received"})
    phone.goto(ticket["ticket_url"])
    items = phone.locator("#item-list li")
    expect(items).to_have_count(2)
    received = items.filter(has_text="C-0002")
    expect(received.locator("input[type=file]")).to_have_count(0)  # at the desk now: the desk's photo
    picker = phone.get_by_label("添加照片")
    expect(picker).to_have_attribute("accept", "image/jpeg,image/png")
    picker.set_input_files({"name": "a.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + b"\0" * 64})
    expect(phone.locator("#photo-error")).to_have_text("C-0001：只接受 JPEG 或 PNG 格式的照片")
    assert axe_violations(phone) == []
    picker.set_input_files({"name": "photo.png", "mimeType": "image/png", "buffer": tiny_png(40, 40, (40, 90, 160))})
    thumb = phone.locator("#item-list img.photo-thumb")
    expect(thumb).to_have_count(1)  # the page reloads with the confirmed photo
    expect(thumb).to_have_attribute("alt", "藏品照片：C-0001 红军水壶")
    phone.wait_for_function("document.querySelector('#item-list img.photo-thumb').naturalWidth === 40")
    expect(phone.get_by_label("更换照片")).to_be_attached()
    assert axe_violations(phone) == []
    shoot(phone, "ticket-item-photo", full_page=True)
    assert admin.get(f"/events/{eid}/items/C-0001").json()["photo_url"]
