"""Normalising what people type on a phone: names, mainland mobile numbers. Pure functions."""

from __future__ import annotations

import re
import unicodedata

MIDDLE_DOT = "·"
# Dots people type between the parts of Uyghur, Tibetan or transliterated names.
_LOOKALIKE_DOTS = str.maketrans(
    {
        "•": MIDDLE_DOT,
        "・": MIDDLE_DOT,
        "‧": MIDDLE_DOT,
        "．": MIDDLE_DOT,
        "･": MIDDLE_DOT,
        "∙": MIDDLE_DOT,
        "⋅": MIDDLE_DOT,
    }
)
_NAME_PUNCTUATION = set(MIDDLE_DOT + " '-.’")
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}

MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # ASCII class: \d would accept ८ and other scripts
_PHONE_SEPARATORS = str.maketrans("", "", " -")


class Invalid(ValueError):
    """The value can't be normalised; the message is shown to the person (zh-CN)."""


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in _CONTROL for ch in text)


def person_name(raw: str) -> str:
    """NFKC, trimmed, look-alike dots unified; letters of any script, spaces and · ' - . only."""
    if has_control_characters(raw):
        raise Invalid("姓名不能包含控制字符或换行")
    name = unicodedata.normalize("NFKC", raw.translate(_LOOKALIKE_DOTS)).translate(_LOOKALIKE_DOTS)
    name = " ".join(name.split())
    if not name:
        raise Invalid("请填写姓名")
    if len(name) > 50:
        raise Invalid("姓名不能超过 50 个字符")
    for ch in name:
        if ch not in _NAME_PUNCTUATION and unicodedata.category(ch)[0] not in "LM":
            raise Invalid("姓名只能包含文字、空格和 · ' - .")
    if not any(unicodedata.category(ch)[0] == "L" for ch in name):
        raise Invalid("请填写真实姓名")
    return name


def mainland_mobile(raw: str) -> str:
    """11 ASCII digits `1[3-9]…`; full-width digits, +86/0086/86, spaces and dashes accepted."""
    if has_control_characters(raw):
        raise Invalid("手机号不能包含换行或控制字符")
    digits = unicodedata.normalize("NFKC", raw).translate(_PHONE_SEPARATORS)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    else:
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
    if not MAINLAND_MOBILE.fullmatch(digits):
        raise Invalid("请填写 11 位中国大陆手机号，如 13812345678")
    return digits


def mask_phone(phone: str) -> str:
    """138****5678: enough for a person to recognise their own number, no more."""
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "*" * len(phone)
