"""The assistant outputs conditions read (``tasks.<key>.outputs``), read only when some condition does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workengine.dal.bundle_repository import DynamoBundleRepository
from workengine.domain.assistant import latest_outputs
from workengine.domain.condition_rules import output_readers
from workengine.domain.entities import Bundle
from workengine.domain.template import WorkflowTemplate


def outputs_for_conditions(
    repository: DynamoBundleRepository, definition: WorkflowTemplate, bundle: Bundle
) -> Mapping[str, Mapping[str, Any]]:
    """Task key → its latest succeeded assistant output; empty (and no read) when no condition of the
    definition reads an output."""
    if not output_readers(definition):
        return {}
    return latest_outputs(repository.list_jobs(bundle.tenant_id, bundle.bundle_id))
