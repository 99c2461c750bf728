"""The in-process backend the benchmark runs on: moto ``mock_aws``, the real API ``lambda_handler`` and
botocore hooks that count and record every DynamoDB request the handler makes.

The hooks go on the shared session (``workengine.dal.aws.session()``) before any client exists: a client
copies its session's hooks when it is created, so ``BenchBackend`` installs them before
``moto_environment`` resets the API's cached clients.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Imported before anything here creates the shared session: moto's stubber reaches a session through
# botocore's built-in handlers only if moto was imported when the session was created.
from moto import mock_aws

BENCH_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "WorkEngineBench",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "WORKENGINE_TABLE_NAME": "workengine-bench",
}
HOOK_ID = "workengine-bench-recorder"


def repo_content_dir() -> Path:
    """The six real templates under ``content/``: the benchmark measures what users run."""
    from workengine.catalog.loader import REPO_CONTENT_DIR

    return REPO_CONTENT_DIR


@dataclass
class RecordedCall:
    operation: str  # botocore operation name, e.g. "Query"
    params: dict[str, Any]


@dataclass
class DynamoRecorder:
    """Counts DynamoDB requests (``before-call``) and records their parameters (``provide-client-params``)
    while ``active``; the floor replays the recorded parameters with a plain boto3 client."""

    active: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    calls: list[RecordedCall] = field(default_factory=list)

    def on_before_call(self, model: Any, **_: Any) -> None:
        if self.active and model.service_model.service_name == "dynamodb":
            self.counts[model.name] += 1

    def on_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.active and model.service_model.service_name == "dynamodb":
            self.calls.append(RecordedCall(model.name, copy.deepcopy(params)))

    @contextlib.contextmanager
    def recording(self) -> Iterator[DynamoRecorder]:
        self.counts.clear()
        self.calls.clear()
        self.active = True
        try:
            yield self
        finally:
            self.active = False


RECORDER = DynamoRecorder()


@dataclass
class ItemReads:
    """Items DynamoDB returned while ``active`` (paged reads' ``Count``, BatchGetItem results, GetItem hits),
    as botocore's ``after-call.dynamodb`` hook; ``query_items`` is the Query ``Count`` alone."""

    active: bool = False
    items: int = 0
    query_items: int = 0
    requests: int = 0

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if not self.active:
            return
        self.requests += 1
        if "Count" in parsed:  # paged reads report how many items they returned
            count = int(parsed["Count"])
            self.items += count
            if model.name == "Query":
                self.query_items += count
        elif model.name == "BatchGetItem":
            self.items += sum(len(found) for found in parsed.get("Responses", {}).values())
        elif model.name == "GetItem" and "Item" in parsed:
            self.items += 1

    @contextlib.contextmanager
    def counting(self) -> Iterator[ItemReads]:
        self.items = self.query_items = self.requests = 0
        self.active = True
        try:
            yield self
        finally:
            self.active = False


def install_hooks() -> None:
    from workengine.dal import aws

    events = aws.session().events
    events.register("before-call", RECORDER.on_before_call, unique_id=f"{HOOK_ID}-count")
    events.register("provide-client-params", RECORDER.on_params, unique_id=f"{HOOK_ID}-params")


@dataclass(frozen=True)
class HandlerResult:
    status: int
    body: Any
    seconds: float


class BenchBackend:
    """Environment + ``mock_aws`` + provisioned table; calls the real handler and a bare client."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self.floor_client: Any = None

    def __enter__(self) -> BenchBackend:
        install_hooks()
        self._stack.enter_context(moto_environment(repo_content_dir()))
        from workengine.dal.aws import client

        self.floor_client = client("dynamodb")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def table_name(self) -> str:
        from workengine.settings import get_settings

        return get_settings().table_name

    def call(
        self,
        method: str,
        path: str,
        *,
        caller: dict[str, str],
        body: Any = None,
        query: dict[str, str] | None = None,
    ) -> HandlerResult:
        """One timed ``lambda_handler`` call; the event is built before the clock starts."""
        from workengine.handlers.api.app import lambda_handler
        from workengine_tools.local.events import LocalLambdaContext, http_api_event

        event = http_api_event(method, path, query=query, body=body, claims=caller)
        context = LocalLambdaContext()
        sink = io.StringIO()  # Powertools prints EMF metrics to stdout; keep the table readable
        with contextlib.redirect_stdout(sink):
            start = time.perf_counter()
            response = lambda_handler(event, context)
            seconds = time.perf_counter() - start
        raw = response.get("body") or ""
        return HandlerResult(int(response["statusCode"]), json.loads(raw) if raw else None, seconds)

    def item_keys(self) -> set[tuple[str, str]]:
        """Every key in the table (the benchmark's own bookkeeping; the API never scans)."""
        keys: set[tuple[str, str]] = set()
        paginator = self.floor_client.get_paginator("scan")
        for page in paginator.paginate(TableName=self.table_name, ProjectionExpression="pk, sk"):
            keys.update((item["pk"]["S"], item["sk"]["S"]) for item in page.get("Items", []))
        return keys

    @contextlib.contextmanager
    def scratch(self) -> Iterator[None]:
        """Items written inside are deleted on exit. moto's TransactWriteItems deep-copies the whole
        table once per operation in the transaction, so a growing table would swamp every write."""
        before = self.item_keys()
        try:
            yield
        finally:
            self.put_or_delete(delete=sorted(self.item_keys() - before))

    def put_or_delete(
        self, *, put: list[dict[str, Any]] | None = None, delete: list[tuple[str, str]] | None = None
    ) -> None:
        requests: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in put or []]
        requests += [
            {"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}} for pk, sk in delete or []
        ]
        for start in range(0, len(requests), 25):
            self.floor_client.batch_write_item(RequestItems={self.table_name: requests[start : start + 25]})

    def replay(self, calls: list[RecordedCall]) -> float:
        """The floor: the same DynamoDB requests issued directly with a boto3 client, timed."""
        from botocore import xform_name

        methods = [(getattr(self.floor_client, xform_name(call.operation)), call.params) for call in calls]
        start = time.perf_counter()
        for method, params in methods:
            method(**params)
        return time.perf_counter() - start


@contextlib.contextmanager
def moto_environment(content_path: Path | None = None) -> Iterator[None]:
    """The bench's fake credentials, region, quiet Powertools and table name (and ``content_path`` as the
    catalog, when given) in ``os.environ``, without ``AWS_ENDPOINT_URL`` so clients reach ``mock_aws``;
    the API's cached clients and settings reset, then table, bucket and bus provisioned. The environment
    and the caches are restored on exit. Register botocore hooks on the shared session before entering."""
    from workengine import composition
    from workengine.settings import get_settings
    from workengine_tools.local.backend import provision

    env = dict(BENCH_ENV)
    if content_path is not None:
        env["WORKENGINE_CONTENT_PATH"] = str(content_path)
    saved = {name: os.environ.get(name) for name in [*env, "AWS_ENDPOINT_URL"]}
    # Reads publish no metric; Powertools warns about that on every call.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    try:
        os.environ.update(env)
        os.environ.pop("AWS_ENDPOINT_URL", None)
        with mock_aws():
            composition.reset()
            provision(get_settings())
            yield
    finally:
        composition.reset()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def caller_claims(tenant_id: str, user_id: str, role: str) -> dict[str, str]:
    return {"sub": user_id, "custom:tenant_id": tenant_id, "custom:role": role}


def substitute(calls: list[RecordedCall], mapping: dict[str, str]) -> list[RecordedCall]:
    """The same requests aimed at twin entities: every occurrence of each old ID becomes the new one.

    IDs are unique ULIDs, so a textual replacement cannot touch anything else.
    """
    if not mapping:
        return calls
    out = []
    for call in calls:
        text = json.dumps(call.params)
        for old, new in mapping.items():
            text = text.replace(old, new)
        out.append(RecordedCall(call.operation, json.loads(text)))
    return out
