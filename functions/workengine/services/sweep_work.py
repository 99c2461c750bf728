"""Units of sweep work, the time budget that bounds one invocation, and the port that hands work on.

The due index has ``DUE_SHARDS`` time-ordered partitions; a ``ShardWork`` is "sweep this shard as of
``now``, starting after ``cursor``". The scheduled sweep fans one out per shard; a worker that runs low
on time hands its remainder on as a new ``ShardWork`` carrying the cursor where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from workengine.domain.paging import Cursor

if TYPE_CHECKING:
    from workengine.domain.sweep_shards import ShardWork


class SweepHandover(Protocol):
    """Where work goes that this invocation leaves to another (the sweep queue in AWS)."""

    def hand_over(self, work: Sequence[ShardWork]) -> None: ...


class Budget(Protocol):
    def exhausted(self) -> bool: ...


class Unlimited:
    """No time limit (the CLI, the local server, tests)."""

    def exhausted(self) -> bool:
        return False


UNLIMITED = Unlimited()


class RemainingTimeBudget:
    """Exhausted once less than ``reserve_ms`` is left of the invocation: enough to finish the page in
    hand, publish its reminders and hand the rest on. ``remaining_ms`` is Lambda's
    ``context.get_remaining_time_in_millis``."""

    def __init__(self, remaining_ms: Callable[[], int], reserve_ms: int) -> None:
        self._remaining_ms = remaining_ms
        self._reserve_ms = reserve_ms

    def exhausted(self) -> bool:
        return self._remaining_ms() < self._reserve_ms


class DeadlineBudget:
    """Exhausted after ``seconds`` of wall time from creation (the benchmark's stand-in for Lambda)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._deadline = clock() + seconds

    def exhausted(self) -> bool:
        return self._clock() >= self._deadline


def shard_works(now: datetime, shards: int) -> list[ShardWork]:
    from workengine.domain.sweep_shards import ShardWork  # a pydantic model: the sweep's import stays without

    return [ShardWork(now=now, shard=shard) for shard in range(shards)]


PageT = TypeVar("PageT")
DuePage = Callable[[int, datetime, Cursor | None, int], tuple[list[PageT], Cursor | None]]


def due_pages(
    read_page: DuePage[PageT], now: datetime, *, shards: int, page_size: int, budget: Budget
) -> Iterator[list[PageT]]:
    """Every page of a due-index partition family (``read_page(shard, now, cursor, limit)``), shard by
    shard: the first page of each shard always (every run makes progress), further pages until the shard
    is drained or ``budget`` is spent (what is left stays due for the next sweep)."""
    for shard in range(shards):
        cursor: Cursor | None = None
        while True:
            page, cursor = read_page(shard, now, cursor, page_size)
            yield page
            if cursor is None or budget.exhausted():
                break
