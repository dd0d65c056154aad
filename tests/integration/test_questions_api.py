"""SPEC §6 custom questions through HTTP: the event's `questions`, the registration's `answers`,
the ticket, the list, the exports, `question_in_use` and erasure."""
from __future__ import annotations

import codecs
import csv
import io

import openpyxl

from devtools.samples import event_body, registration_body

QUESTIONS = [
    {"question_id": "diet", "label": "饮食禁忌", "type": "single", "required": True, "options": ["无", "素食", "清真"]},
    {"question_id": "topics", "label": "感兴趣的环节", "type": "multi", "required": False,
     "options": ["红毯", "颁奖", "晚宴"]},
    {"question_id": "arrival", "label": "到达日期", "type": "date", "required": False},
    {"question_id": "bio", "label": "简介", "type": "textarea", "required": False},
    {"question_id": "title", "label": "=职务", "type": "text", "required": False},
    {"question_id": "guests", "label": "随行人数", "type": "number", "required": False},
    {"question_id": "outlet", "label": "媒体名称", "type": "text", "required": True, "roles": ["media"]},
]


def _register(public, eid, **body):
    return public.post(f"/events/{eid}/registrations", json=registration_body(**body))


def _fields(response):
    assert response.status_code == 422, response.text
    return response.json()["fields"]


def test_event_questions_are_validated_on_create_and_patch(admin, make_event):
    event = make_event(questions=QUESTIONS)
    assert [q["question_id"] for q in event["questions"]] == [q["question_id"] for q in QUESTIONS]
    assert event["questions"][2]["required"] is False and make_event()["questions"] == []

    def refused(questions, **extra):
        return _fields(admin.post("/events", json=event_body(questions=questions, **extra)))

    assert "questions.0.options" in refused([{"question_id": "a-q", "label": "x", "type": "single"}])
    assert "questions.0.options" in refused([{"question_id": "a-q", "label": "x", "type": "text", "options": ["a"]}])
    assert "questions.0.options" in refused([{"question_id": "a-q", "label": "x", "type": "multi", "options": ["a", "a"]}])
    assert "questions.0.options" in refused(
        [{"question_id": "a-q", "label": "x", "type": "multi", "options": [str(i) for i in range(21)]}])
    assert "questions.0.options.0" in refused([{"question_id": "a-q", "label": "x", "type": "single", "options": ["a" * 41]}])
    assert "questions.0.label" in refused([{"question_id": "a-q", "label": "x" * 41, "type": "text"}])
    assert "questions.0.label" in refused([{"question_id": "a-q", "label": "", "type": "text"}])
    assert "questions.0.type" in refused([{"question_id": "a-q", "label": "x", "type": "file"}])
    assert "questions.0.question_id" in refused([{"question_id": "A Q", "label": "x", "type": "text"}])
    assert "questions.1.question_id" in refused([{"question_id": "a-q", "label": "x", "type": "text"}] * 2)
    assert "questions.0.roles" in refused([{"question_id": "a-q", "label": "x", "type": "text", "roles": ["media"]}],
                                          roles=["guest", "nominee"])
    assert "questions" in refused([{"question_id": f"q-{i}", "label": "x", "type": "text"} for i in range(21)])
    patched = admin.patch(f"/events/{event['event_id']}", json={"questions": [{"question_id": "x-1", "label": "x",
                                                                               "type": "nope"}]})
    assert "questions.0.type" in _fields(patched)


def test_answers_are_checked_by_type_and_role(public, make_event):
    eid = make_event(questions=QUESTIONS, max_party_size=3)["event_id"]
    fields = _fields(_register(public, eid))
    assert fields == {"answers.diet": ["请回答此问题"]}  # outlet is only asked of media
    assert set(_fields(_register(public, eid, role="media", answers={"diet": "无"}))) == {"answers.outlet"}
    bad = {
        "diet": "荤素不限", "topics": ["红毯", "红毯"], "arrival": "2027-02-30", "bio": "字" * 1001,
        "title": "字" * 201, "guests": "two", "nope": "x",
    }
    fields = _fields(_register(public, eid, answers=bad))
    assert set(fields) == {f"answers.{name}" for name in bad}
    assert fields["answers.nope"] == ["没有这个问题"]
    assert set(_fields(_register(public, eid, answers={"diet": "无", "topics": ["自助"]}))) == {"answers.topics"}
    assert set(_fields(_register(public, eid, answers={"diet": "无", "arrival": "2027/03/01"}))) == {"answers.arrival"}
    assert set(_fields(_register(public, eid, answers={"diet": "无", "guests": True}))) == {"answers.guests"}
    assert set(_fields(_register(public, eid, answers={"diet": "无", "outlet": "新华社"}))) == {"answers.outlet"}
    assert set(_fields(_register(public, eid, answers=["无"]))) == {"answers"}
    assert set(_fields(_register(public, eid, answers={"diet": ["无"]}))) == {"answers.diet"}
    nan = public.post(f"/events/{eid}/registrations", headers={"Content-Type": "application/json"},
                      data='{"name":"张三","phone":"13800001111","role":"guest","consent":true,'
                           '"answers":{"diet":"无","guests":NaN}}')
    assert nan.status_code in (400, 422) and nan.status_code != 201

    ok = _register(public, eid, answers={"diet": "素食", "topics": ["晚宴", "红毯"], "arrival": "2027-03-01",
                                          "bio": "第一行\n第二行", "title": "", "guests": 2.5})
    assert ok.status_code == 201, ok.text
    media = _register(public, eid, role="media", answers={"diet": "无", "outlet": "新华社"})
    assert media.status_code == 201, media.text


def test_ticket_list_and_exports_carry_the_answers(public, admin, make_event):
    eid = make_event(questions=QUESTIONS)["event_id"]
    first = _register(public, eid, name="王五", phone="13800002222",
                      answers={"diet": "清真", "topics": ["红毯", "晚宴"], "title": "=SUM(A1)", "guests": 3}).json()
    _register(public, eid, name="赵六", phone="13800003333", role="media", answers={"diet": "无", "outlet": "@新华社"})
    _register(public, eid, name="孙七", phone="13800004444", answers={"diet": "无"})

    ticket = public.get(f"/tickets/{first['ticket_token']}").json()
    assert ticket["answers"] == [
        {"question_id": "diet", "label": "饮食禁忌", "answer": "清真"},
        {"question_id": "topics", "label": "感兴趣的环节", "answer": "红毯、晚宴"},
        {"question_id": "title", "label": "=职务", "answer": "=SUM(A1)"},
        {"question_id": "guests", "label": "随行人数", "answer": "3"},
    ]
    page = public.get(f"/t/{first['ticket_token']}").text
    assert "饮食禁忌" in page and "红毯、晚宴" in page

    listed = admin.get(f"/events/{eid}/registrations").json()["items"]
    by_name = {item["name"]: item for item in listed}
    assert by_name["王五"]["answers"] == {"diet": "清真", "topics": ["红毯", "晚宴"], "title": "=SUM(A1)", "guests": 3}

    content = admin.get(f"/events/{eid}/attendees.csv").content
    assert content.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(content[3:].decode("utf-8"), newline="")))
    header = content[3:].split(b"\r\n")[0].decode("utf-8")
    assert header.endswith(",签到人,饮食禁忌,感兴趣的环节,到达日期,简介,'=职务,随行人数,媒体名称")
    by_phone = {row[3]: row for row in rows[1:]}
    assert by_phone["13800002222"][16:] == ["清真", "红毯、晚宴", "", "", "'=SUM(A1)", "3", ""]
    assert by_phone["13800003333"][16:] == ["无", "", "", "", "", "", "'@新华社"]
    assert by_phone["13800004444"][16:] == ["无", "", "", "", "", "", ""]
    assert b'\xe6\xb8\x85\xe7\x9c\x9f,\xe7\xba\xa2\xe6\xaf\xaf\xe3\x80\x81\xe6\x99\x9a\xe5\xae\xb4' in content  # 清真,红毯、晚宴

    xlsx = admin.get(f"/events/{eid}/attendees.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][16:] == ["饮食禁忌", "感兴趣的环节", "到达日期", "简介", "'=职务", "随行人数", "媒体名称"]
    wang = next(row for row in values[1:] if row[3] == "13800002222")
    assert wang[16:18] == ["清真", "红毯、晚宴"] and wang[20] == "'=SUM(A1)"


def test_a_question_with_answers_can_be_relabelled_not_removed_or_retyped(public, admin, make_event):
    event = make_event(questions=QUESTIONS)
    eid = event["event_id"]
    # No answers yet: anything goes.
    fewer = admin.patch(f"/events/{eid}", json={"questions": QUESTIONS[:2]})
    assert fewer.status_code == 200 and len(fewer.json()["questions"]) == 2
    assert _register(public, eid, answers={"diet": "无"}).status_code == 201

    def patch(questions):
        return admin.patch(f"/events/{eid}", json={"questions": questions})

    removed = patch(QUESTIONS[1:2])
    assert removed.status_code == 409 and removed.json()["error"] == "question_in_use"
    assert "diet" in removed.json()["fields"]["questions"][0]
    retyped = patch([{**QUESTIONS[0], "type": "multi"}, QUESTIONS[1]])
    assert retyped.status_code == 409 and retyped.json()["error"] == "question_in_use"
    fewer_options = patch([{**QUESTIONS[0], "options": ["无", "素食"]}, QUESTIONS[1]])
    assert fewer_options.status_code == 409
    # topics has no answers: it may go; diet may be relabelled and get more options.
    relabelled = patch([{**QUESTIONS[0], "label": "饮食要求", "options": ["无", "素食", "清真", "无麸质"]}])
    assert relabelled.status_code == 200, relabelled.text
    assert relabelled.json()["questions"][0]["label"] == "饮食要求"
    assert _register(public, eid, answers={"diet": "无麸质"}).status_code == 201
    unchanged = admin.patch(f"/events/{eid}", json={"title": "改名"})
    assert unchanged.status_code == 200 and len(unchanged.json()["questions"]) == 1


def test_erasure_clears_the_answers(public, admin, make_event, db):
    eid = make_event(questions=QUESTIONS)["event_id"]
    first = _register(public, eid, answers={"diet": "素食", "bio": "私人信息"}).json()
    assert admin.delete(f"/events/{eid}/registrations/{first['registration_id']}").status_code == 204
    stored = next(r for r in db.of_type(eid, "REG#") if r["registration_id"] == first["registration_id"])
    assert "answers" not in stored and stored["erased"] is True


def test_a_question_whose_answers_were_all_erased_may_be_removed(public, admin, make_event):
    eid = make_event(questions=QUESTIONS[:2])["event_id"]
    erased_now = _register(public, eid, answers={"diet": "素食"}).json()
    cancelled_first = _register(public, eid, answers={"diet": "无", "topics": ["红毯"]}).json()
    assert public.post(f"/tickets/{cancelled_first['ticket_token']}/cancel").status_code == 200

    def remove_diet():
        return admin.patch(f"/events/{eid}", json={"questions": QUESTIONS[1:2]})

    assert admin.delete(f"/events/{eid}/registrations/{erased_now['registration_id']}").status_code == 204
    # The cancelled registration still holds its answer (the list and the exports show it).
    assert remove_diet().json()["error"] == "question_in_use"
    assert admin.delete(f"/events/{eid}/registrations/{cancelled_first['registration_id']}").status_code == 204
    erased_twice = admin.delete(f"/events/{eid}/registrations/{cancelled_first['registration_id']}")
    assert erased_twice.status_code in (204, 404)  # a repeat takes nothing off the counters again
    removed = remove_diet()
    assert removed.status_code == 200, removed.text
    assert [q["question_id"] for q in removed.json()["questions"]] == ["topics"]
    # topics still counts as unanswered (its one answer was erased), and a new answer holds it again.
    assert _register(public, eid, answers={"topics": ["颁奖"]}).status_code == 201
    assert admin.patch(f"/events/{eid}", json={"questions": []}).json()["error"] == "question_in_use"
