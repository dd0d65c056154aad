"""SPEC §6 guest-list import through HTTP: the organisers' own files (GB18030 CSV from Excel on
Chinese Windows, UTF-8 with and without BOM, an XLSX with numeric phones), per-row errors,
duplicates, seats for the whole file, Idempotency-Key, and all-or-nothing with a crash mid-import."""
from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest

from devtools.samples import registration_body

SAMPLES = Path("/work/shared/samples") if Path("/work/shared/samples").is_dir() else Path(__file__).parent / "samples"
GB18030 = (SAMPLES / "nominees-gb18030.csv").read_bytes()
XLSX = (SAMPLES / "guests.xlsx").read_bytes()
UTF8 = GB18030.decode("gb18030").encode("utf-8")
UTF8_BOM = b"\xef\xbb\xbf" + UTF8
CSV, XLSX_TYPE = "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS, SEATS = 47, 74


def _import(admin, eid, content, content_type=CSV, query="", **headers):
    return admin.post(f"/events/{eid}/registrations/import{query}", data=content,
                      headers={"Content-Type": content_type, **headers})


@pytest.fixture
def ceremony(make_event):
    def create(**overrides):
        return make_event(capacity=100, max_party_size=3, invite_only_roles=["nominee", "family"], **overrides)["event_id"]
    return create


@pytest.mark.parametrize("content,content_type", [(GB18030, CSV), (UTF8, CSV), (UTF8_BOM, CSV), (XLSX, XLSX_TYPE)],
                         ids=["gb18030", "utf-8", "utf-8-bom", "xlsx"])
def test_the_organisers_files_import_whole(ceremony, admin, public, db, content, content_type):
    eid = ceremony()
    response = _import(admin, eid, content, content_type)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] == ROWS and body["skipped"] == []
    assert [r["row"] for r in body["registrations"]] == list(range(1, ROWS + 1))
    # The list keeps the file's order.
    listed = admin.get(f"/events/{eid}/registrations?limit=100").json()["items"]
    assert [r["registration_id"] for r in listed] == [r["registration_id"] for r in body["registrations"]]
    regs = {r["registration_id"]: r for r in db.of_type(eid, "REG#")}
    assert len(regs) == ROWS
    assert {r["status"] for r in regs.values()} == {"confirmed"} and {r["source"] for r in regs.values()} == {"import"}
    assert {r["lawful_basis"] for r in regs.values()} == {"organiser_import"}
    by_name = {r["name"]: r for r in regs.values()}
    # Phones as organisers type them (+86, 86, dashes, spaces, full-width, Excel numbers) come out plain.
    assert by_name["买买提·艾力"]["phone"] == "13908510001" and by_name["买买提·艾力"]["party_size"] == 2
    assert by_name["欧阳娜娜"]["phone"] == "13908510002" and by_name["欧阳娜娜"]["role"] == "guest"
    assert by_name["刘䶮"]["phone"] == "13908510003"  # 䶮: GB18030, not GBK
    assert by_name["郑国强"]["role"] == "nominee" and by_name["郑国强"]["phone"] == "13887366946"
    event = db.event(eid)
    assert event["seats_confirmed"] == SEATS and event["confirmed_count"] == ROWS
    assert event["role#nominee#confirmed"] == 20
    # Each ticket link works and shows the person.
    first = body["registrations"][0]
    token = first["ticket_url"].rsplit("/t/", 1)[1]
    ticket = public.get(f"/tickets/{token}").json()
    assert ticket["registration_id"] == first["registration_id"] and ticket["name"] == "郑国强"
    # The public can't register with a phone already imported.
    again = public.post(f"/events/{eid}/registrations", json=registration_body(phone="13887366946"))
    assert again.status_code == 409
    assert "registrations.import" in [e["action"] for e in admin.get(f"/events/{eid}/audit").json()["items"]]


def test_every_bad_row_reported_and_nothing_written(ceremony, admin, db):
    eid = ceremony()
    text = ("姓名,手机号,身份,人数,城市\n"
            "张三,13800138000,嘉宾,1,遵义\n"
            ",13800138001,嘉宾,1,\n"           # 2: no name
            "李四,12345,嘉宾,1,\n"              # 3: bad phone
            "王五,13800138003,厨师,1,\n"         # 4: unknown role
            "赵六,13800138004,guest,9,\n"       # 5: party too large
            "钱七,13800138005,嘉宾,两,\n"        # 6: not a number
            "孙八,+86 138-0013-8000,嘉宾,1,\n")   # 7: same phone as row 1
    response = _import(admin, eid, text.encode("utf-8"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    rows = {r["row"]: r["fields"] for r in body["rows"]}
    assert set(rows) == {2, 3, 4, 5, 6, 7}
    assert "name" in rows[2] and "phone" in rows[3] and "role" in rows[4]
    assert "party_size" in rows[5] and "party_size" in rows[6] and "phone" in rows[7]
    assert db.of_type(eid, "REG#") == [] and db.event(eid)["seats_confirmed"] == 0
    assert db.of_type(eid, "IMPORT#") == []


def test_file_level_errors(ceremony, admin):
    eid = ceremony()
    missing = _import(admin, eid, "姓名,城市\n张三,遵义\n".encode())
    assert missing.status_code == 422 and "手机号" in missing.json()["fields"]["file"][0]
    assert _import(admin, eid, b"").status_code == 422
    broken = _import(admin, eid, b"PK\x03\x04not really a workbook", XLSX_TYPE)
    assert broken.status_code == 422 and "file" in broken.json()["fields"]
    too_many = "name,phone,role\n" + "".join(f"人{i},139{i:08d},guest\n" for i in range(5001))
    response = _import(admin, eid, too_many.encode())
    assert response.status_code == 422 and "5000" in response.json()["fields"]["file"][0]
    assert _import(admin, eid, b"name,phone,role\n", "application/json").status_code == 415
    assert _import(admin, "no-such-event", UTF8).status_code == 404
    from tests.conftest import ApiSession
    assert ApiSession(admin.base_url).post(f"/events/{eid}/registrations/import", data=UTF8,
                                           headers={"Content-Type": CSV}).status_code == 401


def test_duplicates_are_errors_unless_skipped(ceremony, admin, public, db):
    eid = ceremony()
    assert public.post(f"/events/{eid}/registrations", json=registration_body(phone="13528019720")).status_code == 201
    doubled = UTF8 + "刘德华二,13528019720,媒体,1,,,,,\r\n".encode()
    refused = _import(admin, eid, doubled)
    assert refused.status_code == 422
    rows = {r["row"]: r["fields"] for r in refused.json()["rows"]}
    assert set(rows) == {41, 48} and "phone" in rows[41] and "第 41 行" in rows[48]["phone"][0]
    assert len(db.of_type(eid, "REG#")) == 1

    skipped = _import(admin, eid, doubled, query="?skip_duplicates=true")
    assert skipped.status_code == 201, skipped.text
    body = skipped.json()
    assert body["created"] == ROWS - 1
    assert body["skipped"] == [{"row": 41, "reason": "already_registered"}, {"row": 48, "reason": "duplicate_in_file"}]
    assert len(db.of_type(eid, "REG#")) == ROWS


def test_not_enough_seats_for_the_whole_file_writes_nothing(make_event, admin, db):
    eid = make_event(capacity=SEATS - 1, max_party_size=3)["event_id"]
    response = _import(admin, eid, GB18030)
    assert response.status_code == 409 and response.json()["error"] == "event_full"
    assert db.of_type(eid, "REG#") == [] and db.event(eid)["seats_confirmed"] == 0
    # Reserved seats are the imports' to take: the whole capacity is available to a file.
    eid = make_event(capacity=SEATS, max_party_size=3, reserved_seats=SEATS)["event_id"]
    assert _import(admin, eid, GB18030).status_code == 201


def test_idempotency_key_replays_the_first_reply(ceremony, admin, db):
    eid = ceremony()
    first = _import(admin, eid, XLSX, XLSX_TYPE, **{"Idempotency-Key": "import-1"})
    again = _import(admin, eid, XLSX, XLSX_TYPE, **{"Idempotency-Key": "import-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(db.of_type(eid, "REG#")) == ROWS
    other = _import(admin, eid, UTF8, **{"Idempotency-Key": "import-1"})
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"


class Crash(BaseException):
    """The function killed mid-import: not an Exception, so nothing catches it on the way out."""


def test_a_crash_mid_import_is_rolled_back_by_recovery(ceremony, admin, public, db, monkeypatch):
    from chalicelib.services import imports

    eid = ceremony()
    writes = []
    real_write = imports.write_batch

    def crashing(event_id, import_id, group, *rest):
        if len(writes) == 2:
            raise Crash()
        writes.append(len(group))
        real_write(event_id, import_id, group, *rest)

    monkeypatch.setattr(imports, "write_batch", crashing)
    monkeypatch.setattr(imports, "_rollback_quietly", lambda *args: None)  # a killed process cleans nothing
    with pytest.raises(Crash):
        imports.import_registrations(eid, UTF8, {}, None)
    written = db.of_type(eid, "REG#")
    assert 0 < len(written) < ROWS  # the crash left part of the file
    assert db.event(eid)["seats_confirmed"] == SEATS  # and every seat of it reserved
    [record] = db.of_type(eid, "IMPORT#")
    assert record["status"] == "pending"
    monkeypatch.setattr(imports, "write_batch", real_write)

    # Not stale yet: a new import of the event leaves it alone (it may still be running).
    assert imports.recover_unfinished(eid) == 0
    # The sweep, once it is stale, undoes it: no registration, guard or search entry left.
    assert imports.sweep(now=record["started_epoch"] + 121) == 1
    assert db.of_type(eid, "REG#") == [] and db.of_type(eid, "PHONE#") == [] and db.of_type(eid, "FIND#") == []
    stored = db.event(eid)
    assert stored["seats_confirmed"] == 0 and stored["confirmed_count"] == 0 and stored["role#nominee#confirmed"] == 0
    assert db.of_type(eid, "IMPORT#")[0]["status"] == "rolled_back"
    assert imports.sweep(now=record["started_epoch"] + 200) == 0  # once only
    # The same file then imports whole.
    assert _import(admin, eid, UTF8).status_code == 201
    assert db.event(eid)["seats_confirmed"] == SEATS


def test_a_phone_registered_during_the_import_rolls_it_back(ceremony, admin, public, db, monkeypatch):
    from chalicelib.services import imports

    eid = ceremony()
    real_reserve = imports._reserve

    def racing(event, record):
        real_reserve(event, record)
        # Someone registers the last row's phone after the checks, before the rows are written.
        response = public.post(f"/events/{eid}/registrations", json=registration_body(phone="13908510003"))
        assert response.status_code == 201

    monkeypatch.setattr(imports, "_reserve", racing)
    response = _import(admin, eid, UTF8)
    assert response.status_code == 422, response.text
    assert response.json()["rows"] == [{"row": 47, "fields": {"phone": ["该手机号已报名本活动"]}}]
    regs = db.of_type(eid, "REG#")
    assert len(regs) == 1 and regs[0]["source"] == "form"
    assert db.event(eid)["seats_confirmed"] == 1
    assert db.of_type(eid, "IMPORT#")[0]["status"] == "rolled_back"


def test_concurrent_imports_and_registrations_never_overbook(stack, make_event, admin, db):
    from tests.helpers import run_concurrently

    eid = make_event(capacity=SEATS + 10, max_party_size=3)["event_id"]
    files = [f"name,phone,role,party_size\n" + "".join(f"客{chr(0x4e00 + 40 * k + i)},137{k:02d}{i:06d},guest,2\n" for i in range(30))
             for k in range(3)]
    jobs = [lambda s, f=f: s.post(f"/events/{eid}/registrations/import", data=f.encode(),
                                  headers={"Content-Type": CSV, "Authorization": f"Bearer {stack.admin_token}"})
            for f in files]
    jobs += [lambda s: s.post(f"/events/{eid}/registrations", json=registration_body()) for _ in range(20)]
    responses = run_concurrently(stack, jobs, threads=8)
    statuses = Counter(r.status_code for r in responses[:3])
    assert statuses == {201: 1, 409: 2}  # 20 public seats at most leave room for exactly one file
    confirmed = [r for r in db.of_type(eid, "REG#") if r["status"] == "confirmed"]
    seats = sum(r["party_size"] for r in confirmed)
    assert seats <= SEATS + 10 and db.event(eid)["seats_confirmed"] == seats
    imported = Counter(r["import_id"] for r in confirmed if r.get("import_id"))
    assert set(imported.values()) == {30}  # each import whole or not at all


def test_award_column_names_the_nominees_award(make_event, admin, db):
    awards = [{"award_id": "xiao", "name": "十大孝星", "slots": 10}, {"award_id": "fuqi", "name": "十大恩爱夫妻", "slots": 10}]
    eid = make_event(capacity=100, max_party_size=3, awards=awards)["event_id"]
    response = _import(admin, eid, GB18030)
    assert response.status_code == 201, response.text
    nominees = [r for r in db.of_type(eid, "REG#") if r["role"] == "nominee"]
    assert len(nominees) == 20 and {r["award_id"] for r in nominees} == {"xiao", "fuqi"}
    assert not any(r.get("award_id") for r in db.of_type(eid, "REG#") if r["role"] != "nominee")
    wrong = _import(admin, make_event(capacity=100, awards=awards)["event_id"],
                    "姓名,手机号,身份,奖项\n张三,13800138000,候选人,最佳新人\n李四,13800138001,候选人,\n".encode())
    assert wrong.status_code == 422
    assert [(r["row"], sorted(r["fields"])) for r in wrong.json()["rows"]] == [(1, ["award_id"]), (2, ["award_id"])]


SEATED = ("姓名,手机号,身份,座位\r\n"
          "郑国强,13887366946,候选人,A区1排1座\r\n"
          "王秀兰,13887366947,候选人,A区1排2座\r\n"
          "李建华,13887366948,嘉宾,\r\n").encode("utf-8")


def test_seats_in_the_file_are_held_like_a_patch_and_tickets_are_texted(ceremony, admin, public, db):
    """The 座位 column (SPEC §6/§9): written with its seat lock in the row's batch; each imported
    row also queues its ticket text (SPEC §7) in the same transaction."""
    eid = ceremony()
    response = _import(admin, eid, SEATED)
    assert response.status_code == 201, response.text
    ids = {r["row"]: r["registration_id"] for r in response.json()["registrations"]}
    seats = {r["registration_id"]: r["seat"] for r in admin.get(f"/events/{eid}/registrations").json()["items"]}
    assert seats == {ids[1]: "A区1排1座", ids[2]: "A区1排2座", ids[3]: None}
    assert {item["registration_id"] for item in db.of_type(eid, "SEAT#")} == {ids[1], ids[2]}
    # A PATCH can't take an imported seat.
    taken = admin.patch(f"/events/{eid}/registrations/{ids[3]}", json={"seat": "A区1排1座"})
    assert taken.status_code == 409 and taken.json()["held_by"] == ids[1]
    texts = admin.get(f"/events/{eid}/messages").json()["items"]
    assert sorted(t["registration_id"] for t in texts if t["kind"] == "ticket") == sorted(ids.values())


def test_a_seat_twice_in_the_file_or_already_held_writes_nothing(ceremony, admin, public, db):
    eid = ceremony()
    twice = SEATED.replace("A区1排2座".encode(), "A区1排1座".encode())
    refused = _import(admin, eid, twice)
    assert refused.status_code == 422, refused.text
    assert refused.json()["rows"] == [{"row": 2, "fields": {"seat": ["与第 1 行的座位重复"]}}]

    holder = public.post(f"/events/{eid}/registrations", json=registration_body(phone="13900000001"))
    assert holder.status_code == 201, holder.text
    held = admin.patch(f"/events/{eid}/registrations/{holder.json()['registration_id']}", json={"seat": "A区1排2座"})
    assert held.status_code == 200, held.text
    clash = _import(admin, eid, SEATED)
    assert clash.status_code == 422, clash.text
    assert clash.json()["rows"] == [{"row": 2, "fields": {"seat": ["该座位已被其他报名占用"]}}]
    # All or nothing: only the holder's registration, seat lock and ticket text are left.
    assert [r["registration_id"] for r in db.of_type(eid, "REG#")] == [holder.json()["registration_id"]]
    assert len(db.of_type(eid, "SEAT#")) == 1 and len(db.of_type(eid, "MSG#")) == 1
    assert db.event(eid)["seats_confirmed"] == 1
