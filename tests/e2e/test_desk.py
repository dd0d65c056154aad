"""The intake desk (SPEC §8) in headless Chromium: a keyboard-wedge scan of a collector's ticket,
the item actions (接收 … 捐赠 with its recipient), a scanned item tag, a stale action refused,
the printable tag, what a tag's URL opens; axe on every state."""
from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from devtools.samples import registration_body
from tests.e2e.conftest import axe_violations

ITEMS = [
    {"name": "毛主席像章", "category": "像章", "era": "1968年", "intent": "donate"},
    {"name": "红军水壶", "intent": "exhibit"},
    {"name": "粮票一套", "category": "票证", "intent": "exchange"},
]


@pytest.fixture
def desk(make_event, public, admin):
    event = make_event(kind="collector_exchange", capacity=20, title="全国红色收藏交流会")
    eid = event["event_id"]
    ticket = public.post(f"/events/{eid}/registrations",
                         json=registration_body("collector_exchange", name="王五", phone="13712345678",
                                                items=ITEMS)).json()
    staff = admin.post(f"/events/{eid}/staff-tokens", json={"label": "接收台"}).json()
    return event, ticket, staff


def scan_with_keyboard(page, code):
    expect(page.locator("#code")).to_be_focused()
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def item_card(page, item_id):
    return page.locator(f"#item-{item_id}")


def tag_url(session, eid, item_id):
    import zxingcpp
    from PIL import Image

    png = session.get(f"/events/{eid}/items/{item_id}/tag.png").content
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)[0].text


def test_desk_with_a_keyboard_wedge(phone, desk, stack, admin, shoot):
    event, ticket, staff = desk
    eid = event["event_id"]
    phone.goto(f"{stack.base_url}/desk/{eid}#token={staff['token']}")
    expect(phone.locator("h1")).to_have_text("全国红色收藏交流会")
    assert "token" not in phone.url
    expect(phone.get_by_label("扫码枪 / 手动输入票码")).to_be_visible()
    scan_with_keyboard(phone, ticket["ticket_url"])
    expect(phone.locator("#collector-name")).to_have_text("王五")
    expect(phone.locator("#collector-detail")).to_contain_text("137****5678")
    expect(phone.locator(".desk-item")).to_have_count(3)
    first = item_card(phone, "C-0001")
    expect(first).to_contain_text("毛主席像章")
    expect(first).to_contain_text("已申报")
    expect(first.get_by_role("button", name="接收")).to_be_visible()
    assert axe_violations(phone) == []
    shoot(phone, "desk-collector", full_page=True)

    first.get_by_label("备注（可选）").fill("外盒有磨损")
    first.get_by_role("button", name="接收").click()
    expect(item_card(phone, "C-0001")).to_contain_text("已接收")
    expect(phone.locator("#message")).to_contain_text("C-0001 已接收")
    first = item_card(phone, "C-0001")
    for action in ("展出", "归还", "交换", "捐赠"):
        expect(first.get_by_role("button", name=action, exact=True)).to_be_visible()
    first.get_by_role("button", name="捐赠", exact=True).click()
    recipient = first.get_by_label("受赠单位")
    expect(recipient).to_be_focused()
    assert axe_violations(phone) == []
    shoot(phone, "desk-donate", full_page=False)
    first.get_by_role("button", name="确认捐赠").click()
    expect(phone.locator("#message")).to_contain_text("请填写受赠单位")
    recipient.fill("遵义市红色收藏博物馆")
    first.get_by_role("button", name="确认捐赠").click()
    expect(item_card(phone, "C-0001")).to_contain_text("已捐赠")
    expect(item_card(phone, "C-0001")).to_contain_text("受赠单位：遵义市红色收藏博物馆")
    stored = admin.get(f"/events/{eid}/items/C-0001").json()
    assert stored["state"] == "donated" and [h["actor"] for h in stored["history"]] == ["staff:接收台"] * 2
    assert stored["history"][0]["note"] == "外盒有磨损"

    # Another desk receives C-0003 meanwhile: this desk's stale 接收 is refused and the card catches up.
    assert admin.post(f"/events/{eid}/items/C-0003/transitions", json={"to": "received"}).status_code == 200
    item_card(phone, "C-0003").get_by_role("button", name="接收").click()
    expect(phone.locator("#message")).to_have_class(re.compile(r"\bis-error\b"))
    expect(phone.locator("#message")).to_contain_text("已接收")
    expect(item_card(phone, "C-0003").locator(".badge")).to_have_text("已接收")
    assert len(admin.get(f"/events/{eid}/items/C-0003").json()["history"]) == 1

    # A scanned tag opens that item.
    phone.locator("#code").focus()
    scan_with_keyboard(phone, tag_url(admin, eid, "C-0002"))
    expect(item_card(phone, "C-0002")).to_have_class(re.compile(r"\bis-focus\b"))
    expect(phone.locator("#message")).to_contain_text("C-0002")

    item_card(phone, "C-0002").get_by_role("button", name="打印标签").click()
    preview = item_card(phone, "C-0002").locator(".tag-preview img")
    expect(preview).to_be_visible()
    assert phone.evaluate("(img) => img.naturalWidth", preview.element_handle()) == 400
    assert axe_violations(phone) == []
    shoot(phone, "desk-tag", full_page=True)

    phone.locator("#code").focus()
    scan_with_keyboard(phone, "NOT-A-CODE")
    expect(phone.locator("#message")).to_have_class(re.compile(r"\bis-error\b"))


def test_desk_without_a_token_and_the_item_page(phone, desk, stack, admin, shoot):
    event, _, _ = desk
    eid = event["event_id"]
    phone.goto(f"{stack.base_url}/desk/{eid}")
    expect(phone.locator("#no-token")).to_be_visible()
    assert axe_violations(phone) == []

    url = tag_url(admin, eid, "C-0002")
    phone.goto(url)
    expect(phone.locator("h1")).to_have_text("红军水壶")
    expect(phone.locator(".item-facts")).to_contain_text("C-0002")
    expect(phone.locator(".item-facts")).to_contain_text("已申报")
    assert axe_violations(phone) == []
    shoot(phone, "item-page", full_page=True)
    phone.get_by_role("link", name=re.compile("接收台")).click()
    expect(phone.locator("#no-token")).to_be_visible()
    assert phone.url.endswith(f"/desk/{eid}")


def test_the_collector_edits_items_on_the_ticket_page(phone, desk, stack, admin, shoot):
    event, ticket, _ = desk
    eid = event["event_id"]
    assert admin.post(f"/events/{eid}/items/C-0002/transitions", json={"to": "received"}).status_code == 200
    phone.goto(ticket["ticket_url"])
    area = phone.locator("#items-area")
    expect(area.get_by_role("heading", name="我的藏品")).to_be_visible()
    expect(area.locator("#item-list li")).to_have_count(3)
    expect(area.locator("#item-list li").nth(1)).to_contain_text("已接收")
    assert axe_violations(phone) == []

    phone.get_by_role("button", name="修改藏品").click()
    rows = phone.locator("#edit-rows .item-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1).get_by_label("藏品名称")).to_be_disabled()  # received: it stays as it is
    rows.nth(0).get_by_label("藏品名称").fill("毛主席像章（铜）")
    rows.nth(2).get_by_role("button", name="删除藏品 3").click()
    phone.get_by_role("button", name="＋ 添加藏品").click()
    new = phone.locator("#edit-rows .item-row").nth(2)
    new.get_by_label("藏品名称").fill("老照片")
    new.get_by_label("用途").select_option("exhibit")
    assert axe_violations(phone) == []
    shoot(phone, "ticket-items-edit", full_page=True)
    phone.get_by_role("button", name="保存").click()
    expect(area.locator("#item-list li").nth(2)).to_contain_text("C-0004")  # the page reloaded
    texts = area.locator("#item-list li").all_inner_texts()
    assert "毛主席像章（铜）" in texts[0] and "C-0002" in texts[1] and "已接收" in texts[1] and "老照片" in texts[2]
    assert [i["item_id"] for i in admin.get(f"/events/{eid}/items").json()["items"]] == ["C-0001", "C-0002", "C-0004"]

    phone.get_by_role("button", name="修改藏品").click()
    phone.locator("#edit-rows .item-row").nth(2).get_by_label("藏品名称").fill("")
    phone.get_by_role("button", name="保存").click()
    expect(phone.locator("#items-error")).to_contain_text("藏品 3")
    assert axe_violations(phone) == []


def test_console_items_page_filters_and_certificate(browser, browser_log, desk, stack, admin, public):
    from tests.e2e.conftest import new_phone_context

    event, ticket, _ = desk
    eid = event["event_id"]
    for to, extra in (("received", {}), ("donated", {"recipient": "遵义市红色收藏博物馆"})):
        assert admin.post(f"/events/{eid}/items/C-0001/transitions", json={"to": to, **extra}).status_code == 200
    context = new_phone_context(browser, browser_log, viewport={"width": 1280, "height": 800}, is_mobile=False,
                                has_touch=False, device_scale_factor=1)
    page = context.new_page()
    try:
        page.goto(f"{stack.base_url}/admin/events/{eid}")
        page.get_by_label("管理员令牌").fill(stack.admin_token)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("link", name="藏品清单（收藏交流会）").click()
        expect(page.locator("#ev-title")).to_have_text("全国红色收藏交流会")
        rows = page.locator("#items-table tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.first).to_contain_text("已捐赠")
        expect(rows.first).to_contain_text("王五")
        assert axe_violations(page) == []
        page.get_by_label("状态").select_option("declared")
        expect(rows).to_have_count(2)
        page.get_by_label("意向").select_option("exchange")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("粮票一套")
        page.get_by_label("状态").select_option("")
        page.get_by_label("意向").select_option("")
        expect(rows).to_have_count(3)
        with page.expect_download() as download:
            page.get_by_role("button", name="下载证书：王五").click()
        pdf = download.value.path().read_bytes()
        assert pdf.startswith(b"%PDF") and download.value.suggested_filename.endswith("donation-certificate.pdf")
        with page.expect_download() as download:
            page.get_by_role("button", name="下载 CSV").click()
        assert download.value.path().read_bytes().startswith(b"\xef\xbb\xbf\xe8\x97\x8f\xe5\x93\x81\xe7\xbc\x96\xe5\x8f\xb7")
        assert axe_violations(page) == []
        from tests.e2e.conftest import save_screenshot

        save_screenshot(page, "console-items", full_page=True)
    finally:
        context.close()
