"""A throwaway local environment for tests and benchmarks: env vars, a fresh table, app caches reset."""
from __future__ import annotations

import os
import secrets
import uuid
from contextlib import contextmanager
from typing import Iterator


def reset_app_caches() -> None:
    import chalicelib.services  # noqa: F401  (installs the signing-key source)
    from chalicelib import config
    from chalicelib.domain import tokens
    from chalicelib.storage import aws
    from chalicelib.storage import secrets as app_secrets

    config.reset_for_tests()
    aws.reset_for_tests()
    app_secrets.reset_for_tests()
    tokens.reset_for_tests()


@contextmanager
def local_environment(dynamodb_endpoint: str, prefix: str = "baoming-test") -> Iterator[dict[str, str]]:
    env = {
        "TABLE_NAME": f"{prefix}-{uuid.uuid4().hex[:8]}",
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "ADMIN_TOKEN": secrets.token_urlsafe(24),
        "TOKEN_SIGNING_KEYS": "B:" + secrets.token_urlsafe(32) + ",A:" + secrets.token_urlsafe(32),
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "EXPORT_BUCKET": f"{prefix}-exports-{uuid.uuid4().hex[:8]}",
        "PHOTO_BUCKET": f"{prefix}-photos-{uuid.uuid4().hex[:8]}",
        # The embedded store serialises every request; under a 32-thread burst on a loaded 2-core
        # machine a reply can take longer than the deployed 2 s, and a timed-out write retried by
        # botocore would be refused as a duplicate (moto ignores ClientRequestToken).
        "AWS_READ_TIMEOUT": "10",
    }
    with app_environment(env):
        from chalicelib.storage import aws
        from devtools.bootstrap import ensure_bucket, ensure_table

        ensure_table(aws.client("dynamodb"), env["TABLE_NAME"])
        ensure_bucket(aws.client("s3"), env["EXPORT_BUCKET"])
        ensure_bucket(aws.client("s3"), env["PHOTO_BUCKET"])
        yield env


@contextmanager
def app_environment(env: dict[str, str]) -> Iterator[None]:
    """The app's settings from `env` while inside (caches reset, so clients and keys follow);
    the environment as it was, and caches reset again, afterwards."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    reset_app_caches()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_app_caches()
