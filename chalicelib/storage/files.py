"""Export files too large for a Lambda response: put in S3, handed out by a short-lived URL."""

from __future__ import annotations

import secrets as random_source
from typing import IO
from urllib.parse import quote

from chalicelib.config import settings
from chalicelib.storage import aws

# One 8 MB part in memory at a time: boto3's default keeps up to ten in flight (~80 MB),
# which made an export's memory grow with its size.
_PART_BYTES = 8 * 1024 * 1024


def publish(body: IO[bytes], event_id: str, filename: str, content_type: str) -> str:
    """Upload `body` under an unguessable key and return a presigned GET URL."""
    from boto3.s3.transfer import TransferConfig

    cfg = settings()
    key = f"exports/{event_id}/{random_source.token_urlsafe(16)}/{filename}"
    s3 = aws.client("s3")
    s3.upload_fileobj(
        body,
        cfg.export_bucket,
        key,
        ExtraArgs={"ContentType": content_type},
        Config=TransferConfig(
            multipart_threshold=_PART_BYTES, multipart_chunksize=_PART_BYTES, max_concurrency=1, use_threads=False
        ),
    )
    return s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": cfg.export_bucket,
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        },
        ExpiresIn=cfg.export_url_seconds,
    )
