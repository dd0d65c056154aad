"""Custom questions of an event (SPEC §6): the organiser asks, registrants answer.

- `event.questions`: [{question_id, label, type, required, options?, roles?}], at most 20.
- `registration.answers`: {question_id: value}; a question applies to a role when it has no
  `roles` or lists that role.
- `event.answer_counts`: answers stored per question (counted in the registration's
  transaction, storage/registrations.py); a question with answers may be relabelled or get more
  options, never removed or retyped (409 question_in_use).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

TEXT, TEXTAREA, SINGLE, MULTI, NUMBER, DATE = "text", "textarea", "single", "multi", "number", "date"
TYPES = (TEXT, TEXTAREA, SINGLE, MULTI, NUMBER, DATE)
CHOICE_TYPES = (SINGLE, MULTI)
MAX_QUESTIONS = 20
MAX_OPTIONS = 20
LABEL_MAX = OPTION_MAX = 40
TEXT_MAX, TEXTAREA_MAX = 200, 1000
NUMBER_MAX = 10**12
MULTI_SEPARATOR = "、"
ANSWER_COUNT_PREFIX = "answers#"  # event item attribute: answers stored for a question


def applies_to(question: Mapping[str, Any], role: str | None) -> bool:
    roles = question.get("roles")
    return not roles or role in roles


def question_field_errors(questions: Sequence[Mapping[str, Any]] | None, roles: Sequence[str]) -> dict[str, list[str]]:
    """Event-level rules: ids unique, options only (and always) for single/multi, options
    unique, roles of the event."""
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, question in enumerate(questions or []):
        at = f"questions.{index}"
        if question["question_id"] in seen:
            errors[f"{at}.question_id"] = ["问题编号不能重复"]
        seen.add(question["question_id"])
        options = question.get("options")
        if question["type"] in CHOICE_TYPES:
            if not options:
                errors[f"{at}.options"] = ["单选、多选题须有 1–20 个选项"]
            elif len(set(options)) != len(options):
                errors[f"{at}.options"] = ["选项不能重复"]
        elif options:
            errors[f"{at}.options"] = ["只有单选、多选题可以设置选项"]
        outside = [role for role in question.get("roles") or [] if role not in roles]
        if outside:
            errors[f"{at}.roles"] = [f"须是本活动的身份：{', '.join(outside)}"]
    return errors


def in_use_errors(
    current: Sequence[Mapping[str, Any]], proposed: Sequence[Mapping[str, Any]], answer_counts: Mapping[str, int]
) -> list[str]:
    """Questions with answers that the proposed list removes, retypes or takes options from."""
    proposed_by_id = {question["question_id"]: question for question in proposed}
    problems = []
    for question in current:
        question_id = question["question_id"]
        if not answer_counts.get(question_id):
            continue
        new = proposed_by_id.get(question_id)
        if (
            new is None
            or new["type"] != question["type"]
            or question["type"] in CHOICE_TYPES
            and not set(question.get("options") or ()) <= set(new.get("options") or ())
        ):
            problems.append(question_id)
    return problems


def answer_text(question: Mapping[str, Any], value: Any) -> str:
    """An answer as one cell of text (multi joined with 、)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return MULTI_SEPARATOR.join(str(part) for part in value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def answered(event: Any, answers: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """The event's questions this registration answered, in the event's order, as text."""
    if not answers:
        return []
    return [
        {
            "question_id": question["question_id"],
            "label": question["label"],
            "answer": answer_text(question, answers[question["question_id"]]),
        }
        for question in event.questions
        if question["question_id"] in answers
    ]
