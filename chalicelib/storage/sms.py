"""SMS providers behind one small interface, chosen by SMS_PROVIDER (read once):

- `outbox`: stored in the table (the local stage's default), readable at GET /dev/outbox;
- `sns`: AWS SNS Publish to +86…;
- `aliyun`: Alibaba Cloud SMS (dysmsapi SendSms) with an approved sign name and templates,
  sent as the RPC API's signed request (HMAC-SHA1, signature version 1.0), so it needs no SDK.

A provider raises SendFailed with a short reason (never the phone, the text or a code).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from typing import Protocol

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.config import settings
from chalicelib.domain.errors import ServiceUnavailable
from chalicelib.domain.messages import Message, outbox_key
from chalicelib.storage import aws
from chalicelib.storage import messages as message_items

logger = logging.getLogger(__name__)
SEND_TIMEOUT_SECONDS = 5


class SendFailed(Exception):
    """The provider did not take the message; `reason` is short and holds no personal data."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:120]


class Provider(Protocol):
    name: str

    def send(self, message: Message, phone: str, text: str, params: Mapping[str, str], at: str) -> None: ...


class OutboxProvider:
    """Stores what would be sent; GET /dev/outbox shows it (local stage only)."""

    name = "outbox"

    def send(self, message: Message, phone: str, text: str, params: Mapping[str, str], at: str) -> None:
        message_items.outbox_add(
            outbox_key(phone),
            {
                "message_id": message.message_id,
                "event_id": message.event_id,
                "registration_id": message.registration_id,
                "phone": phone,
                "text": text,
                "kind": message.kind,
                "at": at,
            },
        )


class SnsProvider:
    """AWS SNS: a transactional SMS published straight to the number (+86…)."""

    name = "sns"

    def send(self, message: Message, phone: str, text: str, params: Mapping[str, str], at: str) -> None:
        try:
            aws.client("sns").publish(
                PhoneNumber=f"+86{phone}",
                Message=text,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                },
            )
        except ServiceUnavailable as error:
            raise SendFailed("sns: unavailable") from error
        except (ClientError, BotoCoreError) as error:
            code = error.response["Error"].get("Code", "error") if isinstance(error, ClientError) else "error"
            raise SendFailed(f"sns: {code}") from error


def percent_encode(value: str) -> str:
    """RFC 3986 as Alibaba Cloud's RPC signature wants it: only A-Z a-z 0-9 - _ . ~ stay."""
    return urllib.parse.quote(value, safe="~")


def rpc_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """Alibaba Cloud RPC signature v1: HMAC-SHA1 over METHOD&%2F&<encoded canonical query>,
    keyed with '<AccessKeySecret>&', base64."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class AliyunProvider:
    """Alibaba Cloud SMS (dysmsapi 2017-05-25 SendSms): sign name and one approved template per
    kind from settings; the template's variables are ${title} and ${link}, or ${code}."""

    name = "aliyun"

    def __init__(self, access_key_id: str, access_key_secret: str, sign_name: str, templates: Mapping[str, str]):
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.templates = dict(templates)

    def signed_request(
        self, phone: str, kind: str, params: Mapping[str, str], nonce: str | None = None, timestamp: str | None = None
    ) -> dict[str, str]:
        """The form fields of the SendSms POST, Signature included."""
        if kind not in self.templates:
            raise SendFailed(f"aliyun: no template for {kind}")
        fields = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": self.templates[kind],
            "TemplateParam": json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")),
            "Timestamp": timestamp or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "Version": "2017-05-25",
        }
        return {**fields, "Signature": rpc_signature("POST", fields, self._secret)}

    def send(self, message: Message, phone: str, text: str, params: Mapping[str, str], at: str) -> None:
        body = urllib.parse.urlencode(self.signed_request(phone, message.kind, params)).encode()
        request = urllib.request.Request(
            settings().aliyun_endpoint,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            raise SendFailed(f"aliyun: {type(error).__name__}") from error
        if answer.get("Code") != "OK":
            raise SendFailed(f"aliyun: {answer.get('Code', 'error')}")


def _templates(spec: str) -> dict[str, str]:
    pairs = (part.strip().partition(":") for part in spec.split(",") if part.strip())
    return {kind.strip(): code.strip() for kind, _, code in pairs}


def _aliyun() -> AliyunProvider:
    cfg = settings()
    key_id, secret = cfg.aliyun_access_key_id, cfg.aliyun_access_key_secret
    if cfg.aliyun_access_key_param and not (key_id and secret):
        from chalicelib.storage.secrets import _from_ssm

        key_id, _, secret = _from_ssm(cfg.aliyun_access_key_param).partition(":")
    return AliyunProvider(key_id or "", secret or "", cfg.aliyun_sign_name, _templates(cfg.aliyun_templates))


_override: Provider | None = None


def use_provider(provider: Provider | None) -> None:
    """Install a provider in place of the configured one (tests: one that fails); None restores."""
    global _override
    _override = provider


@functools.lru_cache(maxsize=1)
def _configured() -> Provider:
    name = settings().sms_provider
    if name == "sns":
        return SnsProvider()
    if name == "aliyun":
        return _aliyun()
    if name != "outbox":
        logger.warning("unknown SMS_PROVIDER %r: using the outbox", name)
    return OutboxProvider()


def provider() -> Provider:
    return _override or _configured()


def reset_for_tests() -> None:
    _configured.cache_clear()
