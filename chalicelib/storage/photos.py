"""Item photos in S3 (SPEC §8): presigned POSTs to `uploads/`, checks of what arrived, the copy
to `photos/`, presigned GETs, deletions; and the item record's `photo_key` (one conditional write).
Only this module talks to the photo bucket."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.domain.errors import ItemChanged
from chalicelib.domain.items import Item, item_id_of
from chalicelib.domain.photos import PHOTOS, UPLOADS, item_prefix
from chalicelib.storage import aws, dynamo
from chalicelib.storage import items as item_store
from chalicelib.storage.dynamo import from_dynamo


def _bucket() -> str:
    return settings().photo_bucket


def presign_post(key: str, content_type: str, max_bytes: int, seconds: int) -> dict[str, Any]:
    """A POST policy for exactly this key and type, 1 byte to `max_bytes`: S3 refuses anything else.
    Signing is local (no request); the upload is authorised as this function's role."""
    post: dict[str, Any] = aws.photo_client().generate_presigned_post(
        _bucket(),
        key,
        Fields={"Content-Type": content_type, "success_action_status": "201"},
        Conditions=[
            ["content-length-range", 1, max_bytes],
            {"Content-Type": content_type},
            {"success_action_status": "201"},
        ],
        ExpiresIn=seconds,
    )
    return post


def head(key: str) -> tuple[int, str | None] | None:
    """(size, content type) of an object, or None when there is none."""
    try:
        found = aws.photo_client().head_object(Bucket=_bucket(), Key=key)
    except ClientError as error:
        # 404, or 403 where the role may list only the photo prefixes (S3 then hides a missing key)
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "403", "AccessDenied"):
            return None
        raise
    return int(found.get("ContentLength", 0)), found.get("ContentType")


def first_bytes(key: str, count: int) -> bytes:
    found = aws.photo_client().get_object(Bucket=_bucket(), Key=key, Range=f"bytes=0-{count - 1}")
    body: bytes = found["Body"].read()
    return body


def copy(source: str, target: str, content_type: str) -> None:
    """A server-side copy (the bytes stay in S3)."""
    aws.photo_client().copy_object(
        Bucket=_bucket(),
        Key=target,
        CopySource={"Bucket": _bucket(), "Key": source},
        ContentType=content_type,
        MetadataDirective="REPLACE",
    )


def delete(*keys: str) -> None:
    wanted = [{"Key": key} for key in keys if key]
    if wanted:
        aws.photo_client().delete_objects(Bucket=_bucket(), Delete={"Objects": wanted, "Quiet": True})


def delete_item_photos(event_id: str, item_id: str) -> int:
    """Every object of an item (its photo, old or unconfirmed uploads); returns how many went."""
    s3 = aws.photo_client()
    removed = 0
    for area in (PHOTOS, UPLOADS):
        kwargs: dict[str, Any] = {"Bucket": _bucket(), "Prefix": item_prefix(area, event_id, item_id)}
        while True:
            page = s3.list_objects_v2(**kwargs)
            keys = [entry["Key"] for entry in page.get("Contents", [])]
            delete(*keys)
            removed += len(keys)
            if not page.get("IsTruncated"):
                break
            kwargs["ContinuationToken"] = page["NextContinuationToken"]
    return removed


def view_url(key: str, seconds: int) -> str:
    """A presigned GET of the photo (local signing, no request): botocore's own SigV4 query signer
    on the URL `generate_presigned_url` would build — the same URL, byte for byte (a unit test
    holds them equal), for 1.5–3× less (bench/photos.py), because a console page signs one per photo."""
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest

    cfg = settings()
    if cfg.s3_endpoint:  # local: path style on the embedded S3
        url = f"{cfg.s3_endpoint.rstrip('/')}/{cfg.photo_bucket}/{quote(key)}"
    else:  # deployed: the bucket's own regional host, the origin pages' CSP allows
        url = f"{cfg.photo_origin}/{quote(key)}"
    request = AWSRequest(method="GET", url=url)
    S3SigV4QueryAuth(aws.photo_credentials(), "s3", cfg.region or "us-east-1", expires=seconds).add_auth(request)
    signed: str = request.url
    return signed


def set_photo(item: Item, photo_key: str, at: str, only_state: str | None = None) -> Item:
    """Name `photo_key` as the item's photo, if the item still exists, isn't erased, still has
    the photo it was read with (and is in `only_state`, if given). ItemChanged(stored item or None) otherwise."""
    names = {"#photo": "photo_key", "#at": "updated_at"}
    values: dict[str, Any] = {":photo": photo_key, ":at": at}
    condition = "attribute_exists(pk) AND attribute_not_exists(erased) AND "
    if only_state:
        names["#state"] = "state"
        values[":state"] = only_state
        condition += "#state = :state AND "
    if item.photo_key:
        values[":old"] = item.photo_key
        condition += "#photo = :old"
    else:
        condition += "attribute_not_exists(#photo)"
    expression = "SET #photo = :photo, #at = :at"
    try:
        updated = item_store.to_item(
            dynamo.update_checked(item_store.key(item.event_id, item.item_id), expression, condition, names, values)
        )
    except dynamo.ConditionFailed as failed:
        raise ItemChanged(item_store.to_item(failed.stored)) from failed
    assert updated is not None
    return updated


def removed_items(records: list[dict[str, Any] | None]) -> list[tuple[str, str]]:
    """(event_id, item_id) of the item records among a stream's REMOVE records' keys (DynamoDB
    JSON): TTL expiry, a withdrawal, an erasure of a declared item."""
    found = []
    for raw in records:
        keys = from_dynamo(raw) if raw else {}
        pk, sk = str(keys.get("pk", "")), str(keys.get("sk", ""))
        if (
            pk.startswith("EVENT#")
            and sk.startswith(item_store.ITEM_PREFIX)
            and sk[len(item_store.ITEM_PREFIX) :].isdigit()
        ):
            found.append((pk[len("EVENT#") :], item_id_of(int(sk[len(item_store.ITEM_PREFIX) :]))))
    return found
