"""API input and output models (the OpenAPI document is generated from these)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, create_model, field_validator

from workengine.domain.bounds import (
    Count,
    EntityId,
    LongText,
    RoleName,
    SingleLineText,
    Tag,
    Title,
    UserId,
    WindowDate,
    WindowDatetime,
    text_problem,
)
from workengine.domain.entities import AuditEvent, Bundle, Comment, Task
from workengine.domain.enums import BundleStatus, TaskStatus
from workengine.domain.template import Phase, WorkflowTemplate

TriggerType = Literal["manual", "schedule", "event"]
MAX_TAGS = 50
MAX_FIELD_VALUES = 100
MAX_REFERENCES = 50
ReferenceName = Annotated[SingleLineText, Field(min_length=1, max_length=64)]
Url = Annotated[str, Field(min_length=1, max_length=2048)]
Version = Annotated[Count, Field(ge=1, le=2**53)]
Note = Annotated[LongText, Field(min_length=1, max_length=10_000)]
# Page tokens are urlsafe base64 + "." + hex signature; anything else is refused as a 422 up front.
NEXT_TOKEN_PATTERN = r"^[A-Za-z0-9_=.-]{1,2048}$"


class ApiInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


def _check_urls(references: dict[str, str] | None) -> dict[str, str] | None:
    if references is None:
        return None
    for url in references.values():
        problem = text_problem(url)
        if problem:
            raise ValueError(f"a reference URL {problem}")
        AnyHttpUrl(url)
    return references


class CreateBundleBody(ApiInput):
    template_id: RoleName = Field(max_length=64)
    title: Title
    anchor_date: WindowDate
    references: dict[ReferenceName, Url] = Field(default_factory=dict, max_length=MAX_REFERENCES)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    assignees: dict[RoleName, UserId] = Field(
        default_factory=dict, max_length=50, description="role → user ID (user IDs become index keys)"
    )
    inputs: dict[str, Any] = Field(
        default_factory=dict, max_length=MAX_FIELD_VALUES, description="Kick-off values by input key."
    )

    _urls = field_validator("references")(_check_urls)


class PatchBundleBody(ApiInput):
    title: Title | None = None
    stage: RoleName | None = Field(default=None, max_length=64)
    status: BundleStatus | None = None
    references: dict[ReferenceName, Url] | None = Field(default=None, max_length=MAX_REFERENCES)
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    expected_version: Version | None = None

    _urls = field_validator("references")(_check_urls)


class ProofBody(ApiInput):
    url: Url | None = None
    artifact_ids: list[EntityId] | None = Field(default=None, max_length=50)
    comment: Annotated[LongText, Field(max_length=10_000)] | None = None
    external_status: Annotated[SingleLineText, Field(max_length=500)] | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value:
            problem = text_problem(value)
            if problem:
                raise ValueError(f"the URL {problem}")
            AnyHttpUrl(value)
        return value


class PatchTaskBody(ApiInput):
    status: TaskStatus | None = None
    assignee: UserId | None = None
    due_date: WindowDate | None = None
    waiting_for: Annotated[SingleLineText, Field(min_length=1, max_length=300)] | None = None
    follow_up_at: WindowDatetime | None = None
    proof: ProofBody | None = None
    comment: Note | None = None
    skip_reason: Annotated[SingleLineText, Field(min_length=1, max_length=500)] | None = Field(
        default=None, description="why the task is skipped; required with status skipped"
    )
    expected_version: Version | None = None
    fields: dict[str, Any] | None = Field(
        default=None,
        max_length=MAX_FIELD_VALUES,
        description="Field values merged into the task's (null clears one); checked against field_specs.",
    )


class CommentBody(ApiInput):
    text: Note


class BundleWithTasks(BaseModel):
    model_config = ConfigDict(defer_build=True)
    bundle: Bundle
    tasks: list[Task]


class BundleEnvelope(BaseModel):
    model_config = ConfigDict(defer_build=True)
    bundle: Bundle


class TaskEnvelope(BaseModel):
    model_config = ConfigDict(defer_build=True)
    task: Task


class CommentEnvelope(BaseModel):
    model_config = ConfigDict(defer_build=True)
    comment: Comment


class BundlePage(BaseModel):
    model_config = ConfigDict(defer_build=True)
    items: list[Bundle]
    next_token: str | None


class TaskPage(BaseModel):
    model_config = ConfigDict(defer_build=True)
    items: list[Task]
    next_token: str | None


class EventPage(BaseModel):
    model_config = ConfigDict(defer_build=True)
    items: list[AuditEvent]
    next_token: str | None


class CommentList(BaseModel):
    model_config = ConfigDict(defer_build=True)
    items: list[Comment]


class Health(BaseModel):
    model_config = ConfigDict(defer_build=True)
    status: Literal["ok"] = Field(description="Always ``ok`` while the API answers.")


class TemplateSummary(BaseModel):
    """A template as listed: enough to pick one and start a bundle."""

    model_config = ConfigDict(defer_build=True)

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
    model_config = ConfigDict(defer_build=True)
    items: list[TemplateSummary]
