"""Custom question schemas (SPEC §6): the event's `questions`, and the `answers` of a
registration as ONE marshmallow schema built from an event's questions, cached per event
version."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from chalicelib.domain import questions as rules
from chalicelib.schemas.fields import SLUG, BoundedList, CleanText, StrictBoolean, StrictSchema, full_match, zh_messages

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class QuestionSchema(StrictSchema):
    question_id = fields.String(
        required=True,
        validate=full_match(SLUG, "问题编号须为 3–64 位小写字母、数字或连字符，且以字母或数字开头"),
        metadata={"pattern": "^" + SLUG.pattern + "$"},
        error_messages=zh_messages(invalid="须为文本", required="请填写问题编号"),
    )
    label = CleanText(1, rules.LABEL_MAX, required=True, error_messages=zh_messages(required="请填写问题"))
    type = fields.String(
        required=True,
        validate=validate.OneOf(rules.TYPES, error="须为 " + "、".join(rules.TYPES)),
        error_messages=zh_messages(invalid="须为文本", required="请选择题型"),
    )
    required = StrictBoolean(load_default=False)
    options = BoundedList(
        CleanText(1, rules.OPTION_MAX),
        max_length=rules.MAX_OPTIONS,
        too_long=f"选项最多 {rules.MAX_OPTIONS} 个",
        error_messages=zh_messages(invalid="须为选项列表"),
        metadata={"description": "单选、多选题的选项（1–20 个，每个 1–40 字）"},
    )
    roles = BoundedList(
        fields.String(error_messages=zh_messages(invalid="须为文本")),
        max_length=10,
        too_long="身份最多 10 个",
        error_messages=zh_messages(invalid="须为身份列表"),
        metadata={"description": "只问这些身份（不填则问所有人）"},
    )


def questions_field() -> fields.List:
    return BoundedList(
        fields.Nested(QuestionSchema),
        max_length=rules.MAX_QUESTIONS,
        too_long=f"问题最多 {rules.MAX_QUESTIONS} 个",
        error_messages=zh_messages(invalid="须为问题列表"),
        metadata={"description": "报名表上的自定义问题"},
    )


class QuestionReplySchema(Schema):
    question_id = fields.String(required=True)
    label = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(rules.TYPES))
    required = fields.Boolean(required=True)
    options = fields.List(fields.String())
    roles = fields.List(fields.String())


answers_field = fields.Dict(
    keys=fields.String(),
    metadata={"description": "自定义问题的回答：{question_id: 值}（按题型：文本、选项、选项列表、数字、YYYY-MM-DD）"},
)


# --- answers ---------------------------------------------------------------------------------


def _finite(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | Decimal) and math.isfinite(value)


def _valid_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return bool(_DATE.fullmatch(value))


class _MultilineText(CleanText):
    """CleanText that keeps line breaks (a textarea's answer); other control characters refused."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        text = "\n".join(super(_MultilineText, self)._deserialize(line, attr, data, **kwargs) for line in lines).strip()
        if len(text) > self.max_length:
            raise self.make_error("too_long")
        return text


def _field(question: Mapping[str, Any]) -> fields.Field:
    kind = question["type"]
    required = {"required": "请回答此问题", "null": "请回答此问题"}
    if kind in (rules.TEXT, rules.TEXTAREA):
        if kind == rules.TEXT:
            return CleanText(0, rules.TEXT_MAX, error_messages=zh_messages(**required))
        return _MultilineText(0, rules.TEXTAREA_MAX, error_messages=zh_messages(**required))
    if kind == rules.SINGLE:
        options = list(question.get("options") or ())
        return fields.String(
            validate=validate.OneOf(options, error="请从选项中选择一项"),
            error_messages=zh_messages(invalid="请从选项中选择一项", **required),
        )
    if kind == rules.MULTI:
        return fields.List(
            fields.String(error_messages=zh_messages(invalid="须为文本")),
            error_messages=zh_messages(invalid="须为选项列表", **required),
        )
    if kind == rules.NUMBER:
        return fields.Raw(error_messages=zh_messages(**required))
    return fields.String(error_messages=zh_messages(invalid="须为 YYYY-MM-DD 格式的日期", **required))


def _check(question: Mapping[str, Any], value: Any) -> str | None:
    """Type rules marshmallow fields don't express directly; the error, or None."""
    kind = question["type"]
    if kind == rules.MULTI:
        options = question.get("options") or ()
        if len(set(value)) != len(value) or any(choice not in options for choice in value):
            return "请从选项中选择（不重复）"
    elif kind == rules.NUMBER and not (_finite(value) and abs(value) <= rules.NUMBER_MAX):
        return f"须为数字（绝对值不超过 {rules.NUMBER_MAX:,}）"
    elif kind == rules.DATE and not _valid_date(value):
        return "须为 YYYY-MM-DD 格式的日期"
    return None


class _AnswersSchema(StrictSchema):
    questions: Sequence[Mapping[str, Any]] = ()

    def validate_answers(self, data: Mapping[str, Any], role: str | None) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for question in self.questions:
            question_id = question["question_id"]
            value = data.get(question_id)
            if value in (None, "", []):
                if question.get("required") and applies_to(question, role):
                    errors[f"answers.{question_id}"] = ["请回答此问题"]
                continue
            if not applies_to(question, role):
                errors[f"answers.{question_id}"] = ["此问题不适用于所选身份"]
                continue
            problem = _check(question, value)
            if problem:
                errors[f"answers.{question_id}"] = [problem]
        return errors


applies_to = rules.applies_to
_cache: dict[tuple[str, str | None, int], _AnswersSchema] = {}


def answers_schema(
    event_id: str, version_key: str | None, version: int, questions: Sequence[Mapping[str, Any]]
) -> _AnswersSchema:
    """The one schema of an event's answers; built once per event version."""
    cache_key = (event_id, version_key, version)
    schema = _cache.get(cache_key)
    if schema is None:
        declared = {question["question_id"]: _field(question) for question in questions}
        cls = type("AnswersSchema", (_AnswersSchema,), {**declared, "questions": tuple(questions)})
        schema = cls()
        if len(_cache) > 256:
            _cache.clear()
        _cache[cache_key] = schema
    return schema


def load_answers(
    event_id: str,
    version_key: str | None,
    version: int,
    questions: Sequence[Mapping[str, Any]],
    answers: Any,
    role: str | None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(clean answers, errors keyed `answers.<question_id>`); empty answers left out."""
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        return {}, {"answers": ["须为 {问题编号: 回答} 对象"]}
    schema = answers_schema(event_id, version_key, version, questions)
    errors: dict[str, list[str]] = {}
    try:
        data = schema.load(answers)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        for name, message in messages.items():
            text = message if isinstance(message, list) else [str(message)]
            errors[f"answers.{name}"] = ["没有这个问题"] if text == ["不支持的字段"] else [str(t) for t in text]
        valid = error.valid_data
        data = dict(valid) if isinstance(valid, dict) else {}
    errors.update({k: v for k, v in schema.validate_answers(data, role).items() if k not in errors})
    clean = {name: _stored(value) for name, value in data.items() if value not in (None, "", [])}
    return clean, errors


def _stored(value: Any) -> Any:
    """Numbers as DynamoDB keeps them (Decimal; a float can't be stored)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value
