"""Retry policies with jittered, bounded exponential backoff (tenacity), shared by the services (conflicts
with a sibling writer) and the data-access layer (unprocessed batch items, failed event entries).

Each policy re-raises the last error once its attempts are spent, so callers see the real failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    wait_random_exponential,
)

T = TypeVar("T")
R = TypeVar("R")

# Writers of different tasks of one bundle serialise on the bundle's revision: with k of them at once
# each round lets at least one through, so a burst of k parallel writers of one bundle needs up to k
# attempts; the jitter spreads them out. 30 attempts wait at most ~14 s in all (waits are capped at
# 0.5 s), inside API Gateway's 29 s; on DynamoDB a round takes tens of milliseconds.
CONFLICT_ATTEMPTS = 30
CONFLICT_WAIT = wait_random_exponential(multiplier=0.02, max=0.5)
# DynamoDB batch leftovers (UnprocessedItems/Keys) and EventBridge failed entries: AWS asks for
# exponential backoff; 8 attempts wait at most ~5 s in total.
BATCH_ATTEMPTS = 8
BATCH_WAIT = wait_random_exponential(multiplier=0.05, max=1.0)


def retry_while(
    retryable: Callable[[BaseException], bool],
    call: Callable[[], T],
    *,
    attempts: int = CONFLICT_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()`` again after a jittered backoff while it raises an error ``retryable`` accepts, at most
    ``attempts`` times in all; the last error propagates."""
    retrying = Retrying(
        retry=retry_if_exception(retryable),
        stop=stop_after_attempt(attempts),
        wait=CONFLICT_WAIT,
        sleep=sleep,
        reraise=True,
    )
    return retrying(call)


def resend_leftovers(
    send: Callable[[R], R | None],
    request: R,
    *,
    attempts: int = BATCH_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> R | None:
    """``send(request)`` returns the part of the request that was not processed (UnprocessedItems,
    UnprocessedKeys, failed entries), or nothing; that part is sent again after a jittered backoff, at
    most ``attempts`` sends in all. Returns what is still unprocessed then (None when all went through);
    errors ``send`` raises propagate at once."""
    pending: list[R | None] = [request]

    def attempt() -> R | None:
        assert pending[0] is not None
        pending[0] = send(pending[0]) or None
        return pending[0]

    retrying = Retrying(
        retry=retry_if_result(lambda left: left is not None),
        stop=stop_after_attempt(attempts),
        wait=BATCH_WAIT,
        sleep=sleep,
        retry_error_callback=lambda _state: pending[0],
    )
    return retrying(attempt)
