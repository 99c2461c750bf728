"""API input and output models (the OpenAPI document is generated from these)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, create_model, field_validator

from workengine.domain.entities import AuditEvent, Bundle, Comment, Task
from workengine.domain.enums import BundleStatus, TaskStatus
from workengine.domain.template import Phase, WorkflowTemplate

TriggerType = Literal["manual", "schedule", "event"]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"
MAX_TAGS = 50
MAX_FIELD_VALUES = 100
# Page tokens are urlsafe base64 + "." + hex signature; anything else is refused as a 422 up front.
NEXT_TOKEN_PATTERN = r"^[A-Za-z0-9_=.-]{1,2048}$"


class ApiInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_urls(references: dict[str, str] | None) -> dict[str, str] | None:
    if references is None:
        return None
    for name, url in references.items():
        if not name or len(name) > 64:
            raise ValueError(f"reference name {name!r} must be 1-64 characters")
        AnyHttpUrl(url)
    return references


class CreateBundleBody(ApiInput):
    template_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=300)
    anchor_date: date
    references: dict[str, str] = Field(default_factory=dict, max_length=50)
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    assignees: dict[str, str] = Field(default_factory=dict, max_length=50)
    inputs: dict[str, Any] = Field(
        default_factory=dict, max_length=MAX_FIELD_VALUES, description="Kick-off values by input key."
    )

    _urls = field_validator("references")(_check_urls)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not 1 <= len(tag) <= 64:
                raise ValueError("tags must be 1-64 characters")
        return value


class PatchBundleBody(ApiInput):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    stage: str | None = Field(default=None, min_length=1, max_length=64)
    status: BundleStatus | None = None
    references: dict[str, str] | None = Field(default=None, max_length=50)
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)
    expected_version: int | None = Field(default=None, ge=1)

    _urls = field_validator("references")(_check_urls)


class ProofBody(ApiInput):
    url: str | None = Field(default=None, max_length=2048)
    artifact_ids: list[str] | None = Field(default=None, max_length=50)
    comment: str | None = Field(default=None, max_length=10_000)
    external_status: str | None = Field(default=None, max_length=500)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value:
            AnyHttpUrl(value)
        return value


class PatchTaskBody(ApiInput):
    status: TaskStatus | None = None
    assignee: str | None = Field(default=None, pattern=NAME_PATTERN)
    due_date: date | None = None
    waiting_for: str | None = Field(default=None, max_length=300)
    follow_up_at: datetime | None = None
    proof: ProofBody | None = None
    comment: str | None = Field(default=None, min_length=1, max_length=10_000)
    fields: dict[str, Any] | None = Field(
        default=None,
        max_length=MAX_FIELD_VALUES,
        description="Field values merged into the task's (null clears one); checked against field_specs.",
    )
    expected_version: int | None = Field(default=None, ge=1)

    @field_validator("follow_up_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("follow_up_at needs a time zone (use Z for UTC)")
        return value


class CommentBody(ApiInput):
    text: str = Field(min_length=1, max_length=10_000)


class BundleWithTasks(BaseModel):
    bundle: Bundle
    tasks: list[Task]


class BundleEnvelope(BaseModel):
    bundle: Bundle


class TaskEnvelope(BaseModel):
    task: Task


class CommentEnvelope(BaseModel):
    comment: Comment


class BundlePage(BaseModel):
    items: list[Bundle]
    next_token: str | None


class TaskPage(BaseModel):
    items: list[Task]
    next_token: str | None


class EventPage(BaseModel):
    items: list[AuditEvent]
    next_token: str | None


class CommentList(BaseModel):
    items: list[Comment]


class Health(BaseModel):
    status: Literal["ok"] = Field(description="Always ``ok`` while the API answers.")


class TemplateSummary(BaseModel):
    """A template as listed: enough to pick one and start a bundle."""

    template_id: str
    version: int = Field(description="The version the template file declares.")
    pinned_version: str = Field(
        description="What a bundle created now records as template_version: version + content hash."
    )
    title: str
    description: str | None
    phases: list[Phase]
    triggers: list[TriggerType] = Field(description="Kinds of triggers that start bundles of the template.")
    task_count: int = Field(description="How many task definitions the template has.")
    tags: list[str]


_TEMPLATE_FIELDS: dict[str, Any] = {
    name: (info.annotation, info) for name, info in WorkflowTemplate.model_fields.items()
}
# The full definition plus pinned_version; built from WorkflowTemplate's fields so it follows the template
# schema (a subclass would shadow WorkflowTemplate.pinned_version, a property).
TemplateDetail = create_model(
    "TemplateDetail",
    __doc__="A template's full definition as the catalog holds it now, plus its pinned version.",
    **_TEMPLATE_FIELDS,
    pinned_version=(
        str,
        Field(description="What a bundle created now records as template_version: version + content hash."),
    ),
)


def template_detail(template: WorkflowTemplate) -> Any:
    """A template as the API shows it: its definition plus ``pinned_version`` (a ``TemplateDetail``)."""
    return TemplateDetail.model_validate(
        {**template.model_dump(mode="json"), "pinned_version": template.pinned_version}
    )


class TemplateList(BaseModel):
    items: list[TemplateSummary]
