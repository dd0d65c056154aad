"""Finding a registration by what an organiser or a gate types: part of a name, the last
four digits of a phone, or a registration id. Pure: the terms a registration is found by,
and what kind of query a search text is.

A registration is indexed under each distinct character of its name (NFKC, case-folded,
without spaces and the name punctuation) and under a keyed hash of its phone's last four
digits, so a search reads only the index entries of one character or one phone tail,
never the whole event (see storage/registrations.py for the items and README for the cost).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from chalicelib.domain.ids import REGISTRATION_ID

MAX_NAME_TERMS = 24  # distinct characters indexed per name; names are 1–50 characters
_NAME_PUNCTUATION = frozenset(" ·'-.’")

BY_NAME, BY_PHONE_TAIL, BY_ID = "name", "phone_tail", "registration_id"


def name_key(name: str) -> str:
    """The form names are compared in: NFKC, case-folded, without spaces or name punctuation."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if ch not in _NAME_PUNCTUATION and not ch.isspace())


def name_terms(name: str) -> list[str]:
    """The index terms of a name: its distinct characters, in order of first appearance."""
    seen: list[str] = []
    for ch in name_key(name):
        if ch not in seen:
            seen.append(ch)
        if len(seen) == MAX_NAME_TERMS:
            break
    return [f"C#{ch}" for ch in seen]


def phone_tail_term(tail_tag: str) -> str:
    return f"P#{tail_tag}"


@dataclass(frozen=True)
class SearchQuery:
    kind: str
    text: str  # the name key, the four digits, or the registration id

    @property
    def name_term(self) -> str:
        """The index term a name search reads: its least common-looking character. Surnames
        repeat far more than given names, so the query's last character narrows best."""
        return f"C#{self.text[-1]}"


def parse_query(raw: str) -> SearchQuery | None:
    """What a search text asks for; None when nothing searchable is left of it."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if len(text) == 4 and text.isascii() and text.isdigit():
        return SearchQuery(BY_PHONE_TAIL, text)
    if REGISTRATION_ID.fullmatch(text.upper()):
        return SearchQuery(BY_ID, text.upper())
    key = name_key(text)
    return SearchQuery(BY_NAME, key) if key else None
