"""Retention follows the event: an edit of its end or retention re-stamps the expiry of every
personal item, audit entry and gate link of the event, page by page, resuming where it stopped."""
from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.services import retention
from chalicelib.storage import retention as jobs
from devtools.samples import registration_body


def epoch(text: str, days: int = 0) -> int:
    return int((datetime.fromisoformat(text) + timedelta(days=days)).timestamp())


def expiries(db, eid):
    return {item["sk"]: item.get("expires_at") for item in db.partition(eid)}


def test_an_edit_of_the_end_restamps_everything_of_the_event(admin, public, make_event, db, stack):
    event = make_event(capacity=2, max_party_size=1, retention_days=30)
    eid = event["event_id"]
    for _ in range(4):  # two confirmed, two waiting: registrations, guards, waitlist and search entries
        assert public.post(f"/events/{eid}/registrations", json=registration_body()).status_code == 201
    link = admin.post(f"/events/{eid}/staff-tokens", json={"label": "东门"}).json()
    new_end = "2027-04-01T21:00:00+08:00"
    assert admin.patch(f"/events/{eid}", json={"ends_at": new_end, "retention_days": 60}).status_code == 200
    while retention.run_pending(seconds=30):
        pass
    personal, staff = epoch(new_end, 60), epoch(new_end, 1)
    stamped = expiries(db, eid)
    kinds = {sk.split("#")[0] for sk in stamped if sk != "EVENT"}
    assert kinds == {"REG", "PHONE", "WAIT", "FIND", "GATE", "MSG"}  # MSG: the ticket texts (SPEC §7)
    for sk, expires_at in stamped.items():
        if sk == "EVENT":
            assert expires_at is None
        else:
            assert expires_at == (staff if sk.startswith("GATE#") else personal), sk
    # the gate link's lookup item (what the authorizer reads) moved too, and still works
    assert stack.session(link["token"]).get(f"/events/{eid}/stats").status_code == 200
    gate = next(item for item in db.partition(eid) if item["sk"] == f"GATE#{link['token_id']}")
    lookup = db.client.get_item(TableName=db.table, ConsistentRead=True,
                                Key={"pk": {"S": f"STAFF#{gate['token_hash']}"}, "sk": {"S": "STAFF"}})["Item"]
    assert int(lookup["expires_at"]["N"]) == staff
    audit = db.client.query(TableName=db.table, KeyConditionExpression="pk = :pk",
                            ExpressionAttributeValues={":pk": {"S": f"AUDIT#{eid}"}})["Items"]
    assert audit and all(int(entry["expires_at"]["N"]) == personal for entry in audit)
    assert not [job for job in jobs.pending_jobs() if job.event_id == eid]


def test_other_edits_queue_no_job(admin, make_event):
    event = make_event()
    admin.patch(f"/events/{event['event_id']}", json={"title": "只改标题"})
    assert not [job for job in jobs.pending_jobs() if job.event_id == event["event_id"]]


def test_a_job_resumes_page_by_page_and_a_newer_edit_restarts_it(admin, public, make_event, db, monkeypatch):
    monkeypatch.setattr(jobs, "PAGE", 3)
    event = make_event(capacity=10)
    eid = event["event_id"]
    for _ in range(5):
        public.post(f"/events/{eid}/registrations", json=registration_body())
    admin.patch(f"/events/{eid}", json={"retention_days": 10})
    job = next(job for job in jobs.pending_jobs() if job.event_id == eid)
    following = jobs.work_page(job)
    assert following is not None and following.cursor and jobs.save_progress(following)
    resumed = next(job for job in jobs.pending_jobs() if job.event_id == eid)
    assert resumed.cursor == following.cursor  # a later run picks up where this one stopped
    admin.patch(f"/events/{eid}", json={"retention_days": 20})  # a newer edit restarts the job
    assert not jobs.save_progress(jobs.work_page(resumed))
    while retention.run_pending(seconds=30):
        pass
    expected = epoch(event["ends_at"], 20)
    assert {value for sk, value in expiries(db, eid).items() if sk != "EVENT"} == {expected}
