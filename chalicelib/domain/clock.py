"""Time as the organisers see it: Asia/Shanghai, ISO 8601 with an offset."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# Asia/Shanghai has been UTC+8 without DST since 1991; a fixed offset needs no tz database.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def now() -> datetime:
    return datetime.now(SHANGHAI)


def to_shanghai_iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def now_iso() -> str:
    return to_shanghai_iso(now())


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value)
