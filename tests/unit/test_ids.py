"""ULID-layout IDs: 26 Crockford base32 chars, sortable by time, unique."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from workengine.domain.ids import new_id, new_ulid

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_RE = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
MAX_MS = (1 << 48) - 1

timestamps = st.integers(min_value=0, max_value=MAX_MS)
randomness = st.binary(min_size=10, max_size=10)


def decode(ulid: str) -> int:
    value = 0
    for char in ulid:
        value = value * 32 + CROCKFORD.index(char)
    return value


def test_shape() -> None:
    ulid = new_ulid()
    assert len(ulid) == 26
    assert ULID_RE.match(ulid)
    assert not set(ulid) & set("ILOU")


def test_known_value() -> None:
    assert new_ulid(0, bytes(10)) == "0" * 26
    assert new_ulid(MAX_MS, b"\xff" * 10) == "7" + "Z" * 25
    assert new_ulid(1, bytes(10)) == "0000000001" + "0" * 16
    assert new_ulid(0, bytes(9) + b"\x01") == "0" * 25 + "1"


@given(timestamps, randomness)
def test_round_trip_layout(ms: int, rand: bytes) -> None:
    ulid = new_ulid(ms, rand)
    assert ULID_RE.match(ulid)
    value = decode(ulid)
    assert value >> 80 == ms
    assert value & ((1 << 80) - 1) == int.from_bytes(rand, "big")


@given(timestamps, timestamps, randomness, randomness)
def test_sorts_by_time(ms_a: int, ms_b: int, rand_a: bytes, rand_b: bytes) -> None:
    a, b = new_ulid(ms_a, rand_a), new_ulid(ms_b, rand_b)
    if ms_a < ms_b:
        assert a < b
    elif ms_a > ms_b:
        assert a > b
    else:
        assert a[:10] == b[:10]


def test_sorts_by_given_timestamps_regardless_of_randomness() -> None:
    base = 1_700_000_000_000
    ulids = [new_ulid(base + i, bytes([255 - i]) * 10) for i in range(50)]
    assert ulids == sorted(ulids)


def test_current_time_is_used() -> None:
    import time

    before = int(time.time() * 1000)
    ulid = new_ulid()
    after = int(time.time() * 1000)
    assert before <= decode(ulid) >> 80 <= after


def test_unique_over_10k() -> None:
    values = [new_ulid() for _ in range(10_000)]
    assert len(set(values)) == 10_000
    assert all(ULID_RE.match(v) for v in values)


def test_unique_over_10k_within_one_millisecond() -> None:
    values = {new_ulid(1_700_000_000_000) for _ in range(10_000)}
    assert len(values) == 10_000


def test_new_id_prefix() -> None:
    ids = [new_id("t") for _ in range(10_000)]
    assert all(i.startswith("t_") and ULID_RE.match(i[2:]) for i in ids)
    assert len(set(ids)) == 10_000
    assert new_id("b").startswith("b_")
