"""Lazily created, reused boto3 clients: the one place clients are made.

Creating a client costs tens of milliseconds, so each is made on first use and kept
for the life of the Lambda container.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.config import settings
from chalicelib.domain.errors import ServiceUnavailable

logger = logging.getLogger(__name__)


# Failures that say "not now" rather than "no": the request may succeed if retried later.
UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "LimitExceededException",
        "SlowDown",
        "RequestTimeout",
    }
)


class GuardedClient:
    """A boto3 client whose transient failures (unreachable, timed out, throttled, 5xx) become
    the domain's ServiceUnavailable, answered as 503 with Retry-After. Every other error — a
    failed condition, a cancelled transaction — passes through for storage to decide on."""

    def __init__(self, client: Any):
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attribute(*args, **kwargs)
            except BotoCoreError as error:  # connection refused or reset, timeouts
                logger.warning("%s.%s failed: %s", type(self._client).__name__, name, type(error).__name__)
                raise ServiceUnavailable() from error
            except ClientError as error:
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if error.response.get("Error", {}).get("Code") in UNAVAILABLE_CODES or status >= 500:
                    logger.warning(
                        "%s.%s failed: %s",
                        type(self._client).__name__,
                        name,
                        error.response.get("Error", {}).get("Code"),
                    )
                    raise ServiceUnavailable() from error
                raise

        return call


def _bounded(**options: Any) -> Any:
    """Every client's limits: connect 1 s, read 2 s (AWS_READ_TIMEOUT), two attempts with standard
    backoff — an unreachable or hung store is a 503 within about 5 s, not a request held until
    API Gateway's 29 s limit."""
    from botocore.config import Config

    return Config(
        retries={"total_max_attempts": 2, "mode": "standard"},
        connect_timeout=1,
        read_timeout=settings().aws_read_timeout,
        **options,
    )


@functools.cache
def client(service: str) -> Any:
    import boto3

    cfg = settings()
    endpoint = {"dynamodb": cfg.dynamodb_endpoint, "s3": cfg.s3_endpoint, "sns": cfg.sns_endpoint}.get(service)
    return GuardedClient(
        boto3.session.Session().client(
            service,
            region_name=cfg.region,
            endpoint_url=endpoint,
            config=_bounded(
                max_pool_connections=64,
                # A local endpoint is an IP and port: bucket names can't be host names there.
                s3={"addressing_style": "path"} if endpoint else None,
                signature_version="s3v4" if service == "s3" else None,
            ),
        )
    )


@functools.cache
def photo_client() -> Any:
    """S3 for item photos: the same bounds as `client("s3")`, but signed for the region's own
    endpoint in virtual-host style when deployed, so presigned POST and GET URLs point at
    `https://<bucket>.s3.<region>.<suffix>` (the origin pages' CSP names; no redirect).
    Locally the embedded S3, path style, like `client("s3")`."""

    cfg = settings()
    endpoint = cfg.photo_endpoint
    return GuardedClient(
        _photo_session().client(
            "s3",
            region_name=cfg.region,
            endpoint_url=endpoint,
            config=_bounded(
                max_pool_connections=16,
                s3={"addressing_style": "path" if cfg.s3_endpoint else "virtual"},
                signature_version="s3v4",
            ),
        )
    )


@functools.cache
def _photo_session() -> Any:
    import boto3

    return boto3.session.Session()


def photo_credentials() -> Any:
    """The credentials the photo client signs with (frozen now: Lambda's are static per container,
    a refreshing source gives its current ones), for signing GET URLs without the client's request
    pipeline (see storage/photos.view_url)."""
    return _photo_session().get_credentials().get_frozen_credentials()


def reset_for_tests() -> None:
    client.cache_clear()
    photo_client.cache_clear()
    _photo_session.cache_clear()
