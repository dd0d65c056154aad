"""What item photos (SPEC §8) cost the app per request: the photo never passes through Lambda, so
the app's share is signing. Ratios to a baseline of the same run:

* a photo's presigned GET (`photo_url`, in every item reply that has a photo; botocore's signer
  called directly, and for comparison the client's generate_presigned_url) and a presigned POST
  (the upload grant) vs minting one signed item token (HMAC-SHA256, what a tag's URL costs);
* an item reply for the console's list with a photo vs without (`services.items.shown`), and so
  what 200 photographed items add to one console page.

Signing is local (no request): no server is needed.
"""
from __future__ import annotations

import statistics
import time

RUNS = 2000


def _per_call(function, runs: int = RUNS) -> float:
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(runs):
            function()
        samples.append((time.perf_counter() - started) / runs)
    return statistics.median(samples)


def main() -> None:
    """Signing needs no server: a dead endpoint proves nothing is sent. The environment is put back
    afterwards, so benchmarks run after this one (`make bench`) reach their own servers."""
    from devtools.local_env import app_environment

    env = {"S3_ENDPOINT": "http://127.0.0.1:9", "PHOTO_BUCKET": "baoming-bench-photos",
           "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": "us-east-1", "TOKEN_SIGNING_KEYS": "A:" + "k" * 43}
    with app_environment(env):
        _measure()


def _measure() -> None:
    from chalicelib.domain import tokens
    from chalicelib.domain.items import Item
    from chalicelib.services import items
    from chalicelib.storage import aws, photos

    key = "photos/bench-event/C-0001/" + "a" * 22 + ".png"
    plain = Item("bench-event", "C-0001", "01ABCDEFGHJKMNPQ", "红军水壶", "exhibit", "received")
    with_photo = Item("bench-event", "C-0001", "01ABCDEFGHJKMNPQ", "红军水壶", "exhibit", "received", photo_key=key)
    photos.view_url(key, 600)  # the client is made once per container
    baseline = _per_call(lambda: tokens.mint_item_token("bench-event", "C-0001"))
    get_url = _per_call(lambda: photos.view_url(key, 600))
    client = aws.photo_client()
    pipeline = _per_call(lambda: client.generate_presigned_url(
        "get_object", Params={"Bucket": "baoming-bench-photos", "Key": key}, ExpiresIn=600), 500)
    post = _per_call(lambda: photos.presign_post(key.replace("photos/", "uploads/"), "image/png", 5 << 20, 600), 500)
    shown_plain = _per_call(lambda: items.shown(plain))
    shown_photo = _per_call(lambda: items.shown(with_photo))
    print("item photos (signing, in-process, median per call):")
    print(f"  signed item token (baseline)     {baseline * 1e6:8.1f} µs")
    print(f"  presigned GET (photo_url)        {get_url * 1e6:8.1f} µs  {get_url / baseline:6.1f}x")
    print(f"  the same by generate_presigned_url {pipeline * 1e6:8.1f} µs  {pipeline / baseline:6.1f}x (what view_url avoids)")
    print(f"  presigned POST (upload grant)    {post * 1e6:8.1f} µs  {post / baseline:6.1f}x")
    print(f"  item reply without / with photo  {shown_plain * 1e6:8.1f} / {shown_photo * 1e6:.1f} µs "
          f"({shown_photo / shown_plain:.1f}x); 200 photographed items add {200 * (shown_photo - shown_plain) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
