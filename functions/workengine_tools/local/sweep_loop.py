"""The local server's stand-in for the EventBridge schedule: the same sweep, on a short timer."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from workengine.observability import logger
from workengine.settings import Settings


def sweep_loop(settings: Settings, stop: threading.Event) -> None:
    from workengine.handlers.sweep import run_sweep

    while not stop.wait(settings.local_sweep_interval_seconds):
        try:
            run_sweep(datetime.now(UTC))
        except Exception:  # a failed sweep is retried on the next tick, as the schedule would
            logger.exception("local sweep failed")
