"""SPEC §6 custom questions in a real browser: the phone form renders each question by type, shows
only the chosen role's questions, places the server's answer errors, and the ticket shows the answers."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations, format_violations, save_screenshot

QUESTIONS = [
    {"question_id": "diet", "label": "饮食禁忌", "type": "single", "required": True, "options": ["无", "素食", "清真"]},
    {"question_id": "topics", "label": "感兴趣的环节", "type": "multi", "options": ["红毯", "颁奖", "晚宴"]},
    {"question_id": "arrival", "label": "到达日期", "type": "date"},
    {"question_id": "bio", "label": "简介", "type": "textarea"},
    {"question_id": "guests", "label": "随行人数", "type": "number"},
    {"question_id": "outlet", "label": "媒体名称", "type": "text", "required": True, "roles": ["media"]},
]


def test_form_asks_the_questions_and_the_ticket_shows_the_answers(phone, stack, admin, make_event):
    eid = make_event(questions=QUESTIONS)["event_id"]
    assert phone.goto(f"{stack.base_url}/e/{eid}").status == 200
    expect(phone.locator("select#f-answers\\.diet option")).to_have_count(4)
    expect(phone.locator('[data-answer="topics"] input[type="checkbox"]')).to_have_count(3)
    expect(phone.locator('input#f-answers\\.arrival[type="date"]')).to_have_count(1)
    expect(phone.locator("textarea#f-answers\\.bio")).to_have_count(1)
    expect(phone.locator('input#f-answers\\.guests[type="number"]')).to_have_count(1)
    outlet = phone.locator('[data-answer="outlet"]')
    expect(outlet).to_be_hidden()  # only asked of media
    phone.locator('input[name="role"][value="media"]').check(force=True)
    expect(outlet).to_be_visible()
    phone.locator('input[name="role"][value="guest"]').check(force=True)
    expect(outlet).to_be_hidden()

    phone.get_by_label("姓名").fill("王五")
    phone.get_by_label("手机号").fill("13887366947")
    phone.locator("#f-consent").check()
    phone.locator("#submit").click()
    error = phone.locator("#e-answers\\.diet")
    expect(error).to_have_text("请回答此问题")  # the server's 422, placed under its question
    save_screenshot(phone, "questions-form-error")
    violations = axe_violations(phone)
    assert not violations, format_violations(violations, "questions form")

    phone.get_by_label("饮食禁忌").select_option("素食")
    phone.get_by_label("红毯").check()
    phone.get_by_label("晚宴").check()
    phone.get_by_label("到达日期").fill("2027-03-01")
    phone.get_by_label("随行人数").fill("2")
    phone.locator("#submit").click()
    phone.wait_for_url("**/t/**")
    answers = phone.locator("dl.answers")
    expect(answers).to_contain_text("饮食禁忌")
    expect(answers).to_contain_text("素食")
    expect(answers).to_contain_text("红毯、晚宴")
    expect(answers).to_contain_text("2027-03-01")
    save_screenshot(phone, "questions-ticket")
    violations = axe_violations(phone)
    assert not violations, format_violations(violations, "ticket with answers")
    stored = admin.get(f"/events/{eid}/registrations").json()["items"][0]["answers"]
    assert stored == {"diet": "素食", "topics": ["红毯", "晚宴"], "arrival": "2027-03-01", "guests": 2}
