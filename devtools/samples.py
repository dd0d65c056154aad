"""Sample request bodies for tests and benchmarks: a valid event and registration, unique phones."""
from __future__ import annotations

import threading
import uuid
from typing import Any


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": f"t-{uuid.uuid4().hex[:12]}",
        "kind": "award_ceremony",
        "title": "测试颁奖典礼",
        "venue": "测试演播厅",
        "starts_at": "2027-03-01T19:00:00+08:00",
        "ends_at": "2027-03-01T21:00:00+08:00",
        "capacity": 10,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


_phone_counter = iter(range(10_000_000, 99_999_999))
_phone_lock = threading.Lock()


def unique_phone() -> str:
    with _phone_lock:
        return f"139{next(_phone_counter):08d}"


def registration_body(kind: str = "award_ceremony", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "张三",
        "phone": unique_phone(),
        "role": "guest" if kind == "award_ceremony" else "collector",
        "consent": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}
