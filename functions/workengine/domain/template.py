"""Workflow template definitions: the Git-backed, reviewed-like-code part of the model.

Templates live as YAML under ``content/templates``; the doc registry lives in ``content/docs.yaml``.
These models describe their schema; ``workengine templates schema`` prints it as JSON Schema.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workengine.domain.enums import ProofKind
from workengine.domain.errors import ValidationFailedError
from workengine.domain.fields import FieldSpec

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
TemplateKey = Annotated[str, Field(pattern=KEY_PATTERN)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Phase(StrictModel):
    """One stage of a workflow; the bundle's ``stage`` is a phase id."""

    id: TemplateKey
    title: str = Field(min_length=1)
    description: str | None = None


class RequiredLink(StrictModel):
    """A reference every bundle of the template is expected to carry (a placeholder until set)."""

    name: TemplateKey
    title: str = Field(min_length=1)
    description: str | None = None


class AssistantStep(StrictModel):
    """A prompt the assistant runs for a task; variables are ``{{ bundle.* }}``, ``{{ task.* }}``,
    ``{{ outputs.<task_key>.* }}``."""

    prompt: str = Field(min_length=1)
    output_schema: dict[str, Any] = Field(
        default_factory=lambda: {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
        }
    )
    fill_proof_comment: str | None = Field(
        default=None, description="Output property copied into the task's proof comment on success."
    )
    model_hint: str | None = None


class ManualTrigger(StrictModel):
    type: Literal["manual"] = "manual"


class ScheduleTrigger(StrictModel):
    """A recurring occurrence: ``cron`` (5 fields, UTC) fires; the anchor date is the occurrence date
    plus ``anchor_offset_days``; the title comes from ``title_pattern``."""

    type: Literal["schedule"] = "schedule"
    cron: str
    anchor_offset_days: int = Field(default=0, ge=-3660, le=3660)
    title_pattern: str = Field(min_length=1)
    catch_up_limit: int = Field(default=3, ge=0, le=31)


DETAIL_FIELD_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
DetailField = Annotated[str, Field(pattern=DETAIL_FIELD_PATTERN)]
# EventBridge detail types: up to 128 characters; ours are PascalCase, partners' may hold spaces or dots.
DETAIL_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,127}$"


class EventTrigger(StrictModel):
    """Instantiated when an event with this detail type arrives (the project's EventBridge bus or
    ``POST /events``): the anchor date comes from ``detail[anchor_field]`` (``YYYY-MM-DD``), the kick-off
    inputs from ``detail[inputs_field]`` and the role map from ``detail[assignees_field]``."""

    type: Literal["event"] = "event"
    detail_type: str = Field(pattern=DETAIL_TYPE_PATTERN)
    title_pattern: str = Field(min_length=1)
    anchor_field: DetailField = Field(
        default="anchor_date", description="Detail field holding the anchor date."
    )
    inputs_field: DetailField | None = Field(
        default=None, description="Detail field holding the kick-off inputs ({key: value})."
    )
    assignees_field: DetailField | None = Field(
        default=None, description="Detail field holding the bundle's assignees ({role: user_id})."
    )


Trigger = Annotated[ManualTrigger | ScheduleTrigger | EventTrigger, Field(discriminator="type")]


class ApprovalDefinition(StrictModel):
    """Who must sign a task off: ``approvers`` are role names (resolved from the bundle's assignees)
    and/or ``user:<id>``; ``required`` approve decisions complete the task; a rejection with
    ``on_reject`` reopens that (earlier) task for rework."""

    approvers: str | list[str] = Field(min_length=1)
    required: int = Field(default=1, ge=1, le=50)
    allow_self: bool = False
    on_reject: TemplateKey | None = None

    def approver_list(self) -> list[str]:
        return [self.approvers] if isinstance(self.approvers, str) else list(self.approvers)


class TaskDefinition(StrictModel):
    key: TemplateKey
    title: str = Field(min_length=1)
    phase: TemplateKey
    description: str | None = None
    offset_days: int = Field(default=0, ge=-3660, le=3660)
    business_days: bool = False
    offset_from: TemplateKey | None = Field(
        default=None,
        description="Due date counts from this task's completion instead of the anchor date.",
    )
    default_assignee: str | None = Field(
        default=None, description="A role name resolved from the bundle's assignees map, or a user id."
    )
    proof_required: list[ProofKind] = Field(default_factory=list)
    instruction_doc_id: str | None = None
    instruction_step_id: str | None = None
    systems: list[str] = Field(default_factory=list)
    validation: str | None = None
    instructions_url: str | None = Field(
        default=None, description="Legacy fallback, used only when no instruction_doc_id is given."
    )
    depends_on: list[TemplateKey] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    remind_before_days: int = Field(default=1, ge=0, le=365)
    include_when_tag: str | None = Field(
        default=None,
        description="Optional path: the task is instantiated only when the bundle carries this tag.",
    )
    assistant: AssistantStep | None = None
    approval: ApprovalDefinition | None = None
    fields: list[FieldSpec] = Field(
        default_factory=list, description="What the assignee records; required fields gate done."
    )
    when: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="CEL condition over inputs, bundle, tasks.<key> and days_to_anchor; not met: skipped.",
    )

    @field_validator("proof_required")
    @classmethod
    def _unique_proofs(cls, value: list[ProofKind]) -> list[ProofKind]:
        if len(set(value)) != len(value):
            raise ValueError("proof kinds must not repeat")
        return value


class TemplateExample(StrictModel):
    """A kick-off CI instantiates: inputs and tags a real bundle of this template could start with."""

    title: str = Field(default="Example", min_length=1)
    anchor_date: date | None = None
    inputs: dict[str, Any] = Field(default_factory=dict, description="Kick-off values by input key.")
    tags: list[str] = Field(default_factory=list)
    assignees: dict[str, str] = Field(default_factory=dict)


def _manual_only() -> list[Trigger]:
    return [ManualTrigger()]


class WorkflowTemplate(StrictModel):
    template_id: TemplateKey
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    description: str | None = None
    owner_role: str = Field(default="owner", description="Assignee role that owns the bundle.")
    source_doc_ids: list[str] = Field(default_factory=list)
    required_links: list[RequiredLink] = Field(default_factory=list)
    phases: list[Phase] = Field(min_length=1)
    triggers: list[Trigger] = Field(default_factory=_manual_only)
    tasks: list[TaskDefinition] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    escalate_after_days: int | None = Field(
        default=None, ge=0, le=365, description="Open tasks this many days overdue are escalated once."
    )
    escalate_to: str | None = Field(
        default=None, description="Role (from the bundle's assignees) automatic escalations go to."
    )
    inputs: list[FieldSpec] = Field(default_factory=list, description="The kick-off form.")
    examples: list[TemplateExample] = Field(
        default_factory=list, description="Kick-offs (inputs and tags) CI instantiates for this template."
    )

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the definition (stable across YAML formatting)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def pinned_version(self) -> str:
        """What a bundle records: declared version plus a content hash prefix, e.g. ``3+9f2c1a0b7d4e``."""
        return f"{self.version}+{self.content_hash()[:12]}"

    def task(self, key: str) -> TaskDefinition | None:
        return next((t for t in self.tasks if t.key == key), None)

    def phase_ids(self) -> list[str]:
        return [p.id for p in self.phases]

    def roles(self) -> list[str]:
        """The roles a bundle's ``assignees`` map may name: the owner role and every role a task's default
        assignee, approvers or ``escalate_to`` refer to (``user:<id>`` names a user, not a role)."""
        named: list[str] = [self.escalate_to] if self.escalate_to else []
        for task in self.tasks:
            if task.default_assignee:
                named.append(task.default_assignee)
            if task.approval is not None:
                named.extend(task.approval.approver_list())
        roles = [name for name in named if not name.startswith("user:")]
        return list(dict.fromkeys([self.owner_role, *roles]))

    def check_assignee_roles(self, assignees: Mapping[str, str], field: str = "assignees") -> None:
        """Raises ValidationFailedError naming the roles of ``assignees`` this template does not use
        (a typo such as ``hots`` for ``host`` would otherwise be stored and silently ignored)."""
        known = self.roles()
        unknown = sorted(set(assignees) - set(known))
        if unknown:
            raise ValidationFailedError(
                f"{field} names roles template {self.template_id!r} does not use: {', '.join(unknown)}"
                f" (its roles: {', '.join(known)})",
                {"field": field, "unknown_roles": unknown, "roles": known},
            )

    def schedule_triggers(self) -> list[ScheduleTrigger]:
        return [t for t in self.triggers if isinstance(t, ScheduleTrigger)]

    def event_trigger(self, detail_type: str) -> EventTrigger | None:
        """The trigger that starts a bundle of this template for events of ``detail_type``."""
        return next(
            (t for t in self.triggers if isinstance(t, EventTrigger) and t.detail_type == detail_type), None
        )

    def event_triggers(self) -> list[EventTrigger]:
        return [t for t in self.triggers if isinstance(t, EventTrigger)]


class DocStep(StrictModel):
    id: str
    title: str


class DocEntry(StrictModel):
    title: str
    url: str
    steps: list[DocStep] = Field(default_factory=list)


class DocRegistry(StrictModel):
    """``content/docs.yaml``: instruction documents templates may cite by id."""

    docs: dict[str, DocEntry] = Field(default_factory=dict)

    def step_ids(self, doc_id: str) -> set[str]:
        entry = self.docs.get(doc_id)
        return {s.id for s in entry.steps} if entry else set()
