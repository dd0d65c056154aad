"""The console's 报名问题 editor (SPEC §6 custom questions) in a real headless Chromium: questions
added in the create form and saved as entered; one relabelled and reordered in the edit form (the
PATCH carries only `questions`); a question that has answers can't be removed (409
question_in_use said next to the editor, the event unchanged); the server's field messages land
in the question's row. Every state is screenshot (test-artifacts/screenshots/console-questions-*.png)
and checked with axe-core."""
from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect

from devtools.samples import registration_body
from tests.e2e.test_console import check, desktop, labelled, log, phone_page, sign_in  # noqa: F401 (fixtures)

MEALS = ["中餐", "西餐", "素食"]


def rows(form):
    return form.locator("#question-rows > li")


def loaded(form) -> None:
    """The edit form is inert and aria-busy until the event (and its questions) is drawn."""
    expect(form).to_have_attribute("aria-busy", "false")


def patches(page, eid: str) -> list[dict[str, Any]]:
    """The bodies of the PATCH /events/{eid} requests the page sends from now on."""
    sent: list[dict[str, Any]] = []

    def seen(request) -> None:
        if request.method == "PATCH" and request.url.split("?")[0].endswith(f"/events/{eid}"):
            sent.append(json.loads(request.post_data or "{}"))

    page.on("request", seen)
    return sent


def save(form) -> None:
    form.get_by_role("button", name="保存修改").click()


def test_questions_created_edited_and_reordered(desktop, stack, admin):
    page = desktop
    page.goto(f"{stack.base_url}/admin")
    sign_in(page, stack.admin_token)
    page.get_by_role("button", name="新建活动").click()
    form = page.locator("#event-form")
    eid = f"qs-{page.evaluate('Date.now()') % 10**9}"
    labelled(form, "标题").fill("问题编辑测试")
    labelled(form, "地点").fill("市民中心")
    labelled(form, "开始时间").fill("2027-05-01T19:00")
    labelled(form, "结束时间").fill("2027-05-01T21:30")
    labelled(form, "名额").fill("50")
    labelled(form, "活动编号").fill(eid)

    form.get_by_role("button", name="添加问题").click()
    first = rows(form).nth(0)
    expect(first.get_by_label("问题", exact=True)).to_be_focused()
    expect(first.get_by_role("group", name="第 1 题")).to_be_visible()
    expect(first.get_by_label("选项（每行一个）")).to_be_hidden()  # 单行文字 has none
    first.get_by_label("问题", exact=True).fill("用餐选择")
    first.get_by_label("题型").select_option(label="单选")
    first.get_by_label("选项（每行一个）").fill("\n".join(MEALS) + "\n")
    expect(first.get_by_label("问题编号")).to_have_value("q-1")
    form.get_by_role("button", name="添加问题").click()
    second = rows(form).nth(1)
    second.get_by_label("问题", exact=True).fill("饮食禁忌")
    second.get_by_label("必答").check()
    second.get_by_role("checkbox", name="嘉宾").check()
    expect(first.get_by_role("button", name="上移第 1 题")).to_be_disabled()
    expect(second.get_by_role("button", name="下移第 2 题")).to_be_disabled()
    check(page, "questions-create")
    form.get_by_role("button", name="创建活动").click()
    page.wait_for_url(re.compile(rf"/admin/events/{eid}$"))
    assert admin.get(f"/events/{eid}").json()["questions"] == [
        {"question_id": "q-1", "label": "用餐选择", "type": "single", "required": False, "options": MEALS},
        {"question_id": "q-2", "label": "饮食禁忌", "type": "text", "required": True, "roles": ["guest"]},
    ]

    # Edit: the rows come back as saved; a new label goes out as `questions` alone.
    page.goto(f"{stack.base_url}/admin/events/{eid}#edit")
    loaded(form)
    expect(rows(form)).to_have_count(2)
    first, second = rows(form).nth(0), rows(form).nth(1)
    expect(first.get_by_label("题型")).to_have_value("single")
    expect(first.get_by_label("选项（每行一个）")).to_have_value("\n".join(MEALS))
    expect(second.get_by_label("问题", exact=True)).to_have_value("饮食禁忌")
    expect(second.get_by_label("必答")).to_be_checked()
    expect(second.get_by_role("checkbox", name="嘉宾")).to_be_checked()
    expect(second.get_by_role("checkbox", name="候选人")).not_to_be_checked()
    check(page, "questions-edit")
    sent = patches(page, eid)
    save(form)
    expect(form.locator("#event-form-ok")).to_have_text("没有需要保存的修改")  # nothing changed: nothing sent
    second.get_by_label("问题", exact=True).fill("饮食禁忌或过敏")
    save(form)
    expect(form.locator("#event-form-ok")).to_contain_text("已保存")
    assert len(sent) == 1 and list(sent[0]) == ["questions"], sent
    assert [q["label"] for q in admin.get(f"/events/{eid}").json()["questions"]] == ["用餐选择", "饮食禁忌或过敏"]

    # Reorder: 上移 keeps the focus on the moved question's buttons, and the new order is saved.
    rows(form).nth(1).get_by_role("button", name="上移第 2 题").click()
    expect(rows(form).nth(0).get_by_label("问题", exact=True)).to_have_value("饮食禁忌或过敏")
    expect(rows(form).nth(0).get_by_role("button", name="下移第 1 题")).to_be_focused()
    save(form)
    expect(form.locator("#event-form-ok")).to_contain_text("已保存")
    assert [q["question_id"] for q in admin.get(f"/events/{eid}").json()["questions"]] == ["q-2", "q-1"]
    assert list(sent[-1]) == ["questions"]


def test_question_in_use_and_field_errors(desktop, stack, admin, public, make_event):
    page = desktop
    questions = [
        {"question_id": "meal", "label": "用餐选择", "type": "single", "required": True, "options": MEALS},
        {"question_id": "arrival", "label": "到达日期", "type": "date", "required": False},
    ]
    eid = make_event(title="问题在用测试", questions=questions)["event_id"]
    answer = public.post(f"/events/{eid}/registrations", json=registration_body(answers={"meal": "素食"}))
    assert answer.status_code == 201, answer.text
    before = admin.get(f"/events/{eid}").json()

    page.goto(f"{stack.base_url}/admin/events/{eid}#edit")
    sign_in(page, stack.admin_token)
    form = page.locator("#event-form")
    loaded(form)
    expect(rows(form)).to_have_count(2)

    # Removing the answered question: refused, said next to the editor; the event is unchanged.
    rows(form).nth(0).get_by_role("button", name="删除第 1 题").click()
    expect(rows(form)).to_have_count(1)
    expect(form.get_by_role("button", name="添加问题")).to_be_focused()
    save(form)
    error = form.locator("#ee-questions")
    expect(error).to_have_text("「用餐选择」已有人回答，不能删除、改题型或删去选项，只能改问题文字或增加选项。未保存；点“还原”可撤销修改。")
    check(page, "questions-in-use")
    assert admin.get(f"/events/{eid}").json() == before
    # Taking an option away from it is refused too; 还原 brings the saved questions back.
    form.get_by_role("button", name="还原").click()
    expect(rows(form)).to_have_count(2)
    expect(error).to_be_hidden()
    rows(form).nth(0).get_by_label("选项（每行一个）").fill("中餐\n西餐")
    save(form)
    expect(error).to_contain_text("「用餐选择」已有人回答")
    assert admin.get(f"/events/{eid}").json() == before

    # More options and a new label are fine.
    rows(form).nth(0).get_by_label("选项（每行一个）").fill("\n".join(MEALS + ["清真"]))
    rows(form).nth(0).get_by_label("问题", exact=True).fill("晚宴用餐")
    save(form)
    expect(form.locator("#event-form-ok")).to_contain_text("已保存")
    assert admin.get(f"/events/{eid}").json()["questions"][0] == {
        "question_id": "meal", "label": "晚宴用餐", "type": "single", "required": True, "options": MEALS + ["清真"]}

    # The server's field messages land in the row and field they are about.
    form.get_by_role("button", name="添加问题").click()
    third = rows(form).nth(2)
    third.get_by_label("问题", exact=True).fill("纪念品")
    third.get_by_label("题型").select_option(label="多选")  # no options: the server says so
    rows(form).nth(1).get_by_label("问题编号").fill("meal")  # a second "meal"
    save(form)
    options = third.get_by_label("选项（每行一个）")
    expect(third.locator('[data-field="questions.2.options"] .error')).to_have_text("单选、多选题须有 1–20 个选项")
    expect(options).to_have_attribute("aria-invalid", "true")
    expect(third.get_by_label("问题", exact=True)).not_to_have_attribute("aria-invalid", "true")
    expect(rows(form).nth(1).locator('[data-field="questions.1.question_id"] .error')).to_have_text("问题编号不能重复")
    expect(rows(form).nth(1).get_by_label("问题编号")).to_be_focused()  # the first field in error
    check(page, "questions-errors")
    rows(form).nth(1).get_by_label("问题编号").fill("arrival")
    options.fill("徽章\n" + "长" * 41)  # the second option is too long
    save(form)
    expect(third.locator('[data-field="questions.2.options"] .error')).to_contain_text("第 2 个选项：")
    assert len(admin.get(f"/events/{eid}").json()["questions"]) == 2
    options.fill("徽章\n帆布袋")
    save(form)
    expect(form.locator("#event-form-ok")).to_contain_text("已保存")
    saved = admin.get(f"/events/{eid}").json()["questions"]
    assert saved[2] == {"question_id": "q-1", "label": "纪念品", "type": "multi", "required": False,
                        "options": ["徽章", "帆布袋"]}


def test_question_rows_on_a_phone(phone_page, stack, make_event):
    page = phone_page
    eid = make_event(questions=[
        {"question_id": "meal", "label": "用餐选择", "type": "multi", "required": True, "options": MEALS,
         "roles": ["nominee", "family"]},
    ])["event_id"]
    page.goto(f"{stack.base_url}/admin/events/{eid}#edit")
    sign_in(page, stack.admin_token)
    form = page.locator("#event-form")
    loaded(form)
    row = rows(form).nth(0)
    expect(row.get_by_label("题型")).to_have_value("multi")
    expect(row.get_by_role("checkbox", name="家属")).to_be_checked()
    row.scroll_into_view_if_needed()
    check(page, "questions-phone")
