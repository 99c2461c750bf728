"""The API operations the benchmark measures.

Add an operation by appending a factory to ``operation_factories`` (or passing your own list to a
figure). An operation seeds what it reads in ``setup`` and builds, untimed, one request per ``prepare``
together with the ID mapping that aims the same DynamoDB requests at an identical twin for the floor.
Operations that write (``writes = True``) run each trial in a scratch scope the harness cleans up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from workengine_tools.bench.harness import RECORDER, BenchBackend, HandlerResult, caller_claims, substitute

TENANT = "bench"
USER = "mia"
MEMBER = caller_claims(TENANT, USER, "member")
ANCHOR_DATE = "2026-12-14"
SIMPLE_PROOFS: dict[str, dict[str, str]] = {
    "url": {"url": "https://example.com/proof"},
    "comment": {"comment": "done"},
    "external_status": {"external_status": "confirmed"},
}

TwinMapping = Callable[[HandlerResult], dict[str, str]]


def no_twin(_result: HandlerResult) -> dict[str, str]:
    return {}


@dataclass
class Trial:
    method: str
    path: str
    body: Any = None
    query: dict[str, str] | None = None
    caller: dict[str, str] = field(default_factory=lambda: dict(MEMBER))
    twin: TwinMapping = no_twin
    expect_status: int = 200
    # Creates: the handler's items are removed before the floor runs, so both see the same table.
    reset_before_floor: bool = False


class Operation(Protocol):
    name: str
    writes: bool

    def setup(self, backend: BenchBackend) -> None: ...

    def prepare(self, backend: BenchBackend) -> Trial: ...


def create_body(template_id: str, title: str = "Bench bundle") -> dict[str, Any]:
    """Every role of the template is assigned to the bench user, so "my tasks" has work to list."""
    from workengine import composition

    template = composition.container().catalog.get(template_id)
    assert template is not None, template_id
    roles = {task.default_assignee for task in template.tasks if task.default_assignee}
    return {
        "template_id": template_id,
        "title": title,
        "anchor_date": ANCHOR_DATE,
        "assignees": dict.fromkeys(sorted(roles), USER),
        "inputs": dict(template.examples[0].inputs) if template.examples else {},
    }


def create_bundle(backend: BenchBackend, template_id: str) -> dict[str, Any]:
    result = backend.call("POST", "/bundles", caller=MEMBER, body=create_body(template_id))
    if result.status != 201:
        raise RuntimeError(f"seeding a {template_id} bundle failed: {result.status} {result.body}")
    return dict(result.body)


def fresh_ids(result: HandlerResult) -> dict[str, str]:
    """A created bundle's IDs mapped to new ones: the floor re-creates the same items under new keys."""
    from workengine.domain.ids import new_id

    body = result.body or {}
    mapping = {body["bundle"]["bundle_id"]: new_id("b")}
    mapping.update({task["task_id"]: new_id("t") for task in body.get("tasks", [])})
    return mapping


def seed_bundles(backend: BenchBackend, template_id: str, count: int) -> None:
    """One bundle through the handler, the rest as copies of its items under fresh IDs (BatchWriteItem:
    seeding through transactions would cost quadratic time on moto)."""
    with RECORDER.recording() as recorded:
        result = backend.call("POST", "/bundles", caller=MEMBER, body=create_body(template_id))
    if result.status != 201:
        raise RuntimeError(f"seeding a {template_id} bundle failed: {result.status} {result.body}")
    writes = [call for call in recorded.calls if call.operation == "TransactWriteItems"]
    for _ in range(count - 1):
        for call in substitute(writes, fresh_ids(result)):
            backend.put_or_delete(
                put=[op["Put"]["Item"] for op in call.params["TransactItems"] if "Put" in op]
            )


@dataclass
class CreateBundle:
    template_id: str
    task_count: int
    name: str = ""
    writes: bool = True

    def __post_init__(self) -> None:
        self.name = f"create bundle ({self.template_id}, {self.task_count} tasks)"

    def setup(self, backend: BenchBackend) -> None:
        pass

    def prepare(self, backend: BenchBackend) -> Trial:
        return Trial(
            "POST",
            "/bundles",
            body=create_body(self.template_id),
            twin=fresh_ids,
            expect_status=201,
            reset_before_floor=True,
        )


@dataclass
class GetBundle:
    template_id: str
    name: str = "get bundle"
    writes: bool = False
    _bundle_id: str = ""

    def setup(self, backend: BenchBackend) -> None:
        self._bundle_id = create_bundle(backend, self.template_id)["bundle"]["bundle_id"]

    def prepare(self, backend: BenchBackend) -> Trial:
        return Trial("GET", f"/bundles/{self._bundle_id}")


@dataclass
class ListMyTasks:
    template_id: str
    name: str = "list my tasks (page of 25)"
    writes: bool = False

    def setup(self, backend: BenchBackend) -> None:
        seed_bundles(backend, self.template_id, 3)

    def prepare(self, backend: BenchBackend) -> Trial:
        return Trial("GET", "/tasks", query={"assignee": "me", "status": "todo", "limit": "25"})


@dataclass
class ListBundles:
    template_id: str
    name: str = "list bundles (page of 25)"
    writes: bool = False

    def setup(self, backend: BenchBackend) -> None:
        seed_bundles(backend, self.template_id, 30)

    def prepare(self, backend: BenchBackend) -> Trial:
        return Trial("GET", "/bundles", query={"limit": "25"})


def completable(task: dict[str, Any]) -> bool:
    return not task["depends_on"] and all(kind in SIMPLE_PROOFS for kind in task["proof_required"])


@dataclass
class CompleteTask:
    """Marks a task done with its proof; the twin is a second bundle of the same template."""

    template_id: str
    name: str = "complete task (with proof)"
    writes: bool = True

    def setup(self, backend: BenchBackend) -> None:
        pass

    def prepare(self, backend: BenchBackend) -> Trial:
        first, twin = create_bundle(backend, self.template_id), create_bundle(backend, self.template_id)
        task = next(t for t in first["tasks"] if completable(t))
        proof: dict[str, Any] = {}
        for kind in task["proof_required"]:
            proof.update(SIMPLE_PROOFS[kind])
        mapping = {first["bundle"]["bundle_id"]: twin["bundle"]["bundle_id"]}
        twin_tasks = {t["template_task_ref"]: t["task_id"] for t in twin["tasks"]}
        mapping.update({t["task_id"]: twin_tasks[t["template_task_ref"]] for t in first["tasks"]})
        body = {"status": "done", "proof": proof, "expected_version": task["version"]}
        return Trial("PATCH", f"/tasks/{task['task_id']}", body=body, twin=lambda _result: mapping)


@dataclass
class CompleteFlippingTask:
    """Completes the renewal's usage review with a low risk: the conditions of the escalation and the
    rescue plan (both read its ``risk_level`` field) flip to ``not_met`` in the same write."""

    template_id: str = "customer-renewal"
    task_key: str = "usage_review"
    name: str = "complete a task that flips two conditions"
    writes: bool = True

    def setup(self, backend: BenchBackend) -> None:
        pass

    def _ready(self, backend: BenchBackend) -> dict[str, Any]:
        created = create_bundle(backend, self.template_id)
        first = next(t for t in created["tasks"] if t["template_task_ref"] == "health_check")
        body = {"status": "done", "proof": SIMPLE_PROOFS["comment"]}
        result = backend.call("PATCH", f"/tasks/{first['task_id']}", caller=MEMBER, body=body)
        if result.status != 200:
            raise RuntimeError(f"preparing {self.name} failed: {result.status} {result.body}")
        return created

    def prepare(self, backend: BenchBackend) -> Trial:
        first, twin = self._ready(backend), self._ready(backend)
        task = next(t for t in first["tasks"] if t["template_task_ref"] == self.task_key)
        mapping = {first["bundle"]["bundle_id"]: twin["bundle"]["bundle_id"]}
        twin_tasks = {t["template_task_ref"]: t["task_id"] for t in twin["tasks"]}
        mapping.update({t["task_id"]: twin_tasks[t["template_task_ref"]] for t in first["tasks"]})
        body = {"status": "done", "proof": SIMPLE_PROOFS["comment"], "fields": {"risk_level": "low"}}
        return Trial("PATCH", f"/tasks/{task['task_id']}", body=body, twin=lambda _result: mapping)


def flipping_task(_reference: str) -> Operation:
    return CompleteFlippingTask()


@dataclass
class TriggerBundle:
    """``POST /events`` with a new event ID: the bundle of each template the detail type triggers (the
    renewal's ``RenewalWindowOpened`` starts one bundle) — the requests per triggered bundle."""

    detail_type: str = "RenewalWindowOpened"
    name: str = "trigger a bundle (POST /events)"
    writes: bool = True
    _count: int = 0

    def setup(self, backend: BenchBackend) -> None:
        pass

    def prepare(self, backend: BenchBackend) -> Trial:
        from workengine.handlers.api import dependencies as deps

        (template,) = [t for t in deps.catalog().list() if t.event_trigger(self.detail_type)]
        trigger = template.event_trigger(self.detail_type)
        assert trigger is not None
        roles = {task.default_assignee for task in template.tasks if task.default_assignee}
        detail: dict[str, Any] = {trigger.anchor_field: ANCHOR_DATE}
        if trigger.assignees_field:
            detail[trigger.assignees_field] = dict.fromkeys(sorted(roles), USER)
        self._count += 1
        body = {"event_id": f"bench-{self._count}", "detail_type": self.detail_type, "detail": detail}
        return Trial("POST", "/events", body=body, expect_status=202, reset_before_floor=True)


def triggered_bundle(_reference: str) -> Operation:
    return TriggerBundle()


# Extension point: factories taking the reference template id (artifacts, jobs, reminders later).
operation_factories: list[Callable[[str], Operation]] = [
    GetBundle,
    ListMyTasks,
    CompleteTask,
    flipping_task,
    ListBundles,
    triggered_bundle,
]


def default_operations(quick: bool = False) -> list[Operation]:
    """Create for each real template (sizes differ), then the reads and the write users do most;
    ``quick`` keeps only the smallest and the largest template for create."""
    from workengine import composition

    templates = sorted(
        composition.container().catalog.list(),
        key=lambda template: (len(template.tasks), template.template_id),
    )
    sized = [templates[0], templates[-1]] if quick else templates
    operations: list[Operation] = [CreateBundle(t.template_id, len(t.tasks)) for t in sized]
    reference = templates[-1].template_id
    operations.extend(factory(reference) for factory in operation_factories)
    return operations


def run_trial(backend: BenchBackend, operation: Operation, trial: Trial) -> HandlerResult:
    """The prepared request through the handler; a wrong status stops the run (numbers would lie)."""
    result = backend.call(trial.method, trial.path, caller=trial.caller, body=trial.body, query=trial.query)
    if result.status != trial.expect_status:
        raise RuntimeError(
            f"{operation.name}: expected {trial.expect_status}, got {result.status} {result.body}"
        )
    return result
