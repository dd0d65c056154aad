"""How often a service tries again after a concurrent write, and how long it waits."""

from __future__ import annotations

import random
import time

MAX_ATTEMPTS = 6


def backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.02 * (2**attempt)))  # full jitter
