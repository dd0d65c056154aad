"""Secret values: from the environment locally, from SSM SecureString parameters when deployed.

Read on first use and cached for the life of the container; never logged.
"""

from __future__ import annotations

import functools

from chalicelib.config import settings


def _from_ssm(parameter_name: str) -> str:
    from chalicelib.storage import aws

    response = aws.client("ssm").get_parameter(Name=parameter_name, WithDecryption=True)
    return response["Parameter"]["Value"]


def _resolve(value: str | None, parameter_name: str | None, what: str) -> str:
    if value:
        return value
    if parameter_name:
        return _from_ssm(parameter_name)
    raise RuntimeError(f"{what} is not configured")


@functools.lru_cache(maxsize=1)
def admin_token() -> str:
    cfg = settings()
    return _resolve(cfg.admin_token, cfg.admin_token_param, "the admin token")


@functools.lru_cache(maxsize=1)
def token_signing_keys() -> str:
    """'KID:secret,KID:secret': the first key signs, every listed key verifies."""
    cfg = settings()
    return _resolve(cfg.token_signing_keys, cfg.token_signing_keys_param, "the token signing keys")


def reset_for_tests() -> None:
    admin_token.cache_clear()
    token_signing_keys.cache_clear()
