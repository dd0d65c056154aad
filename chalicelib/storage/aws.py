"""Lazily created, reused boto3 clients: the one place clients are made.

Creating a client costs tens of milliseconds, so each is made on first use and kept
for the life of the Lambda container.
"""

from __future__ import annotations

import functools
from typing import Any

from chalicelib.config import settings


@functools.cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    cfg = settings()
    endpoint = {"dynamodb": cfg.dynamodb_endpoint, "s3": cfg.s3_endpoint}.get(service)
    return boto3.session.Session().client(
        service,
        region_name=cfg.region,
        endpoint_url=endpoint,
        config=Config(
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=2,
            read_timeout=5,
            max_pool_connections=64,
            # A local endpoint is an IP and port: bucket names can't be host names there.
            s3={"addressing_style": "path"} if endpoint else None,
            signature_version="s3v4" if service == "s3" else None,
        ),
    )


def reset_for_tests() -> None:
    client.cache_clear()
