"""Background loops the local server runs beside the API (what queues and async invocations do in AWS).

Each loop is ``loop(settings, stop: threading.Event) -> None`` and returns when ``stop`` is set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from workengine.settings import Settings

BackgroundLoop = Callable[[Settings, threading.Event], None]


def background_loops() -> list[BackgroundLoop]:
    """The loops to run; modules add theirs here (imported lazily to keep ``serve`` start-up light)."""
    loops: list[BackgroundLoop] = []
    from workengine_tools.local.assistant_backend import jobs_loop, s3_events_loop
    from workengine_tools.local.content_watch import content_loop
    from workengine_tools.local.event_triggers import event_triggers_loop
    from workengine_tools.local.notifier_backend import notifier_loop
    from workengine_tools.local.stream_drain import stream_loop
    from workengine_tools.local.sweep_loop import sweep_loop

    loops.extend(
        [s3_events_loop, jobs_loop, notifier_loop, sweep_loop, content_loop, event_triggers_loop, stream_loop]
    )
    return loops


def start_background(settings: Settings, stop: threading.Event) -> list[threading.Thread]:
    threads = []
    for loop in background_loops():
        thread = threading.Thread(
            target=loop, args=(settings, stop), daemon=True, name=getattr(loop, "__name__", "bg")
        )
        thread.start()
        threads.append(thread)
    return threads
