"""Settings from environment variables, read once. Stages set them in .chalice/config.json."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    table_name: str
    region: str | None
    dynamodb_endpoint: str | None
    s3_endpoint: str | None
    public_base_url: str
    # Locally the secret values themselves; when deployed, names of SSM SecureString parameters.
    admin_token: str | None
    admin_token_param: str | None
    token_signing_keys: str | None
    token_signing_keys_param: str | None
    privacy_notice_version: str
    export_bucket: str
    # Lambda answers at most 6 MB synchronously; larger exports go to S3 behind a 303.
    export_inline_max_bytes: int
    export_url_seconds: int
    # Seconds to wait for a DynamoDB/S3 response before one retry and then a 503.
    aws_read_timeout: float
    # The association named on donation certificates (SPEC §8).
    organization_name: str = "主办方"
    # Messages (SMS, SPEC §7): provider `outbox` (stored; the local default), `sns` or `aliyun`.
    sms_provider: str = "outbox"
    sns_endpoint: str | None = None
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: str | None = None
    aliyun_access_key_param: str | None = None  # SSM SecureString "<id>:<secret>" when deployed
    aliyun_sign_name: str = ""
    aliyun_templates: str = ""  # "ticket:SMS_1,promoted:SMS_2,recovery:SMS_3,code:SMS_4"
    aliyun_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    # Item photos (SPEC §8): their bucket; pages may reach its origin (CSP img-src, connect-src).
    photo_bucket: str = "baoming-photos"

    @property
    def local_stage(self) -> bool:
        """The local stack (`make run`, tests) talks to an embedded DynamoDB; a deployed stage never does."""
        return self.dynamodb_endpoint is not None

    @property
    def photo_endpoint(self) -> str | None:
        """The S3 endpoint photo URLs are signed for: the local one, or the region's own (so a
        browser's POST is never redirected, and the bucket's origin is its own host)."""
        if self.s3_endpoint or not self.region:
            return self.s3_endpoint
        return f"https://s3.{self.region}.{_aws_suffix(self.region)}"

    @property
    def photo_origin(self) -> str:
        """The one origin photos are uploaded to and shown from: what pages' CSP allows."""
        if self.s3_endpoint:
            scheme, _, rest = self.s3_endpoint.partition("://")
            return f"{scheme}://{rest.split('/')[0]}"
        region = self.region or "us-east-1"
        return f"https://{self.photo_bucket}.s3.{region}.{_aws_suffix(region)}"


def _aws_suffix(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def _optional(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        table_name=os.environ.get("TABLE_NAME", "baoming"),
        region=_optional("AWS_REGION") or _optional("AWS_DEFAULT_REGION"),
        dynamodb_endpoint=_optional("DYNAMODB_ENDPOINT"),
        s3_endpoint=_optional("S3_ENDPOINT") or _optional("DYNAMODB_ENDPOINT"),
        public_base_url=os.environ.get("PUBLIC_BASE_URL", "").rstrip("/"),
        admin_token=_optional("ADMIN_TOKEN"),
        admin_token_param=_optional("ADMIN_TOKEN_PARAM"),
        token_signing_keys=_optional("TOKEN_SIGNING_KEYS"),
        token_signing_keys_param=_optional("TOKEN_SIGNING_KEYS_PARAM"),
        privacy_notice_version=os.environ.get("PRIVACY_NOTICE_VERSION", "2026-11-01"),
        export_bucket=os.environ.get("EXPORT_BUCKET", "baoming-exports"),
        export_inline_max_bytes=int(os.environ.get("EXPORT_INLINE_MAX_BYTES", str(4_000_000))),
        export_url_seconds=int(os.environ.get("EXPORT_URL_SECONDS", "300")),
        aws_read_timeout=float(os.environ.get("AWS_READ_TIMEOUT", "2")),
        organization_name=_optional("ORGANIZATION_NAME") or "主办方",
        sms_provider=(_optional("SMS_PROVIDER") or ("outbox" if _optional("DYNAMODB_ENDPOINT") else "sns")).lower(),
        sns_endpoint=_optional("SNS_ENDPOINT"),
        aliyun_access_key_id=_optional("ALIYUN_ACCESS_KEY_ID"),
        aliyun_access_key_secret=_optional("ALIYUN_ACCESS_KEY_SECRET"),
        aliyun_access_key_param=_optional("ALIYUN_ACCESS_KEY_PARAM"),
        aliyun_sign_name=os.environ.get("ALIYUN_SMS_SIGN_NAME", ""),
        aliyun_templates=os.environ.get("ALIYUN_SMS_TEMPLATES", ""),
        aliyun_endpoint=os.environ.get("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
        photo_bucket=os.environ.get("PHOTO_BUCKET", "baoming-photos"),
    )


def reset_for_tests() -> None:
    """Forget cached settings (tests change the environment between sessions)."""
    settings.cache_clear()
