"""marshmallow building blocks with zh-CN messages: strict numbers and booleans, clean text,
times in Asia/Shanghai, people's names and mainland mobiles, flattened field errors."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from marshmallow import Schema, ValidationError, fields

from chalicelib.domain import clock, normalize
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.ids import EVENT_ID

MESSAGES = {
    "required": "此项必填",
    "null": "不能为空",
    "type": "类型不正确",
}

SLUG = EVENT_ID
_CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def zh_messages(**specific: str) -> dict[str, Any]:
    return {**MESSAGES, **specific}


def _with_messages(kwargs: dict[str, Any], **defaults: str) -> dict[str, Any]:
    """Field kwargs whose error_messages extend the field's own zh-CN defaults."""
    return {**kwargs, "error_messages": {**zh_messages(**defaults), **kwargs.get("error_messages", {})}}


class StrictInteger(fields.Integer):
    """An integer that is a JSON number: no strings, no floats, no booleans."""

    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **_with_messages(kwargs, invalid="须为整数", too_large="数值过大"))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """Only JSON true/false, not "yes" or 1."""

    def __init__(self, **kwargs: Any):
        super().__init__(**_with_messages(kwargs, invalid="须为 true 或 false"))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class CleanText(fields.String):
    """Text normalised and trimmed, then length-checked; control characters refused.

    Free text keeps NFC so full-width Chinese punctuation stays as typed; identifiers such
    as names use NFKC, which folds full-width letters and digits to their plain forms.
    """

    def __init__(self, min_length: int = 0, max_length: int = 200, form: Literal["NFC", "NFKC"] = "NFC", **kwargs: Any):
        self.min_length, self.max_length, self.form = min_length, max_length, form
        kwargs.setdefault("metadata", {"minLength": min_length, "maxLength": max_length})
        super().__init__(
            **_with_messages(
                kwargs,
                invalid="须为文本",
                control="不能包含控制字符或换行",
                too_short="不能为空" if min_length <= 1 else f"至少 {min_length} 个字符",
                too_long=f"不能超过 {max_length} 个字符",
            )
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = unicodedata.normalize(self.form, value).strip()
        if any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in text):
            raise self.make_error("control")
        length = len(text)  # code points: 𠮷 counts as one character
        if length < max(self.min_length, 0) or (self.min_length and not text):
            raise self.make_error("too_short")
        if length > self.max_length:
            raise self.make_error("too_long")
        return text


class AwareTime(fields.AwareDateTime):
    """ISO 8601 with an offset, kept as a string in Asia/Shanghai time."""

    def __init__(self, **kwargs: Any):
        super().__init__(
            format="iso",
            **_with_messages(
                kwargs,
                invalid="须为 ISO 8601 时间，例如 2026-12-20T19:00:00+08:00",
                invalid_awareness="时间须带时区偏移，例如 +08:00",
                out_of_range="时间须在 2000 年至 2099 年之间",
            ),
        )

    # Loads to the ISO string the app stores, not a datetime: hence the narrower override.
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:  # type: ignore[override]
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        moment = super()._deserialize(value, attr, data, **kwargs)
        # Years near 1 or 9999 overflow date arithmetic later (retention, token expiry).
        if not 2000 <= moment.astimezone(clock.SHANGHAI).year <= 2099:
            raise self.make_error("out_of_range")
        return clock.to_shanghai_iso(moment)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class BoundedList(fields.List):
    """A list whose length is checked before any element is validated, so 15,000 elements
    cost one error message, not 15,000 of them."""

    def __init__(self, inner: fields.Field, max_length: int, too_long: str, **kwargs: Any):
        self.max_length = max_length
        kwargs.setdefault("metadata", {})["maxItems"] = max_length
        super().__init__(inner, **_with_messages(kwargs, invalid="须为列表", too_long=too_long))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list) and len(value) > self.max_length:
            raise self.make_error("too_long")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictSchema(Schema):
    error_messages = {"unknown": "不支持的字段", "type": "请求体须为 JSON 对象"}


def full_match(pattern: re.Pattern[str], error: str) -> Any:
    """Like validate.Regexp, but the whole value must match (Regexp only anchors the start)."""

    def check(value: str) -> None:
        if not pattern.fullmatch(value):
            raise ValidationError(error)

    return check


class PersonName(fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("须为文本")
        try:
            return normalize.person_name(value)
        except normalize.Invalid as error:
            raise ValidationError(str(error)) from error


class MainlandMobile(fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("请填写 11 位中国大陆手机号，如 13812345678")
        try:
            return normalize.mainland_mobile(value)
        except normalize.Invalid as error:
            raise ValidationError(str(error)) from error


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict → {"items.0.name": [...]} for forms to show inline."""
    if isinstance(messages, list):
        return {prefix or "_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        for field, errs in flatten_errors(value, path).items():
            flat.setdefault(field, []).extend(errs)
    return flat


def load(schema: Schema, data: Any) -> Any:
    """`schema.load(data)`, or ValidationFailed with the field errors keyed by dotted paths."""
    try:
        return schema.load(data)
    except ValidationError as error:
        raise ValidationFailed(fields=flatten_errors(error.messages)) from error
