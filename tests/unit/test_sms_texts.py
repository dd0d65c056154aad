"""Texts, retries, codes and the Alibaba Cloud request signature (pure functions)."""
from __future__ import annotations

import pytest

from chalicelib.domain import messages, tokens
from chalicelib.domain.tokens import KeyRing


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setattr(tokens, "keyring", lambda: KeyRing.parse("A:" + "k" * 32))


def test_the_documented_rpc_signature_example():
    """The worked example of Alibaba Cloud SMS's signature documentation (GET, testId/testSecret)."""
    from chalicelib.storage.sms import rpc_signature

    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
        "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
    }
    assert rpc_signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_the_aliyun_request_names_the_template_of_the_kind_and_signs_everything():
    from chalicelib.storage.sms import AliyunProvider, SendFailed, percent_encode, rpc_signature

    provider = AliyunProvider("id", "secret", "协会", {"ticket": "SMS_1", "code": "SMS_4"})
    form = provider.signed_request("13800138000", "code", {"code": "123456"}, nonce="n", timestamp="2026-01-01T00:00:00Z")
    assert form["TemplateCode"] == "SMS_4" and form["TemplateParam"] == '{"code":"123456"}'
    unsigned = {k: v for k, v in form.items() if k != "Signature"}
    assert form["Signature"] == rpc_signature("POST", unsigned, "secret")
    assert rpc_signature("POST", {**unsigned, "PhoneNumbers": "13800138001"}, "secret") != form["Signature"]
    assert percent_encode("a b*~") == "a%20b%2A~"
    with pytest.raises(SendFailed):
        provider.signed_request("13800138000", "promoted", {})


@pytest.mark.parametrize("kind, expected", [
    ("ticket", "成功报名"), ("promoted", "转为正式"), ("recovery", "电子票"), ("code", "验证码 123456"),
])
def test_texts_are_short_chinese_with_the_title(kind, expected):
    text = messages.text_of(kind, "2026 年度“十大孝星·十大恩爱夫妻”颁奖典礼（市新媒体中心一号演播厅）",
                            "http://x/t/T", "123456")
    assert expected in text and "十大孝星" in text and len(text) <= 70
    assert ("http://x/t/T" in text) == (kind != "code")


def test_retries_back_off_then_stop_after_five_attempts():
    delays = [messages.retry_delay(n) for n in range(1, 6)]
    assert delays[:4] == sorted(delays[:4]) and all(d > 0 for d in delays[:4]) and delays[4] is None


def test_codes_are_six_digits_derived_and_stored_only_as_a_mac():
    code = messages.code_from_nonce("nonce-1")
    assert len(code) == 6 and code.isdigit() and code == messages.code_from_nonce("nonce-1")
    mac = messages.code_mac("A", "ev-1", "13800138000", code)
    assert code not in mac and messages.codes_match(mac, "A", "ev-1", "13800138000", code)
    assert not messages.codes_match(mac, "A", "ev-2", "13800138000", code)
    assert KeyRing.parse("A:" + "k" * 32).active_id == "A"


def test_windows_end_at_shanghai_midnight_and_the_hour():
    from datetime import datetime, timezone

    windows = messages.windows(datetime(2026, 11, 29, 15, 30, tzinfo=timezone.utc))  # 23:30 in Shanghai
    assert windows.day == "2026-11-29" and windows.day_ends_in == 1800
    assert windows.hour == "2026-11-29T23" and windows.hour_ends_in == 1800
