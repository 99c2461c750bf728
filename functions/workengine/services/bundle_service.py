"""Bundles: create from a template, read with tasks, list, update; audit events of a bundle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from workengine.catalog.loader import TemplateCatalog
from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.domain.approval_reminders import approval_requested_reminders
from workengine.domain.audit import audit_event
from workengine.domain.clock import Clock, utc_now
from workengine.domain.condition_rules import SYSTEM_ACTOR, reevaluate_conditions
from workengine.domain.entities import AuditEvent, Bundle, RequiredLinkState, Task, today_utc
from workengine.domain.enums import BundleStatus, EntityType, Role
from workengine.domain.errors import (
    InvalidTransitionError,
    ValidationFailedError,
    VersionConflictError,
)
from workengine.domain.identity import Identity
from workengine.domain.ids import new_id
from workengine.domain.instantiation import InstantiatedBundle, NewBundleRequest, instantiate_bundle
from workengine.domain.progress import CLOSED_STATUSES, require_open
from workengine.domain.stage_reminders import stage_change_reminders
from workengine.domain.task_rules import bundle_progress_after
from workengine.domain.template import WorkflowTemplate
from workengine.domain.versioning import next_version
from workengine.services.archived_binaries import ArchivedBinaries
from workengine.services.condition_outputs import outputs_for_conditions
from workengine.services.pagination import PageTokenCodec
from workengine.services.pinned_definitions import PinnedDefinitions


@dataclass(frozen=True)
class BundleChange:
    fields_set: frozenset[str]
    title: str | None = None
    stage: str | None = None
    status: BundleStatus | None = None
    references: dict[str, str] | None = None
    tags: list[str] | None = None
    expected_version: int | None = None


# Open tasks written back with a reactivated bundle in its own transaction (the rest follow in chunks),
# leaving room within the 100-operation limit for the bundle, its audit event and stage reminders.
REINDEX_IN_FIRST_WRITE = 80


class BundleService:
    """Raises TemplateNotFoundError, NotFoundError, ForbiddenError, ValidationFailedError,
    InvalidTransitionError, BundleClosedError and VersionConflictError (see ``workengine.domain.errors``)."""

    def __init__(
        self,
        repository: DynamoBundleRepository,
        catalog: TemplateCatalog,
        tokens: PageTokenCodec,
        *,
        archived_binaries: ArchivedBinaries,
        clock: Clock = utc_now,
        id_factory: Callable[[str], str] = new_id,
        definitions: PinnedDefinitions | None = None,
    ) -> None:
        self._repository = repository
        self._definitions = definitions or PinnedDefinitions(catalog, repository)
        self._tokens = tokens
        self._clock = clock
        self._new_id = id_factory
        self._archived_binaries = archived_binaries

    def template(self, template_id: str) -> WorkflowTemplate:
        """The catalog's current template (new bundles are created from it)."""
        return self._definitions.current(template_id)

    def bundle_template(self, identity: Identity, bundle_id: str) -> WorkflowTemplate:
        """The definition the bundle runs on (pinned at creation)."""
        identity.require(Role.VIEWER)
        return self._definitions.for_bundle(self._repository.get_bundle(identity.tenant_id, bundle_id))

    def create_bundle(self, identity: Identity, request: NewBundleRequest) -> InstantiatedBundle:
        identity.require(Role.MEMBER)
        return self._create(identity.tenant_id, identity.user_id, request, self._clock())

    def create_automated(
        self, tenant_id: str, actor: str, request: NewBundleRequest, now: datetime
    ) -> InstantiatedBundle:
        """A bundle the engine starts itself (a schedule's occurrence): no caller whose role is checked;
        ``actor`` names the automation in the audit trail, ``now`` the moment it acts as of, and
        ``request.bundle_id`` makes a repeat fail with a conflict on that bundle."""
        return self._create(tenant_id, actor, request, now)

    def _create(
        self, tenant_id: str, actor: str, request: NewBundleRequest, now: datetime
    ) -> InstantiatedBundle:
        template = self.template(request.template_id)
        template.check_assignee_roles(request.assignees)
        created = instantiate_bundle(
            template,
            request,
            tenant_id=tenant_id,
            actor=actor,
            now=now,
            new_id=self._new_id,
        )
        event = audit_event(
            entity_type=EntityType.BUNDLE,
            entity_id=created.bundle.bundle_id,
            action="created",
            actor=actor,
            at=now,
            new_id=self._new_id,
            after=created.bundle,
        )
        pin = self._definitions.pin_to_store(tenant_id, template, now)
        reminders = approval_requested_reminders(created.bundle, None, created.tasks, now)
        self._repository.create_bundle(created.bundle, created.tasks, event, pin, reminders=reminders)
        if pin is not None:
            self._definitions.stored(pin)
        return created

    def get_bundle(self, identity: Identity, bundle_id: str) -> tuple[Bundle, list[Task]]:
        identity.require(Role.VIEWER)
        return self._repository.get_bundle_with_tasks(identity.tenant_id, bundle_id)

    def list_bundles(
        self,
        identity: Identity,
        *,
        status: BundleStatus | None,
        template_id: str | None,
        limit: int,
        next_token: str | None,
    ) -> tuple[list[Bundle], str | None]:
        identity.require(Role.VIEWER)
        scope = f"bundles:{status.value if status else ''}:{template_id or ''}"
        cursor = self._tokens.decode(next_token, identity.tenant_id, scope)
        page = self._repository.list_bundles(
            identity.tenant_id,
            status=status.value if status else None,
            template_id=template_id,
            limit=limit,
            cursor=cursor,
        )
        return page.items, self._tokens.encode(identity.tenant_id, scope, page.cursor)

    def update_bundle(self, identity: Identity, bundle_id: str, change: BundleChange) -> Bundle:
        identity.require(Role.MEMBER)
        bundle, tasks = self._repository.get_bundle_with_tasks(identity.tenant_id, bundle_id)
        if change.expected_version is not None and change.expected_version != bundle.version:
            raise VersionConflictError(
                "the bundle was changed by someone else; reload it and retry",
                {"current": bundle.model_dump(mode="json"), "expected_version": change.expected_version},
            )
        template = self._definitions.for_bundle(bundle)
        updated = self._apply_change(identity, bundle, change, template)
        now = self._clock()
        if bundle.status in CLOSED_STATUSES and updated.status is BundleStatus.ACTIVE:
            # Reopened: its tasks say where it stands (all of them finished: completed, not active).
            progress = bundle_progress_after(updated, template.phase_ids(), tasks)
            updated.stage, updated.status = progress.stage, progress.status
            updated.completed_at = (updated.completed_at or now) if progress.status_changed else None
        updated.version = next_version(bundle)
        updated.updated_at = now
        event = audit_event(
            entity_type=EntityType.BUNDLE,
            entity_id=bundle_id,
            action="updated",
            actor=identity.user_id,
            at=now,
            new_id=self._new_id,
            before=bundle,
            after=updated,
        )
        flips = self._condition_flips(template, updated, tasks, change, now)
        events = [
            event,
            *(self._condition_event(t, flips[t.task_id], now) for t in tasks if t.task_id in flips),
        ]
        stored = {task.task_id: task.version for task in tasks}
        if flips:
            tasks = [flips.get(task.task_id, task) for task in tasks]
            progress = bundle_progress_after(updated, template.phase_ids(), tasks)
            updated.stage, updated.status = progress.stage, progress.status
            if progress.status_changed:
                updated.completed_at = now if progress.status is BundleStatus.COMPLETED else None
        reminders = stage_change_reminders(updated, tasks, now) if updated.stage != bundle.stage else []
        refresh = [(task, stored[task.task_id]) for task in flips.values()]
        refresh += [
            entry for entry in self._tasks_to_reindex(bundle, updated, tasks) if entry[0].task_id not in flips
        ]
        if bundle.status is BundleStatus.ARCHIVED and updated.status is not BundleStatus.ARCHIVED:
            # Before the reopen is stored: if S3 fails, nothing is (an untagged binary of a bundle still
            # archived is merely kept longer), and the admin's retry untags again.
            self._archived_binaries.keep(updated)
        self._repository.save_changes(
            bundle=(updated, bundle.version),
            tasks=refresh[:REINDEX_IN_FIRST_WRITE],
            events=events,
            reminders=reminders,
        )
        for start in range(REINDEX_IN_FIRST_WRITE, len(refresh), REINDEX_IN_FIRST_WRITE):
            self._repository.save_changes(tasks=refresh[start : start + REINDEX_IN_FIRST_WRITE])
        if updated.status is BundleStatus.ARCHIVED and bundle.status is not BundleStatus.ARCHIVED:
            self._archived_binaries.release(updated)
        return updated

    def _condition_flips(
        self,
        template: WorkflowTemplate,
        updated: Bundle,
        tasks: list[Task],
        change: BundleChange,
        now: datetime,
    ) -> dict[str, Task]:
        """Conditions read ``bundle.tags`` and ``bundle.references``: a change of either re-evaluates them."""
        if not {"tags", "references"} & change.fields_set or updated.status is not BundleStatus.ACTIVE:
            return {}
        outputs = outputs_for_conditions(self._repository, template, updated)
        return reevaluate_conditions(template, updated, tasks, today=today_utc(now), now=now, outputs=outputs)

    def _condition_event(self, before: Task, after: Task, now: datetime) -> AuditEvent:
        return audit_event(
            entity_type=EntityType.TASK,
            entity_id=after.task_id,
            action="condition_evaluated",
            actor=SYSTEM_ACTOR,
            at=now,
            new_id=self._new_id,
            before=before,
            after=after,
        )

    @staticmethod
    def _tasks_to_reindex(bundle: Bundle, updated: Bundle, tasks: list[Task]) -> list[tuple[Task, int]]:
        """A cancelled bundle made active again: the sweep dropped its open tasks from the reminder index,
        so they are written again unchanged (same version: nothing a client sees changes) with their index
        keys recomputed."""
        if bundle.status is BundleStatus.ACTIVE or updated.status is not BundleStatus.ACTIVE:
            return []
        return [(task, task.version) for task in tasks if task.is_open]

    def _apply_change(
        self, identity: Identity, bundle: Bundle, change: BundleChange, template: WorkflowTemplate
    ) -> Bundle:
        if not change.fields_set - {"expected_version"}:
            raise ValidationFailedError("the request changes nothing", {"fields": []})
        if bundle.status in CLOSED_STATUSES:
            # Read-only, but for an admin's status change (which _check_status_transition rules on).
            if change.fields_set - {"status", "expected_version"}:
                require_open(bundle)
            identity.require(Role.ADMIN)
        updated = bundle.model_copy(deep=True)
        if "title" in change.fields_set and change.title is not None:
            updated.title = change.title
        if "tags" in change.fields_set and change.tags is not None:
            updated.tags = list(dict.fromkeys(change.tags))
        if "references" in change.fields_set and change.references is not None:
            updated.references = dict(change.references)
            updated.required_links = [
                RequiredLinkState(name=link.name, title=link.title, url=updated.references.get(link.name))
                for link in bundle.required_links
            ]
        if "stage" in change.fields_set and change.stage is not None:
            if change.stage not in template.phase_ids():
                raise ValidationFailedError(
                    f"stage {change.stage!r} is not a phase of template {template.template_id!r}",
                    {"field": "stage", "allowed": template.phase_ids()},
                )
            updated.stage = change.stage
        if "status" in change.fields_set and change.status is not None and change.status != bundle.status:
            self._check_status_transition(identity, bundle.status, change.status)
            updated.status = change.status
        return updated

    @staticmethod
    def _check_status_transition(identity: Identity, current: BundleStatus, target: BundleStatus) -> None:
        if target is BundleStatus.COMPLETED:
            raise InvalidTransitionError(
                "a bundle completes when all its tasks are done or skipped; it cannot be set to completed",
                {"from": current.value, "to": target.value},
            )
        if target in CLOSED_STATUSES or current in CLOSED_STATUSES:
            identity.require(Role.ADMIN)
        if current is BundleStatus.ARCHIVED and target is not BundleStatus.ACTIVE:
            raise InvalidTransitionError(
                "an archived bundle can only be reopened (status active)",
                {"from": current.value, "to": target.value},
            )

    def list_events(
        self, identity: Identity, bundle_id: str, *, limit: int, next_token: str | None
    ) -> tuple[list[AuditEvent], str | None]:
        identity.require(Role.VIEWER)
        self._repository.get_bundle(identity.tenant_id, bundle_id)
        scope = f"events:{bundle_id}"
        cursor = self._tokens.decode(next_token, identity.tenant_id, scope)
        page = self._repository.list_events(identity.tenant_id, bundle_id, limit=limit, cursor=cursor)
        return page.items, self._tokens.encode(identity.tenant_id, scope, page.cursor)
