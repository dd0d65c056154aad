"""Item photos (SPEC §8): the rules (keys, types, sizes) and where photo URLs point when deployed."""
from __future__ import annotations

import os

import pytest

from chalicelib.domain import photos


def test_keys_belong_to_one_item():
    key = photos.upload_key("expo-2026", "C-0007", "a" * 22, "image/png")
    assert key == f"uploads/expo-2026/C-0007/{'a' * 22}.png"
    assert photos.is_upload_key_of(key, "expo-2026", "C-0007")
    assert photos.photo_key_of(key) == f"photos/expo-2026/C-0007/{'a' * 22}.png"
    assert photos.upload_key("expo-2026", "C-0007", "b" * 22, "image/jpeg").endswith(".jpg")
    for wrong in (key.replace("C-0007", "C-0008"), key.replace("expo-2026", "expo-2027"),
                  photos.photo_key_of(key), key + ".png", key.replace(".png", ".gif"), "uploads/expo-2026/C-0007/../x.png",
                  f"uploads/expo-2026/C-0007/{'a' * 8}.png", ""):
        assert not photos.is_upload_key_of(wrong, "expo-2026", "C-0007"), wrong


PNG, JPEG = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0"


@pytest.mark.parametrize(("size", "stored", "head", "key", "why"), [
    (100, "image/png", PNG, "k.png", None),
    (100, "image/jpeg", JPEG, "k.jpg", None),
    (photos.PHOTO_MAX_BYTES, "image/png", PNG, "k.png", None),
    (photos.PHOTO_MAX_BYTES + 1, "image/png", PNG, "k.png", "照片不能超过 5 MB"),
    (0, "image/png", b"", "k.png", "照片文件是空的"),
    (100, "text/html", PNG, "k.png", "只接受 JPEG 或 PNG 格式的照片"),
    (100, "image/png", b"<html>", "k.png", "只接受 JPEG 或 PNG 格式的照片"),
    (100, "image/png", JPEG, "k.png", "只接受 JPEG 或 PNG 格式的照片"),  # type and bytes must agree
    (100, "image/jpeg", JPEG, "k.png", "只接受 JPEG 或 PNG 格式的照片"),  # and the key's extension
])
def test_what_an_uploaded_object_must_be(size, stored, head, key, why):
    assert photos.refusal(size, stored, head, key) == why


@pytest.fixture
def deployed(monkeypatch):
    from devtools.local_env import reset_app_caches

    for name in ("DYNAMODB_ENDPOINT", "S3_ENDPOINT", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("PHOTO_BUCKET", "baoming-dev-photobucket-1a2b3c")

    def in_region(region):
        monkeypatch.setenv("AWS_REGION", region)
        reset_app_caches()

    yield in_region
    monkeypatch.undo()
    reset_app_caches()


@pytest.mark.parametrize(("region", "origin"), [
    ("ap-east-1", "https://baoming-dev-photobucket-1a2b3c.s3.ap-east-1.amazonaws.com"),
    ("us-east-1", "https://baoming-dev-photobucket-1a2b3c.s3.us-east-1.amazonaws.com"),
    ("cn-north-1", "https://baoming-dev-photobucket-1a2b3c.s3.cn-north-1.amazonaws.com.cn"),
])
def test_deployed_urls_are_the_bucket_origin_the_csp_names(deployed, region, origin):
    """The POST and the GET URLs are signed for the bucket's own regional host (no redirect, no
    other bucket), which is exactly the origin pages' CSP allows."""
    from chalicelib.config import settings
    from chalicelib.storage import photos as photo_store
    from chalicelib.web.http import page_security

    deployed(region)
    assert settings().photo_origin == origin
    post = photo_store.presign_post("uploads/e-1/C-0001/x.png", "image/png", 5, 60)
    assert post["url"] == origin + "/"
    assert photo_store.view_url("photos/e-1/C-0001/x.png", 60).startswith(origin + "/photos/e-1/C-0001/x.png?")
    policy = page_security()["Content-Security-Policy"]
    assert f"img-src 'self' data: blob: {origin};" in policy and f"connect-src 'self' {origin};" in policy
    assert os.environ["AWS_REGION"] == region


@pytest.mark.parametrize("region", ["ap-east-1", "cn-north-1"])
def test_photo_urls_are_botocores_own(deployed, monkeypatch, region):
    """view_url signs with botocore's S3SigV4QueryAuth directly (a console page signs one URL per
    photo; the client's request pipeline costs 1.5–3x more): the URL is exactly generate_presigned_url's,
    with Lambda's session token too."""
    from chalicelib.storage import aws
    from chalicelib.storage import photos as photo_store

    monkeypatch.setenv("AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEXAMPLE/+=")
    deployed(region)
    key = "photos/expo-2026/C-0012/" + "Ab_-" * 5 + "xy.jpg"
    for _ in range(5):  # both within the same second (X-Amz-Date), else try again
        ours = photo_store.view_url(key, 600)
        theirs = aws.photo_client().generate_presigned_url(
            "get_object", Params={"Bucket": "baoming-dev-photobucket-1a2b3c", "Key": key}, ExpiresIn=600)
        if ours.split("X-Amz-Date=")[1][:15] == theirs.split("X-Amz-Date=")[1][:15]:
            break
    assert ours == theirs and "X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2F%2B%3D" in ours


def test_local_photo_urls_are_botocores_own_too(monkeypatch):
    from devtools.local_env import reset_app_caches

    monkeypatch.setenv("S3_ENDPOINT", "http://127.0.0.1:8001")
    monkeypatch.setenv("PHOTO_BUCKET", "baoming-local-photos")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    reset_app_caches()
    try:
        from chalicelib.storage import aws
        from chalicelib.storage import photos as photo_store

        key = "photos/demo-exchange/C-0001/" + "z" * 22 + ".png"
        for _ in range(5):
            ours = photo_store.view_url(key, 600)
            theirs = aws.photo_client().generate_presigned_url(
                "get_object", Params={"Bucket": "baoming-local-photos", "Key": key}, ExpiresIn=600)
            if ours.split("X-Amz-Date=")[1][:15] == theirs.split("X-Amz-Date=")[1][:15]:
                break
        assert ours == theirs and ours.startswith("http://127.0.0.1:8001/baoming-local-photos/photos/")
    finally:
        monkeypatch.undo()
        reset_app_caches()
