"""API models of ``POST /events``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from workengine.domain.bounds import KEY_VALUE_MAX_LENGTH, FreeJson, SingleLineText
from workengine.domain.template import DETAIL_TYPE_PATTERN

EventId = Annotated[SingleLineText, Field(min_length=1, max_length=KEY_VALUE_MAX_LENGTH)]


class EventBody(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    event_id: EventId = Field(
        description="The sender's ID of the event: the once-only key (an ID never starts a bundle twice)."
    )
    detail_type: str = Field(
        pattern=DETAIL_TYPE_PATTERN,
        description="Which event it is; templates declare the types they start on.",
    )
    detail: FreeJson = Field(
        description="The event's data: the anchor date, inputs and assignees under the fields the template "
        "names; a tenant_id in it is ignored (the caller's tenant is used)."
    )


class TriggeredBundleView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    bundle_id: str
    template_id: str


class TriggeredBundles(BaseModel):
    model_config = ConfigDict(defer_build=True)

    bundles: list[TriggeredBundleView] = Field(
        description="The bundle each triggered template has for this event (created now or by an earlier "
        "delivery of the same event_id)."
    )
