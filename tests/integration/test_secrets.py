"""Deployed, secrets come from SSM SecureString parameters: read once per container, never logged."""
import logging

import boto3
import pytest

from chalicelib import config
from chalicelib.domain import tokens
from chalicelib.storage import secrets
from chalicelib.web import auth


@pytest.fixture
def ssm_backed(monkeypatch, dynamodb_endpoint, app_environment):
    """The app configured as deployed: parameter names instead of values (moto serves SSM too)."""
    ssm = boto3.client("ssm", endpoint_url=dynamodb_endpoint, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    ssm.put_parameter(Name="/baoming/test/admin-token", Value="admin-from-ssm-0123456789",
                      Type="SecureString", Overwrite=True)
    ssm.put_parameter(Name="/baoming/test/token-signing-keys", Value="C:" + "k" * 40 + ",A:" + "o" * 40,
                      Type="SecureString", Overwrite=True)
    monkeypatch.delenv("ADMIN_TOKEN")
    monkeypatch.delenv("TOKEN_SIGNING_KEYS")
    monkeypatch.setenv("ADMIN_TOKEN_PARAM", "/baoming/test/admin-token")
    monkeypatch.setenv("TOKEN_SIGNING_KEYS_PARAM", "/baoming/test/token-signing-keys")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", dynamodb_endpoint)
    from devtools.local_env import reset_app_caches

    reset_app_caches()
    yield ssm
    monkeypatch.undo()
    reset_app_caches()


def test_secrets_are_read_from_ssm_once(ssm_backed, monkeypatch, caplog):
    calls = []
    real = secrets._from_ssm
    monkeypatch.setattr(secrets, "_from_ssm", lambda name: calls.append(name) or real(name))
    with caplog.at_level(logging.DEBUG, logger="chalicelib"):
        assert auth.is_admin_token("admin-from-ssm-0123456789")
        assert not auth.is_admin_token("admin-from-ssm-wrong")
        assert tokens.keyring().active_id == "C"
        assert tokens.keyring().key("A") == b"o" * 40
    assert calls == ["/baoming/test/admin-token", "/baoming/test/token-signing-keys"]
    assert "admin-from-ssm" not in caplog.text and "kkkk" not in caplog.text
    assert config.settings().admin_token is None


def test_missing_configuration_fails_loudly(monkeypatch):
    monkeypatch.delenv("ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("ADMIN_TOKEN_PARAM", raising=False)
    from devtools.local_env import reset_app_caches

    reset_app_caches()
    try:
        with pytest.raises(RuntimeError, match="admin token is not configured"):
            secrets.admin_token()
    finally:
        monkeypatch.undo()
        reset_app_caches()
