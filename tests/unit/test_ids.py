"""IDs: python-ulid ULIDs (26 Crockford base32 chars), unique and strictly increasing within a process."""

from __future__ import annotations

import itertools
import re
import threading
import time

import pytest

from workengine.domain import ids
from workengine.domain.ids import new_id, new_ulid

ULID_RE = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def timestamp_ms(ulid: str) -> int:
    value = 0
    for char in ulid[:10]:
        value = value * 32 + CROCKFORD.index(char)
    return value


def test_shape_and_current_time() -> None:
    before = time.time_ns() // 1_000_000
    ulid = new_ulid()
    after = time.time_ns() // 1_000_000
    assert ULID_RE.match(ulid)
    assert before <= timestamp_ms(ulid) <= after


def test_strictly_increasing_over_100k_most_within_one_millisecond() -> None:
    # Given many IDs made back to back (the audit events of one request are made like this)
    values = [new_ulid() for _ in range(100_000)]

    # Then they sort exactly in the order they were made, with no repeat
    assert all(a < b for a, b in itertools.pairwise(values))
    assert len({timestamp_ms(v) for v in values}) < len(values)  # same-millisecond IDs were made


def test_strictly_increasing_across_threads() -> None:
    made: list[list[str]] = [[] for _ in range(4)]

    def make(into: list[str]) -> None:
        into.extend(new_ulid() for _ in range(5_000))

    threads = [threading.Thread(target=make, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [value for values in made for value in values]
    assert len(set(everything)) == len(everything)
    assert all(values == sorted(values) for values in made)


def test_order_survives_a_clock_that_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the wall clock jumps back by a second between two IDs
    first = new_ulid()
    real = time.time_ns
    monkeypatch.setattr(ids.time, "time_ns", lambda: real() - 1_000_000_000)

    # Then the next ID still sorts after the first
    assert new_ulid() > first


def test_new_id_prefix() -> None:
    values = [new_id("t") for _ in range(1_000)]
    assert all(v.startswith("t_") and ULID_RE.match(v[2:]) for v in values)
    assert values == sorted(values)
