"""Without an export worker function (``workengine serve``, the tests), ``POST /exports`` hands the run to
this in-process executor instead of an asynchronous Lambda invocation: one worker thread runs the export."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_EXECUTOR: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workengine-export")
    return _EXECUTOR


class InProcessExportDispatcher:
    """An ``ExportDispatcher`` that runs ``run(tenant_id, export_id)`` on the background thread."""

    def __init__(self, run: Callable[[str, str], Any]) -> None:
        self._run = run

    def __call__(self, tenant_id: str, export_id: str) -> Future[Any]:
        return _executor().submit(self._run, tenant_id, export_id)
