"""Optimistic locking's one rule: a changed item is stored with the next version, conditioned on the
version it was read at (the data-access layer checks that one)."""

from __future__ import annotations

from typing import Protocol


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


def next_version(read: Versioned) -> int:
    """The version a change of ``read`` is stored with."""
    return read.version + 1
