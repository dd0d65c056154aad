"""Item photos (SPEC §8): presigned S3 POSTs, the confirmation, photo URLs in replies, auth, erasure.

Against the embedded S3 over HTTP (moto, served by devtools/dynamodb_server.py like DynamoDB).
moto accepts a POST whatever its policy says (no check of the signature, the content-length-range
or the Content-Type condition: verified below), so what S3 would refuse is tested two ways: the
policy document itself is decoded and its conditions checked, and the confirmation refuses (and
deletes) an object that breaks them, as a second line that holds for any store.
"""
from __future__ import annotations

import base64
import json
import os
import re
import time
from datetime import datetime, timezone

import boto3
import pytest
import requests
from botocore.config import Config

from devtools.samples import registration_body
from tests.helpers import tiny_png

ITEMS = [{"name": "红军水壶", "intent": "exhibit"}, {"name": "粮票一套", "intent": "donate"}]
MAX = 5 * 1024 * 1024


@pytest.fixture
def exchange(make_event):
    return make_event(kind="collector_exchange", capacity=20, title="红色收藏交流会")


@pytest.fixture
def s3(stack):
    return boto3.client("s3", endpoint_url=stack.dynamodb_endpoint, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local",
                        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))


@pytest.fixture
def bucket():
    return os.environ["PHOTO_BUCKET"]


def _register(public, eid, **overrides):
    reply = public.post(f"/events/{eid}/registrations",
                        json=registration_body("collector_exchange", **{"items": ITEMS, **overrides}))
    assert reply.status_code == 201, reply.text
    return reply.json()


def _staff(admin, eid):
    reply = admin.post(f"/events/{eid}/staff-tokens", json={"label": "接收台"})
    assert reply.status_code == 201
    return reply.json()["token"]


def _presign(session, eid, item_id, content_type="image/png", **extra):
    return session.post(f"/events/{eid}/items/{item_id}/photo-upload", json={"content_type": content_type, **extra})


def _upload(grant, content, content_type=None, **field_changes):
    """What the desk page does: the fields as given, then the file, multipart, straight to S3."""
    form = {**grant["fields"], **field_changes}
    return requests.post(grant["url"], data=form, timeout=30,
                         files={"file": ("photo", content, content_type or grant["content_type"])})


def _keys(s3, bucket, prefix):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def test_presign_reply_shape_and_the_policy_s3_enforces(stack, admin, public, exchange, bucket):
    eid = exchange["event_id"]
    _register(public, eid)
    staff = stack.session(_staff(admin, eid))
    reply = _presign(staff, eid, "C-0001", size=1234)
    assert reply.status_code == 200, reply.text
    assert reply.headers["Cache-Control"] == "no-store"
    grant = reply.json()
    assert set(grant) == {"url", "fields", "key", "content_type", "max_bytes", "expires_in"}
    assert grant["content_type"] == "image/png" and grant["max_bytes"] == MAX and grant["expires_in"] == 600
    assert re.fullmatch(rf"uploads/{eid}/C-0001/[A-Za-z0-9_-]{{22}}\.png", grant["key"])
    assert grant["url"] == f"{stack.dynamodb_endpoint}/{bucket}"  # the embedded S3, path style
    fields = grant["fields"]
    assert fields["key"] == grant["key"] and fields["Content-Type"] == "image/png"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256" and re.fullmatch(r"[0-9a-f]{64}", fields["x-amz-signature"])
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    # What S3 checks on the POST: exactly this key and bucket, this type, 1 byte .. 5 MiB.
    assert ["content-length-range", 1, MAX] in conditions
    assert {"Content-Type": "image/png"} in conditions and {"key": grant["key"]} in conditions
    assert {"bucket": bucket} in conditions and {"success_action_status": "201"} in conditions
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)  # no open-ended field
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert 590 <= expires.timestamp() - time.time() <= 605
    # A 6 MB file or another type is outside this policy: S3 answers 400 EntityTooLarge / AccessDenied.
    length_range = next(c for c in conditions if isinstance(c, list) and c[0] == "content-length-range")
    assert not length_range[1] <= 6 * 1024 * 1024 <= length_range[2]
    jpeg = _presign(admin, eid, "C-0001", content_type="image/jpeg").json()
    assert jpeg["key"].endswith(".jpg") and {"Content-Type": "image/jpeg"} in json.loads(
        base64.b64decode(jpeg["fields"]["policy"]))["conditions"]
    assert jpeg["key"] != grant["key"]  # a fresh key each time


def test_requests_refused_before_any_upload(admin, public, exchange):
    eid = exchange["event_id"]
    _register(public, eid)
    gif = _presign(admin, eid, "C-0001", content_type="image/gif")
    assert gif.status_code == 422 and gif.json()["fields"]["content_type"] == ["只接受 JPEG 或 PNG 格式的照片"]
    big = _presign(admin, eid, "C-0001", size=6 * 1024 * 1024)
    assert big.status_code == 422 and big.json()["fields"]["size"] == ["照片不能超过 5 MB"]
    assert _presign(admin, eid, "C-0099").status_code == 404
    assert admin.post(f"/events/{eid}/items/C-0001/photo-upload", json={}).status_code == 422
    assert admin.post(f"/events/{eid}/items/C-0001/photo-upload", json={"content_type": "image/png",
                                                                         "x": 1}).status_code == 422


def test_upload_confirm_show_and_replace(stack, admin, public, exchange, s3, bucket, db):
    eid = exchange["event_id"]
    ticket = _register(public, eid)
    staff = stack.session(_staff(admin, eid))
    png = tiny_png()
    grant = _presign(staff, eid, "C-0001").json()
    sent = _upload(grant, png)
    assert sent.status_code == 201, sent.text
    confirmed = staff.post(f"/events/{eid}/items/C-0001/photo", json={"key": grant["key"]})
    assert confirmed.status_code == 200, confirmed.text
    item = confirmed.json()
    assert item["item_id"] == "C-0001" and item["photo_url"] and "X-Amz-Signature=" in item["photo_url"]
    assert "photo_key" not in item
    shown = requests.get(item["photo_url"], timeout=30)
    assert shown.status_code == 200 and shown.content == png and shown.headers["Content-Type"] == "image/png"
    kept = "photos/" + grant["key"][len("uploads/"):]
    assert _keys(s3, bucket, f"photos/{eid}/C-0001/") == [kept]
    assert _keys(s3, bucket, f"uploads/{eid}/C-0001/") == []  # the upload itself is gone
    record = next(r for r in db.of_type(eid, "ITEM#") if r["item_id"] == "C-0001")
    assert record["photo_key"] == kept
    # Confirming again (a retried request) is fine and changes nothing.
    again = staff.post(f"/events/{eid}/items/C-0001/photo", json={"key": grant["key"]})
    assert again.status_code == 200 and _keys(s3, bucket, f"photos/{eid}/C-0001/") == [kept]
    # Staff and the admin see it wherever items are shown; items without a photo say null.
    desk = staff.post(f"/events/{eid}/desk/lookup", json={"code": ticket["ticket_token"]}).json()
    assert [bool(i["photo_url"]) for i in desk["items"]] == [True, False]
    listed = admin.get(f"/events/{eid}/items").json()["items"]
    assert [bool(i["photo_url"]) for i in listed] == [True, False]
    assert requests.get(listed[0]["photo_url"], timeout=30).content == png
    assert admin.get(f"/events/{eid}/items/C-0002").json()["photo_url"] is None
    moved = admin.post(f"/events/{eid}/items/C-0001/transitions", json={"to": "received"}).json()
    assert moved["photo_url"]
    # A new photo replaces the old one: the old object goes.
    second = _presign(admin, eid, "C-0001", content_type="image/jpeg").json()
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 300 + b"\xff\xd9"
    assert _upload(second, jpeg).status_code == 201
    replaced = admin.post(f"/events/{eid}/items/C-0001/photo", json={"key": second["key"]})
    assert replaced.status_code == 200
    assert requests.get(replaced.json()["photo_url"], timeout=30).content == jpeg
    assert _keys(s3, bucket, f"photos/{eid}/C-0001/") == ["photos/" + second["key"][len("uploads/"):]]
    audit = admin.get(f"/events/{eid}/audit").json()["items"]
    photos = [e for e in audit if e["action"] == "item.photo"]
    assert [(e["actor"], e["target"]) for e in photos] == [("admin", "C-0001"), ("staff:接收台", "C-0001")]
    assert all(e.get("detail") is None for e in photos)


def test_confirm_refuses_what_isnt_a_good_upload(admin, public, exchange, s3, bucket):
    eid = exchange["event_id"]
    _register(public, eid)
    grant = _presign(admin, eid, "C-0001").json()
    # Never uploaded (or S3 refused it): 409 with a Chinese message.
    missing = admin.post(f"/events/{eid}/items/C-0001/photo", json={"key": grant["key"]})
    assert missing.status_code == 409
    assert missing.json() == {"error": "photo_not_uploaded",
                              "message": "照片尚未上传成功（或上传已过期），请重新选择照片上传"}
    # A key that isn't this item's upload target.
    other = _presign(admin, eid, "C-0002").json()
    for key in (other["key"], "photos/" + grant["key"][len("uploads/"):], "../etc/passwd", grant["key"] + "x"):
        wrong = admin.post(f"/events/{eid}/items/C-0001/photo", json={"key": key})
        assert wrong.status_code == 422 and wrong.json()["fields"] == {"key": ["不是本藏品的照片上传地址"]}
    # moto takes what S3 would refuse (no policy checks: these POSTs succeed) ...
    too_big = _presign(admin, eid, "C-0001").json()
    assert _upload(too_big, b"\x89PNG\r\n\x1a\n" + b"\x00" * (6 * 1024 * 1024)).status_code == 201
    as_html = _presign(admin, eid, "C-0001").json()
    assert _upload(as_html, tiny_png(), "text/html", **{"Content-Type": "text/html"}).status_code == 201
    fake_png = _presign(admin, eid, "C-0001").json()
    assert _upload(fake_png, b"<script>alert(1)</script>").status_code == 201
    # ... and the confirmation refuses each, says why in Chinese, and deletes the object.
    for grant_, message in ((too_big, "照片不能超过 5 MB"), (as_html, "只接受 JPEG 或 PNG 格式的照片"),
                            (fake_png, "只接受 JPEG 或 PNG 格式的照片")):
        refused = admin.post(f"/events/{eid}/items/C-0001/photo", json={"key": grant_["key"]})
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] == "photo_rejected" and refused.json()["message"] == message
        assert refused.json()["fields"] == {"photo": [message]}
    assert _keys(s3, bucket, f"uploads/{eid}/") == [] and _keys(s3, bucket, f"photos/{eid}/") == []
    assert admin.get(f"/events/{eid}/items/C-0001").json()["photo_url"] is None


def test_only_staff_of_the_event_and_the_admin(stack, admin, public, exchange, make_event):
    eid = exchange["event_id"]
    _register(public, eid)
    other = make_event(kind="collector_exchange", capacity=5)
    foreign = stack.session(_staff(admin, other["event_id"]))
    body = {"content_type": "image/png"}
    for path in (f"/events/{eid}/items/C-0001/photo-upload", f"/events/{eid}/items/C-0001/photo"):
        assert public.post(path, json=body).status_code == 401
        assert stack.session("st_" + "x" * 40).post(path, json=body).status_code == 401
        refused = foreign.post(path, json=body)
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert stack.session(_staff(admin, eid)).post(f"/events/{eid}/items/C-0001/photo-upload",
                                                  json=body).status_code == 200


def test_erasure_deletes_the_photos(stack, admin, public, exchange, s3, bucket, db):
    eid = exchange["event_id"]
    ticket = _register(public, eid, name="钱七")
    kept = _register(public, eid, name="孙八")  # another collector's photo stays
    admin.post(f"/events/{eid}/items/C-0001/transitions", json={"to": "received"})
    for item_id in ("C-0001", "C-0002", "C-0003"):  # received, declared, and someone else's
        grant = _presign(admin, eid, item_id).json()
        assert _upload(grant, tiny_png()).status_code == 201
        assert admin.post(f"/events/{eid}/items/{item_id}/photo", json={"key": grant["key"]}).status_code == 200
    pending = _presign(admin, eid, "C-0001").json()  # uploaded, never confirmed
    assert _upload(pending, tiny_png()).status_code == 201
    late = _presign(admin, eid, "C-0001").json()  # granted before the erasure, sent after it
    assert len(_keys(s3, bucket, f"photos/{eid}/")) == 3 and len(_keys(s3, bucket, f"uploads/{eid}/")) == 1

    assert admin.delete(f"/events/{eid}/registrations/{ticket['registration_id']}").status_code == 204
    assert _keys(s3, bucket, f"photos/{eid}/C-0001/") == _keys(s3, bucket, f"uploads/{eid}/C-0001/") == []
    assert _keys(s3, bucket, f"photos/{eid}/C-0002/") == []
    assert len(_keys(s3, bucket, f"photos/{eid}/C-0003/")) == 1
    record = next(r for r in db.of_type(eid, "ITEM#") if r["item_id"] == "C-0001")
    assert record["erased"] and "photo_key" not in record
    assert admin.get(f"/events/{eid}/items/C-0001").json()["photo_url"] is None
    # No new photo for an erased collector's item: neither a grant nor a late confirmation.
    assert _presign(admin, eid, "C-0001").json()["error"] == "photo_not_allowed"
    assert _upload(late, tiny_png()).status_code == 201
    refused = admin.post(f"/events/{eid}/items/C-0001/photo", json={"key": late["key"]})
    assert refused.status_code == 409 and refused.json()["error"] == "photo_not_allowed"
    assert _keys(s3, bucket, f"uploads/{eid}/C-0001/") == []  # and the late upload is deleted
    late_again = _presign(admin, eid, "C-0003").json()  # (an upload the erasure can't know of: by lifecycle)
    assert _upload(late_again, tiny_png()).status_code == 201
    s3.put_object(Bucket=bucket, Key=f"uploads/{eid}/C-0001/{'z' * 22}.png", Body=tiny_png())
    # Erasing again is fine and still reaches the item's objects (an earlier erasure may have stopped short).
    assert admin.delete(f"/events/{eid}/registrations/{ticket['registration_id']}").status_code == 204
    assert _keys(s3, bucket, f"uploads/{eid}/C-0001/") == []
    assert len(_keys(s3, bucket, f"uploads/{eid}/C-0003/")) == 1  # another collector's: untouched


def test_pages_may_reach_the_photo_origin_and_nothing_more(stack, public, exchange):
    eid = exchange["event_id"]
    origin = stack.dynamodb_endpoint  # the embedded S3's origin (deployed: https://<bucket>.s3.<region>.<suffix>)
    for path in (f"/desk/{eid}", f"/admin/events/{eid}/items", f"/e/{eid}"):
        policy = public.get(path).headers["Content-Security-Policy"]
        assert f"img-src 'self' data: blob: {origin};" in policy
        assert f"connect-src 'self' {origin};" in policy
        assert "*" not in policy and "form-action 'self'" in policy


def _stream_remove(table, pk, sk):
    """A REMOVE record as the table's stream (NEW_IMAGE view) delivers a TTL deletion: keys only."""
    return {"eventID": "1", "eventName": "REMOVE", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
            "eventSourceARN": f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}/stream/2026-11-29T00:00:00.000",
            "dynamodb": {"ApproximateCreationDateTime": 1764374400, "Keys": {"pk": {"S": pk}, "sk": {"S": sk}},
                         "SequenceNumber": "100", "SizeBytes": 40, "StreamViewType": "NEW_IMAGE"}}


def test_retention_deleting_an_item_record_takes_its_photos(stack, admin, public, exchange, s3, bucket, db):
    """Retention is DynamoDB's TTL: it deletes item records `retention_days` after the event. Deployed,
    the table's stream hands those REMOVE records (filtered to ITEM# keys in infra/) to
    app.forget_item_photos, which deletes the item's objects; here the handler is called with the
    records the stream would deliver, after the item record is deleted as TTL would."""
    from app import forget_item_photos

    eid = exchange["event_id"]
    _register(public, eid)
    for item_id in ("C-0001", "C-0002"):
        grant = _presign(admin, eid, item_id).json()
        assert _upload(grant, tiny_png()).status_code == 201
        assert admin.post(f"/events/{eid}/items/{item_id}/photo", json={"key": grant["key"]}).status_code == 200
    stray = _presign(admin, eid, "C-0001").json()  # an unconfirmed upload of the same item
    assert _upload(stray, tiny_png()).status_code == 201
    db.client.delete_item(TableName=stack.table_name, Key={"pk": {"S": f"EVENT#{eid}"}, "sk": {"S": "ITEM#00000001"}})
    forget_item_photos({"Records": [
        _stream_remove(stack.table_name, f"EVENT#{eid}", "ITEM#00000001"),
        _stream_remove(stack.table_name, f"EVENT#{eid}", "PHONE#abc"),  # not an item: ignored
        _stream_remove(stack.table_name, "IDEM#x", "IDEM"),
    ]}, None)
    assert _keys(s3, bucket, f"photos/{eid}/C-0001/") == _keys(s3, bucket, f"uploads/{eid}/C-0001/") == []
    assert len(_keys(s3, bucket, f"photos/{eid}/C-0002/")) == 1  # its record is still there: kept
    # A collector withdrawing a declared item deletes its record too: the same REMOVE on the stream.
    db.client.delete_item(TableName=stack.table_name, Key={"pk": {"S": f"EVENT#{eid}"}, "sk": {"S": "ITEM#00000002"}})
    forget_item_photos({"Records": [_stream_remove(stack.table_name, f"EVENT#{eid}", "ITEM#00000002")]}, None)
    assert _keys(s3, bucket, f"photos/{eid}/") == []


def test_the_collector_adds_a_photo_from_the_ticket(stack, admin, public, exchange, s3, bucket, db):
    """From the ticket (its token is the credential), for their own declared items, until the event
    starts; the desk's photo of a received item is the desk's to change."""
    eid = exchange["event_id"]
    ticket = _register(public, eid)
    other = _register(public, eid)  # C-0003, C-0004: someone else's
    token = ticket["ticket_token"]
    grant = public.post(f"/tickets/{token}/items/C-0002/photo-upload", json={"content_type": "image/jpeg"})
    assert grant.status_code == 200 and grant.json()["key"].startswith(f"uploads/{eid}/C-0002/")
    jpeg = b"\xff\xd8\xff\xe0" + b"\x10" * 500 + b"\xff\xd9"
    assert _upload(grant.json(), jpeg).status_code == 201
    confirmed = public.post(f"/tickets/{token}/items/C-0002/photo", json={"key": grant.json()["key"]})
    assert confirmed.status_code == 200, confirmed.text
    assert set(confirmed.json()) == {"item_id", "name", "category", "era", "intent", "state", "photo_url"}
    assert requests.get(confirmed.json()["photo_url"], timeout=30).content == jpeg
    listed = public.get(f"/tickets/{token}").json()["items"]
    assert [bool(i["photo_url"]) for i in listed] == [False, True]
    assert admin.get(f"/events/{eid}/items/C-0002").json()["photo_url"]  # the desk sees it too
    audit = admin.get(f"/events/{eid}/audit").json()["items"]
    assert [(e["actor"], e["target"]) for e in audit if e["action"] == "item.photo"] == [("collector", "C-0002")]
    # Not someone else's item, not with a bad token, not once the desk has received it.
    assert public.post(f"/tickets/{token}/items/C-0003/photo-upload", json={"content_type": "image/png"}).status_code == 404
    assert public.post(f"/tickets/{other['ticket_token']}/items/C-0002/photo",
                       json={"key": grant.json()["key"]}).status_code == 404
    assert public.post(f"/tickets/{token[:-4]}AAAA/items/C-0001/photo-upload",
                       json={"content_type": "image/png"}).status_code == 404
    assert admin.post(f"/events/{eid}/items/C-0001/transitions", json={"to": "received"}).status_code == 200
    received = public.post(f"/tickets/{token}/items/C-0001/photo-upload", json={"content_type": "image/png"})
    assert received.status_code == 409 and received.json() == {
        "error": "photo_not_allowed", "message": "该藏品已接收，照片请到接收台更换"}
    # A grant taken while declared, confirmed after the desk received the item: refused, nothing kept.
    early = public.post(f"/tickets/{token}/items/C-0002/photo-upload", json={"content_type": "image/png"}).json()
    assert admin.post(f"/events/{eid}/items/C-0002/transitions", json={"to": "received"}).status_code == 200
    assert _upload(early, tiny_png()).status_code == 201
    late = public.post(f"/tickets/{token}/items/C-0002/photo", json={"key": early["key"]})
    assert late.status_code == 409 and late.json()["error"] == "photo_not_allowed"
    assert len(_keys(s3, bucket, f"photos/{eid}/C-0002/")) == 1  # the earlier photo stays
    # After the event has started the list (and its photos) are locked.
    db.set_event_fields(eid, starts_at="2020-01-01T10:00:00+08:00")
    locked = public.post(f"/tickets/{other['ticket_token']}/items/C-0003/photo-upload", json={"content_type": "image/png"})
    assert (locked.status_code, locked.json()["error"]) == (409, "items_locked")
