"""Sortable unique IDs: ULIDs from python-ulid, strictly increasing within this process.

Within one millisecond python-ulid's monotonic generator increments the random part instead of drawing
a new one, so IDs made one after another (the audit events of one request) sort in the order they were
made. A clock that steps back is held at the last millisecond used, so the order survives that too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ulid import StrictMonotonicPolicy, ULIDGenerator

IdFactory = Callable[[str], str]


class _ForwardClock:
    """Milliseconds since the epoch, never less than the last value returned (callers hold _LOCK)."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        self._last = max(self._last, time.time_ns() // 1_000_000)
        return self._last


_GENERATOR = ULIDGenerator(clock=_ForwardClock(), policy=StrictMonotonicPolicy())
# The generator reads its clock outside its own lock, so two threads could resolve their milliseconds
# out of order; one lock around the whole generation keeps IDs increasing across threads too.
_LOCK = threading.Lock()


def new_ulid() -> str:
    """A 26-character ULID (Crockford base32), greater than every ULID this process made before."""
    with _LOCK:
        return str(_GENERATOR.generate())


def new_id(prefix: str) -> str:
    """``b_01J...`` style: a short type prefix keeps IDs recognisable in logs and exports."""
    return f"{prefix}_{new_ulid()}"
