"""Locally, ``POST /exports`` hands the run to this in-process executor instead of an asynchronous
Lambda invocation: one worker thread calls the same export worker handler AWS invokes."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_EXECUTOR: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workengine-export")
    return _EXECUTOR


def _run(tenant_id: str, export_id: str) -> Any:
    from workengine.handlers.export_worker import lambda_handler
    from workengine.local.events import LocalLambdaContext

    return lambda_handler({"tenant_id": tenant_id, "export_id": export_id}, LocalLambdaContext())


def dispatch_in_process(tenant_id: str, export_id: str) -> Future[Any]:
    return _executor().submit(_run, tenant_id, export_id)
