"""``--seed-demo``: a demo tenant with bundles from several templates in varied states."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from workengine.dal.showcase_markers import DynamoShowcaseMarkers
from workengine.domain.entities import Task
from workengine.domain.enums import BundleStatus, ProofKind, Role, TaskStatus
from workengine.domain.errors import WorkEngineError
from workengine.domain.fields import FieldType
from workengine.domain.identity import Identity
from workengine.domain.instantiation import USER_PREFIX, NewBundleRequest
from workengine.domain.showcase import MarkerStatus, ShowcaseMarker
from workengine.domain.task_rules import ProofChange, TaskChange
from workengine.domain.template import WorkflowTemplate
from workengine.services.bundle_service import BundleChange, BundleService
from workengine.services.task_service import TaskService

DEMO_TENANT = "demo"
DEMO_MARKER = "demo"  # the marker of the demo bundles, beside the showcases' markers
DEMO_ADMIN = "alice"
DEMO_MEMBER = "bob"


def template_roles(template: WorkflowTemplate) -> set[str]:
    roles = {template.owner_role}
    for definition in template.tasks:
        if definition.default_assignee and not definition.default_assignee.startswith(USER_PREFIX):
            roles.add(definition.default_assignee)
    return roles


def _proof_for(task: Task) -> ProofChange:
    fields: dict[str, object] = {}
    if ProofKind.URL in task.proof_required:
        fields["url"] = "https://docs.example.com/demo/evidence"
    if ProofKind.COMMENT in task.proof_required:
        fields["comment"] = "Done in the demo seed."
    if ProofKind.EXTERNAL_STATUS in task.proof_required:
        fields["external_status"] = "approved"
    return ProofChange(fields=fields)


def _required_fields_for(task: Task) -> dict[str, Any]:
    """A plausible value for each required field, so demo completions pass ``MISSING_FIELDS``."""
    samples: dict[FieldType, Any] = {
        FieldType.TEXT: "Recorded in the demo seed.",
        FieldType.NUMBER: 1,
        FieldType.DATE: datetime.now(UTC).date().isoformat(),
        FieldType.BOOLEAN: True,
        FieldType.URL: "https://docs.example.com/demo/field",
        FieldType.USER: DEMO_MEMBER,
    }
    values: dict[str, Any] = {}
    for spec in task.field_specs:
        if not spec.required:
            continue
        if spec.type is FieldType.CHOICE:
            values[spec.key] = (spec.choices or [""])[0]
        elif spec.type is FieldType.NUMBER:
            values[spec.key] = spec.min if spec.min is not None else 1
        else:
            values[spec.key] = samples[spec.type]
    return values


def _complete_ready_tasks(
    tasks_service: TaskService, identity: Identity, tasks: list[Task], count: int
) -> None:
    done: set[str] = set()
    for task in tasks:
        if len(done) >= count:
            return
        if ProofKind.ARTIFACT in task.proof_required or any(dep not in done for dep in task.depends_on):
            continue
        change = TaskChange(
            fields_set=frozenset({"status", "proof", "fields"}),
            status=TaskStatus.DONE,
            proof=_proof_for(task),
            fields=_required_fields_for(task),
        )
        try:
            tasks_service.update_task(identity, task.task_id, change, None)
        except WorkEngineError:
            continue
        done.add(task.task_id)


def seed_demo_once(
    markers: DynamoShowcaseMarkers,
    bundles: BundleService,
    tasks_service: TaskService,
    templates: list[WorkflowTemplate],
    tenant_id: str = DEMO_TENANT,
) -> list[str]:
    """The demo data, once per tenant (a marker claimed first, as for showcases); returns the bundle IDs
    created, empty when the tenant already has them."""
    marker = ShowcaseMarker(
        tenant_id=tenant_id,
        name=DEMO_MARKER,
        status=MarkerStatus.SEEDING,
        started_at=datetime.now(UTC),
        seeded_by=DEMO_ADMIN,
    )
    if not markers.claim(marker):
        return []
    created = seed_demo(bundles, tasks_service, templates, tenant_id)
    markers.save(
        marker.model_copy(
            update={"status": MarkerStatus.SEEDED, "finished_at": datetime.now(UTC), "bundle_ids": created}
        )
    )
    return created


def seed_demo(
    bundles: BundleService,
    tasks_service: TaskService,
    templates: list[WorkflowTemplate],
    tenant_id: str = DEMO_TENANT,
) -> list[str]:
    """Create the demo data; returns the bundle IDs created."""
    admin = Identity(tenant_id, DEMO_ADMIN, Role.ADMIN)
    today = datetime.now(UTC).date()
    created: list[str] = []
    for index, template in enumerate(templates):
        assignees = {
            role: (DEMO_MEMBER if i % 2 else DEMO_ADMIN)
            for i, role in enumerate(sorted(template_roles(template)))
        }
        assignees[template.owner_role] = DEMO_ADMIN
        anchor: date = today + timedelta(days=21 - 7 * index)
        result = bundles.create_bundle(
            admin,
            NewBundleRequest(
                template_id=template.template_id,
                title=f"{template.title} (demo {index + 1})",
                anchor_date=anchor,
                assignees=assignees,
                references={
                    link.name: f"https://docs.example.com/demo/{link.name}"
                    for link in template.required_links[:1]
                },
                tags=["demo"],
                inputs=dict(template.examples[0].inputs) if template.examples else {},
            ),
        )
        created.append(result.bundle.bundle_id)
        if index % 3 == 1:
            _complete_ready_tasks(tasks_service, admin, result.tasks, 3)
        elif index % 3 == 2:
            first_open = result.tasks[0]
            tasks_service.update_task(
                admin,
                first_open.task_id,
                TaskChange(
                    fields_set=frozenset({"status", "waiting_for", "follow_up_at"}),
                    status=TaskStatus.WAITING,
                    waiting_for="Vendor reply",
                    follow_up_at=datetime.now(UTC) + timedelta(days=2),
                ),
                None,
            )
        if index == 5:
            bundles.update_bundle(
                admin,
                result.bundle.bundle_id,
                BundleChange(fields_set=frozenset({"status"}), status=BundleStatus.CANCELLED),
            )
    return created
