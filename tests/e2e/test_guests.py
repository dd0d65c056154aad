"""SPEC §6 in a real browser: the invite link preselects its role on the phone form, the console's
邀请与导入 tab makes invite codes (their QR decodes to the link) and uploads the organisers' files
(per-row errors, then the Excel list), and the printable invitations carry decodable ticket QRs."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations, format_violations, save_screenshot
from tests.e2e.test_console import check, decode_qr, desktop, log, settle, sign_in  # noqa: F401  (fixtures)

SAMPLES = Path("/work/shared/samples")


def test_invite_link_preselects_its_role_on_the_phone_form(phone, stack, admin, make_event):
    eid = make_event(invite_only_roles=["nominee"], max_party_size=2)["event_id"]
    public_form = phone.goto(f"{stack.base_url}/e/{eid}")
    assert public_form.status == 200
    expect(phone.locator('input[name="role"][value="nominee"]')).to_have_count(0)
    code = admin.post(f"/events/{eid}/invite-codes", json={"role": "nominee", "label": "郑国强"}).json()
    phone.goto(code["form_url"])
    expect(phone.locator("#invite-banner")).to_contain_text("候选人")
    roles = phone.locator('input[name="role"]')
    expect(roles).to_have_count(1)
    expect(roles.first).to_be_checked()
    save_screenshot(phone, "invite-form")
    violations = axe_violations(phone)
    assert not violations, format_violations(violations, "invite form")
    phone.get_by_label("姓名").fill("郑国强")
    phone.get_by_label("手机号").fill("13887366946")
    phone.locator("#f-consent").check()
    phone.locator("#submit").click()
    phone.wait_for_url("**/t/**")
    rows = admin.get(f"/events/{eid}/registrations").json()["items"]
    assert [(r["name"], r["role"], r["source"]) for r in rows] == [("郑国强", "nominee", "invite")]
    assert admin.get(f"/events/{eid}/invite-codes").json()["items"][0]["used"] == 1
    # Used up: the same link now says so and offers no invite-only role.
    phone.goto(code["form_url"])
    expect(phone.locator("#invite-banner")).to_contain_text("无效")
    expect(phone.locator('input[name="role"][value="nominee"]')).to_have_count(0)


def test_console_invite_codes_import_and_printable_invitations(desktop, stack, admin, make_event, tmp_path):
    page = desktop
    eid = make_event(capacity=100, max_party_size=3, invite_only_roles=["nominee", "family"])["event_id"]
    page.goto(f"{stack.base_url}/admin/events/{eid}#guests")
    sign_in(page, stack.admin_token)
    expect(page.locator("#panel-guests")).to_be_visible()

    # An invite code from the form: its link and a QR code of it.
    guests = page.locator("#panel-guests")
    expect(guests.locator("#invite-role option")).to_have_count(6)
    guests.get_by_label("身份", exact=True).select_option("nominee")
    guests.get_by_label("备注").fill("候选人郑国强")
    page.get_by_role("button", name="新建邀请码").click()
    expect(page.locator("#invite-new-url")).to_contain_text(f"/e/{eid}?invite=")
    url = page.locator("#invite-new-url").inner_text()
    page.locator("#invite-qr-svg").wait_for()
    assert decode_qr(page.locator("#invite-qr-svg").screenshot()) == [url]
    expect(page.locator("#invite-table tbody tr")).to_have_count(1)
    check(page, "guests-invite-code")

    # A file with mistakes: the rows and what is wrong with each, nothing imported.
    bad = tmp_path / "名单.csv"
    bad.write_bytes("姓名,手机号,身份\n张三,13800138000,嘉宾\n李四,12345,厨师\n".encode("gb18030"))
    page.locator("#import-file").set_input_files(str(bad))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#import-errors-wrap")).to_be_visible()
    rows = page.locator("#import-errors tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("2")
    expect(rows.first).to_contain_text("手机号")
    expect(rows.first).to_contain_text("身份")
    check(page, "guests-import-errors")
    assert admin.get(f"/events/{eid}/registrations").json()["items"] == []

    # The organisers' Excel list: imported whole.
    page.locator("#import-file").set_input_files(str(SAMPLES / "guests.xlsx"))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#import-result")).to_contain_text("已导入 47 人")
    expect(page.locator("#import-errors-wrap")).to_be_hidden()
    check(page, "guests-imported")

    # From the attendee tab to the printable invitations of the nominees.
    page.goto(f"{stack.base_url}/admin/events/{eid}#attendees")
    settle(page)
    page.get_by_role("link", name="打印邀请函").click()
    page.wait_for_url(f"**/admin/events/{eid}/invitations")
    page.get_by_label("身份").select_option("nominee")
    expect(page.locator(".inv-card")).to_have_count(20)
    assert page.url.endswith("?role=nominee")
    first = page.locator(".inv-card").first
    expect(first).to_contain_text("郑国强")
    expect(first).to_contain_text("候选人")
    expect(first).to_contain_text("地点：")
    page.wait_for_function("() => [...document.querySelectorAll('.inv-qr')].every((i) => i.complete && i.naturalWidth)")
    check(page, "invitations")
    tickets = {r["registration_id"]: r for r in admin.get(f"/events/{eid}/invitations?role=nominee").json()["items"]}
    decoded = decode_qr(page.locator(".inv-qr").first.screenshot())
    assert len(decoded) == 1 and decoded[0] in {t["ticket_url"] for t in tickets.values()}
    assert decoded[0] == next(t["ticket_url"] for t in tickets.values() if t["name"] == "郑国强")
    # The print layout: A4, no console chrome, two cards a row.
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("#inv-form")).to_be_hidden()
    boxes = [page.locator(".inv-card").nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[1]["x"] > boxes[0]["x"]
    save_screenshot(page, "invitations-print")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
