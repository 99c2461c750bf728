"""Template → bundle and tasks."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import yaml

from workengine.domain import ids
from workengine.domain.entities import Task
from workengine.domain.enums import BundleStatus, ProofKind, TaskStatus
from workengine.domain.instantiation import (
    InstantiatedBundle,
    NewBundleRequest,
    included_definitions,
    instantiate_bundle,
    resolve_assignee,
)
from workengine.domain.template import WorkflowTemplate

NOW = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
ANCHOR = date(2024, 3, 6)  # a Wednesday
TENANT = "tenant-a"
ACTOR = "u-actor"

TEMPLATE_DATA: dict[str, Any] = {
    "template_id": "month-close",
    "version": 3,
    "title": "Month close",
    "tags": ["finance"],
    "required_links": [
        {"name": "ticket", "title": "Ticket"},
        {"name": "spec", "title": "Specification"},
    ],
    "phases": [
        {"id": "prepare", "title": "Prepare"},
        {"id": "execute", "title": "Execute"},
        {"id": "close", "title": "Close"},
    ],
    "tasks": [
        {
            "key": "gather",
            "title": "Gather inputs",
            "phase": "prepare",
            "offset_days": -10,
            "default_assignee": "preparer",
            "proof_required": ["url"],
            "instruction_doc_id": "doc-gather",
            "instruction_step_id": "step-1",
            "instructions_url": "https://legacy.example/gather",
            "systems": ["erp"],
        },
        {
            "key": "review",
            "title": "Review inputs",
            "phase": "prepare",
            "offset_days": -2,
            "business_days": True,
            "default_assignee": "reviewer",
            "depends_on": ["gather"],
            "instructions_url": "https://legacy.example/review",
        },
        {
            "key": "submit",
            "title": "Submit",
            "phase": "execute",
            "default_assignee": "user:u-42",
            "proof_required": ["artifact", "comment"],
            "depends_on": ["review"],
            "assistant": {"prompt": "Summarise {{ bundle.title }}", "fill_proof_comment": "text"},
            "tags": ["critical"],
        },
        {
            "key": "follow-up",
            "title": "Follow up",
            "phase": "execute",
            "offset_days": 3,
            "business_days": True,
            "offset_from": "submit",
            "remind_before_days": 2,
        },
        {
            "key": "audit",
            "title": "Audit",
            "phase": "close",
            "offset_days": 5,
            "include_when_tag": "audited",
            "depends_on": ["submit"],
        },
        {
            "key": "archive",
            "title": "Archive",
            "phase": "close",
            "offset_days": 7,
            "depends_on": ["audit", "follow-up"],
        },
    ],
}


def make_template(**overrides: Any) -> WorkflowTemplate:
    return WorkflowTemplate.model_validate({**TEMPLATE_DATA, **overrides})


def counter_ids() -> Callable[[str], str]:
    counter = 0

    def new_id(prefix: str) -> str:
        nonlocal counter
        counter += 1
        return f"{prefix}_{counter:04d}"

    return new_id


def make_request(
    *,
    tags: list[str] | None = None,
    assignees: dict[str, str] | None = None,
    references: dict[str, str] | None = None,
) -> NewBundleRequest:
    return NewBundleRequest(
        template_id="month-close",
        title="March close",
        anchor_date=ANCHOR,
        references={"ticket": "https://tickets.example/1"} if references is None else references,
        tags=[] if tags is None else tags,
        assignees={"owner": "u-owner", "preparer": "u-prep"} if assignees is None else assignees,
    )


def instantiate(
    request: NewBundleRequest | None = None,
    template: WorkflowTemplate | None = None,
    new_id: Callable[[str], str] | None = None,
) -> InstantiatedBundle:
    return instantiate_bundle(
        template or make_template(),
        request or make_request(),
        tenant_id=TENANT,
        actor=ACTOR,
        now=NOW,
        new_id=new_id or counter_ids(),
    )


def by_ref(result: InstantiatedBundle) -> dict[str, Task]:
    return {t.template_task_ref: t for t in result.tasks}


# --- IDs ----------------------------------------------------------------------------------------------

ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def test_ids_are_prefixed_unique_and_time_sortable_with_real_factory() -> None:
    before = ids.new_ulid()
    result = instantiate(new_id=ids.new_id)
    after = ids.new_ulid()

    bundle_id = result.bundle.bundle_id
    task_ids = [t.task_id for t in result.tasks]
    assert bundle_id.startswith("b_") and ULID_RE.match(bundle_id[2:])
    for task_id in task_ids:
        assert task_id.startswith("t_") and ULID_RE.match(task_id[2:])
    assert len({bundle_id, *task_ids}) == 1 + len(task_ids)

    # The ULID time part (first 10 chars) lies between IDs minted before and after, so IDs sort by
    # creation time across calls.
    times = [bundle_id[2:12], *(t[2:12] for t in task_ids)]
    assert all(before[:10] <= t <= after[:10] for t in times)
    assert times == sorted(times)


def test_two_instantiations_never_share_ids() -> None:
    first = instantiate(new_id=ids.new_id)
    second = instantiate(new_id=ids.new_id)
    first_ids = {first.bundle.bundle_id, *(t.task_id for t in first.tasks)}
    second_ids = {second.bundle.bundle_id, *(t.task_id for t in second.tasks)}
    assert not first_ids & second_ids


def test_injected_id_factory_is_used_bundle_first() -> None:
    result = instantiate()
    assert result.bundle.bundle_id == "b_0001"
    assert [t.task_id for t in result.tasks] == ["t_0002", "t_0003", "t_0004", "t_0005", "t_0006"]


# --- tasks --------------------------------------------------------------------------------------------


def test_optional_task_excluded_without_tag() -> None:
    result = instantiate()
    assert [t.template_task_ref for t in result.tasks] == [
        "gather",
        "review",
        "submit",
        "follow-up",
        "archive",
    ]
    assert [t.position for t in result.tasks] == list(range(5))


def test_optional_task_included_with_tag() -> None:
    result = instantiate(make_request(tags=["audited"]))
    refs = [t.template_task_ref for t in result.tasks]
    assert refs == ["gather", "review", "submit", "follow-up", "audit", "archive"]
    tasks = by_ref(result)
    assert tasks["audit"].due_date == date(2024, 3, 11)
    assert tasks["audit"].depends_on == [tasks["submit"].task_id]
    assert tasks["archive"].depends_on == [tasks["audit"].task_id, tasks["follow-up"].task_id]


def test_other_tags_do_not_include_optional_task() -> None:
    result = instantiate(make_request(tags=["something-else"]))
    assert "audit" not in by_ref(result)


def test_included_definitions_filters_by_tag() -> None:
    template = make_template()
    assert [d.key for d in included_definitions(template, [])] == [
        "gather",
        "review",
        "submit",
        "follow-up",
        "archive",
    ]
    assert "audit" in [d.key for d in included_definitions(template, ["x", "audited"])]


def test_every_task_carries_its_origin() -> None:
    result = instantiate()
    template = make_template()
    for task in result.tasks:
        assert task.tenant_id == TENANT
        assert task.bundle_id == result.bundle.bundle_id
        assert task.template_id == "month-close"
        assert template.task(task.template_task_ref) is not None
        definition = template.task(task.template_task_ref)
        assert definition is not None
        assert task.phase == definition.phase
        assert task.title == definition.title
        assert task.status is TaskStatus.TODO
        assert task.version == 1
        assert task.created_at == NOW and task.updated_at == NOW
        assert task.completed_at is None and task.completed_by is None
        assert task.comments_count == 0
        assert task.proof.model_dump() == {
            "url": None,
            "artifact_ids": [],
            "comment": None,
            "external_status": None,
        }


def test_due_dates_exact() -> None:
    tasks = by_ref(instantiate())
    assert tasks["gather"].due_date == date(2024, 2, 25)  # -10 calendar days (a Sunday, allowed)
    assert tasks["review"].due_date == date(2024, 3, 4)  # -2 business days from Wed = Mon
    assert tasks["submit"].due_date == ANCHOR  # offset 0
    assert tasks["archive"].due_date == date(2024, 3, 13)  # +7 calendar days


def test_business_day_offset_from_weekend_anchor() -> None:
    request = NewBundleRequest(template_id="month-close", title="x", anchor_date=date(2024, 3, 9))  # Sat
    tasks = by_ref(instantiate(request))
    assert tasks["review"].due_date == date(2024, 3, 7)  # Sat - 2 business days = Thu
    assert tasks["review"].business_days is True
    assert tasks["review"].offset_days == -2


def test_offset_from_task_waits_for_source_completion() -> None:
    tasks = by_ref(instantiate())
    follow_up = tasks["follow-up"]
    assert follow_up.due_date is None
    assert follow_up.offset_from == tasks["submit"].task_id
    assert follow_up.offset_days == 3
    assert follow_up.business_days is True
    assert follow_up.remind_before_days == 2
    assert tasks["submit"].offset_from is None


def test_depends_on_mapped_to_task_ids() -> None:
    tasks = by_ref(instantiate())
    assert tasks["review"].depends_on == [tasks["gather"].task_id]
    assert tasks["submit"].depends_on == [tasks["review"].task_id]
    # "audit" is not instantiated without its tag, so only the follow-up dependency remains
    assert tasks["archive"].depends_on == [tasks["follow-up"].task_id]
    assert tasks["gather"].depends_on == []


def test_assignees_resolved() -> None:
    tasks = by_ref(instantiate())
    assert tasks["gather"].assignee == "u-prep"  # role mapped
    assert tasks["review"].assignee == "u-owner"  # role unmapped -> bundle owner
    assert tasks["submit"].assignee == "u-42"  # literal user
    assert tasks["follow-up"].assignee == "u-owner"  # no default -> owner


def test_unmapped_roles_fall_back_to_actor_when_no_owner_given() -> None:
    result = instantiate(make_request(assignees={}))
    tasks = by_ref(result)
    assert result.bundle.owner == ACTOR
    assert tasks["gather"].assignee == ACTOR
    assert tasks["review"].assignee == ACTOR
    assert tasks["submit"].assignee == "u-42"


@pytest.mark.parametrize(
    ("default", "expected"),
    [(None, "own"), ("user:alice", "alice"), ("lead", "bob"), ("nobody", "own")],
)
def test_resolve_assignee(default: str | None, expected: str) -> None:
    assert resolve_assignee(default, {"lead": "bob"}, "own") == expected


def test_proof_instructions_and_assistant_fields() -> None:
    tasks = by_ref(instantiate())
    assert tasks["gather"].proof_required == [ProofKind.URL]
    assert tasks["submit"].proof_required == [ProofKind.ARTIFACT, ProofKind.COMMENT]
    assert tasks["review"].proof_required == []

    # doc id given: legacy URL dropped
    assert tasks["gather"].instruction_doc_id == "doc-gather"
    assert tasks["gather"].instruction_step_id == "step-1"
    assert tasks["gather"].instructions_url is None
    assert tasks["gather"].systems == ["erp"]
    # no doc id: legacy URL kept
    assert tasks["review"].instruction_doc_id is None
    assert tasks["review"].instructions_url == "https://legacy.example/review"

    assert tasks["submit"].has_assistant is True
    assert tasks["gather"].has_assistant is False
    assert tasks["submit"].tags == ["critical"]


# --- bundle -------------------------------------------------------------------------------------------


def test_bundle_fields() -> None:
    result = instantiate(make_request(tags=["q1", "finance"]))
    bundle = result.bundle
    assert bundle.tenant_id == TENANT
    assert bundle.template_id == "month-close"
    assert bundle.title == "March close"
    assert bundle.anchor_date == ANCHOR
    assert bundle.stage == "prepare"
    assert bundle.status is BundleStatus.ACTIVE
    assert bundle.version == 1
    assert bundle.owner == "u-owner"
    assert bundle.created_by == ACTOR
    assert bundle.created_at == NOW and bundle.updated_at == NOW
    assert bundle.references == {"ticket": "https://tickets.example/1"}
    assert bundle.assignees == {"owner": "u-owner", "preparer": "u-prep"}
    assert bundle.tags == ["finance", "q1"]  # template tags first, duplicates removed


def test_owner_role_is_configurable() -> None:
    template = make_template(owner_role="controller")
    result = instantiate(make_request(assignees={"controller": "u-ctl", "owner": "u-owner"}), template)
    assert result.bundle.owner == "u-ctl"
    assert by_ref(result)["review"].assignee == "u-ctl"


def test_stage_is_first_phase_with_tasks() -> None:
    data = {**TEMPLATE_DATA, "tasks": [t for t in TEMPLATE_DATA["tasks"] if t["phase"] != "prepare"]}
    data["tasks"] = [
        {**t, "depends_on": [d for d in t.get("depends_on", []) if d != "review"]} for t in data["tasks"]
    ]
    result = instantiate(template=WorkflowTemplate.model_validate(data))
    assert result.bundle.stage == "execute"


def test_required_links_placeholders() -> None:
    links = instantiate().bundle.required_links
    assert [(link.name, link.title, link.url) for link in links] == [
        ("ticket", "Ticket", "https://tickets.example/1"),
        ("spec", "Specification", None),
    ]


def test_required_links_all_none_without_references() -> None:
    links = instantiate(make_request(references={})).bundle.required_links
    assert [link.url for link in links] == [None, None]


# --- template version pinning -------------------------------------------------------------------------

PINNED_RE = re.compile(r"^3\+[0-9a-f]{12}$")


def test_template_version_is_version_plus_hash_prefix() -> None:
    template = make_template()
    bundle = instantiate().bundle
    assert PINNED_RE.match(bundle.template_version)
    assert bundle.template_version == template.pinned_version
    assert bundle.template_version == f"3+{template.content_hash()[:12]}"


def test_template_version_stable_for_same_definition() -> None:
    assert make_template().pinned_version == make_template().pinned_version


def test_template_version_changes_when_definition_changes() -> None:
    base = make_template().pinned_version
    tasks = [dict(t) for t in TEMPLATE_DATA["tasks"]]
    tasks[0]["offset_days"] = -11
    changed = make_template(tasks=tasks).pinned_version
    assert changed != base
    assert changed.startswith("3+")
    assert make_template(title="Month close (v2)").pinned_version != base
    bumped = make_template(version=4).pinned_version
    assert bumped.startswith("4+") and bumped[2:] != base[2:]


YAML_COMPACT = """
template_id: tiny
version: 1
title: Tiny
phases: [{id: a, title: A}, {id: b, title: B}]
tasks:
  - {key: one, title: One, phase: a, offset_days: 2, proof_required: [url, comment]}
  - {key: two, title: Two, phase: b, depends_on: [one]}
"""

YAML_VERBOSE = """
# same definition, different formatting, key order and comments
version: 1
title: "Tiny"
template_id: 'tiny'
tasks:
  - title: One
    key: one
    proof_required:
      - url
      - comment
    offset_days: 2     # two days after the anchor
    phase: a
  - key: two
    phase: b
    title: Two
    depends_on:
      - one
phases:
  - title: A
    id: a
  - id: b
    title: B
"""


def test_template_version_ignores_yaml_formatting() -> None:
    compact = WorkflowTemplate.model_validate(yaml.safe_load(YAML_COMPACT))
    verbose = WorkflowTemplate.model_validate(yaml.safe_load(YAML_VERBOSE))
    assert compact == verbose
    assert compact.pinned_version == verbose.pinned_version
    # explicit defaults are the same model, hence the same hash
    explicit = WorkflowTemplate.model_validate(
        {**yaml.safe_load(YAML_COMPACT), "owner_role": "owner", "triggers": [{"type": "manual"}]}
    )
    assert explicit.pinned_version == compact.pinned_version
    edited = YAML_COMPACT.replace("offset_days: 2", "offset_days: 3")
    changed = WorkflowTemplate.model_validate(yaml.safe_load(edited))
    assert changed.pinned_version != compact.pinned_version
