"""Request counting through botocore's event hooks (``before-call``).

A client copies its session's hooks when it is created, so the counter is installed on the shared
session once, at import, before any client exists; ``count_requests`` only switches it on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from workengine.dal import aws


class RequestCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.active = False

    def __call__(self, model: Any, **_: Any) -> None:
        if self.active:
            self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def count(self, service: str, operation: str | None = None) -> int:
        if operation:
            return self.calls[f"{service}.{operation}"]
        return sum(n for key, n in self.calls.items() if key.startswith(f"{service}."))


_COUNTER = RequestCounter()
aws.session().events.register("before-call", _COUNTER, unique_id="workengine-test-counter")


@contextmanager
def count_requests() -> Iterator[RequestCounter]:
    _COUNTER.calls.clear()
    _COUNTER.active = True
    try:
        yield _COUNTER
    finally:
        _COUNTER.active = False
