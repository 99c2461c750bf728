"""A page of results and the position after it (opaque to clients once encoded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

ItemT = TypeVar("ItemT")

Cursor = dict[str, str]


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    items: list[ItemT]
    cursor: Cursor | None
