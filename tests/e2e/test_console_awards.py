"""The console's award-ceremony parts (SPEC §9) in a real headless Chromium at a 1280×800 laptop
and a 390×844 phone: awards edited in the event form (the server's field messages inline), a
seat, an award and a companion assigned from the attendee list's 座位/奖项 dialog (a taken seat
said inline), companions seen on the nominee's row, and the links to the stage board. Every state
is screenshot (test-artifacts/screenshots/console-awards-*.png) and checked with axe-core."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.test_console import (  # noqa: F401 (fixtures)
    check,
    desktop,
    labelled,
    log,
    phone_page,
    ready,
    register,
    row_of,
    sign_in,
)


def test_edit_awards_in_the_event_form(desktop, stack, admin, make_event):
    page = desktop
    eid = make_event(title="奖项编辑测试")["event_id"]
    page.goto(f"{stack.base_url}/admin/events/{eid}#edit")
    sign_in(page, stack.admin_token)
    form = page.locator("#event-form")
    expect(labelled(form, "标题")).to_have_value("奖项编辑测试")
    awards = form.locator("#ef-awards")
    expect(awards).to_be_visible()
    form.get_by_role("button", name="添加奖项").click()
    row = awards.locator(".award-row").nth(0)
    expect(row.get_by_label("奖项名称")).to_be_focused()
    row.get_by_label("奖项名称").fill("十大孝星")
    expect(row.get_by_label("奖项编号")).to_have_value("award-1")
    form.get_by_role("button", name="添加奖项").click()
    second = awards.locator(".award-row").nth(1)
    second.get_by_label("奖项名称").fill("十大恩爱夫妻")
    second.get_by_label("名额").fill("0")
    check(page, "awards-form")
    form.get_by_role("button", name="保存修改").click()
    expect(form.locator("#ee-awards")).to_contain_text("名额须在 1 到 100 之间")
    check(page, "awards-error")
    second.get_by_label("名额").fill("10")
    second.get_by_label("奖项编号").fill("fuqi")
    form.get_by_role("button", name="保存修改").click()
    expect(form.locator("#event-form-ok")).to_contain_text("已保存")
    assert admin.get(f"/events/{eid}").json()["awards"] == [
        {"award_id": "award-1", "name": "十大孝星", "slots": 10},
        {"award_id": "fuqi", "name": "十大恩爱夫妻", "slots": 10},
    ]
    # Removing one and saving again sends the shorter list.
    awards.locator(".award-row").nth(0).get_by_role("button", name="删除奖项：十大孝星").click()
    form.get_by_role("button", name="保存修改").click()
    expect(form.locator("#event-form-ok")).to_contain_text("已保存")
    assert [a["award_id"] for a in admin.get(f"/events/{eid}").json()["awards"]] == ["fuqi"]
    # A collector exchange has no awards field.
    other = make_event(kind="collector_exchange")["event_id"]
    page.goto(f"{stack.base_url}/admin/events/{other}#edit")
    expect(labelled(form, "标题")).to_have_value("测试颁奖典礼")
    expect(awards).to_be_hidden()


def test_seat_award_and_companion_from_the_attendee_list(desktop, stack, admin, public, make_event):
    page = desktop
    eid = make_event(capacity=20, awards=[{"award_id": "xiaoxing", "name": "十大孝星", "slots": 10},
                                          {"award_id": "fuqi", "name": "十大恩爱夫妻", "slots": 10}])["event_id"]
    nominee = register(public, eid, role="nominee", award_id="xiaoxing", name="王秀英")["registration_id"]
    register(public, eid, role="family", name="王小明")
    holder = register(public, eid, role="guest", name="赵嘉宾")["registration_id"]
    assert admin.patch(f"/events/{eid}/registrations/{holder}", json={"seat": "A区1排1座"}).status_code == 200
    page.goto(f"{stack.base_url}/admin/events/{eid}#attendees")
    sign_in(page, stack.admin_token)
    ready(page)
    expect(row_of(page, "赵嘉宾").locator('td[data-label="座位"]')).to_have_text("A区1排1座")
    expect(row_of(page, "王秀英").locator('td[data-label="身份"]')).to_contain_text("十大孝星")

    # The family member: a seat someone else holds is refused inline, then another is saved.
    row_of(page, "王小明").get_by_role("button", name="座位/奖项：王小明").click()
    dialog = page.locator("#reg-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("奖项")).to_be_hidden()  # only nominees have an award
    dialog.get_by_label("座位").fill("A区1排1座")
    dialog.get_by_label("陪同的候选人").select_option(label="十大孝星 · 王秀英")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.locator("#reg-seat-error")).to_contain_text("已分配给「赵嘉宾」")
    expect(dialog.get_by_label("座位")).to_have_attribute("aria-invalid", "true")
    check(page, "awards-seat-taken")
    dialog.get_by_label("座位").fill("A区1排2座")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    ready(page)
    family_row = row_of(page, "王小明")
    expect(family_row.locator('td[data-label="座位"]')).to_have_text("A区1排2座")
    expect(family_row.locator('td[data-label="身份"]')).to_contain_text("陪同：王秀英")
    expect(row_of(page, "王秀英").locator('td[data-label="身份"]')).to_contain_text("陪同 0/1 已到")
    check(page, "awards-list")

    # The nominee moves to the other award.
    row_of(page, "王秀英").get_by_role("button", name="座位/奖项：王秀英").click()
    expect(dialog.get_by_label("陪同的候选人")).to_be_hidden()
    dialog.get_by_label("奖项").select_option(label="十大恩爱夫妻")
    check(page, "awards-dialog")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    ready(page)
    expect(row_of(page, "王秀英").locator('td[data-label="身份"]')).to_contain_text("十大恩爱夫妻")
    assert admin.get(f"/events/{eid}/programme").json()["awards"][1]["nominees"][0]["registration_id"] == nominee

    # The overview links to the stage board, in the same tab (the token stays in this tab).
    page.locator('a[data-tab="overview"]').click()
    page.get_by_role("link", name="舞台看板").click()
    expect(page.locator(".nominee .who")).to_have_text(["王秀英"])


def test_gate_link_gives_a_stage_board_link(phone_page, stack, admin, make_event):
    page = phone_page
    eid = make_event(awards=[{"award_id": "xiaoxing", "name": "十大孝星", "slots": 10}])["event_id"]
    page.goto(f"{stack.base_url}/admin/events/{eid}#gates")
    sign_in(page, stack.admin_token)
    page.get_by_label("签到口名称").fill("舞台监督")
    page.get_by_role("button", name="新建签到链接").click()
    stage_url = page.get_by_label("舞台看板链接（同一令牌）")
    expect(stage_url).to_have_value(re.compile("^" + re.escape(f"{stack.base_url}/admin/events/{eid}/stage#token=st_")))
    check(page, "awards-gate-link")
    link = stage_url.input_value()
    board = page.context.new_page()
    board.goto(link)
    expect(board.locator("#stage-empty")).to_be_hidden()
    expect(board.locator(".award h2")).to_contain_text(["十大孝星"])
    board.close()
