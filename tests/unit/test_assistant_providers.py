from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from workengine.catalog.loader import load_catalog_from
from workengine.domain.assistant import (
    DEFAULT_OUTPUT_SCHEMA,
    latest_outputs,
    output_problems,
    plan_for_ad_hoc,
    plan_for_step,
    render_context,
    render_prompt,
)
from workengine.domain.entities import AssistantJob, Bundle
from workengine.domain.enums import JobStatus
from workengine.domain.errors import ValidationFailedError
from workengine.domain.rendering import MissingVariableError
from workengine.services.assistant_providers import (
    BedrockAssistantProvider,
    LocalAssistantProvider,
    ProviderError,
    TransientProviderError,
    parse_json_object,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _all_steps() -> list[Any]:
    steps = []
    for content in (ROOT / "content", ROOT / "tests" / "fixtures" / "assistant_content"):
        for template in load_catalog_from(content).list():
            steps.extend((template.template_id, t.key, t.assistant) for t in template.tasks if t.assistant)
    return steps


@pytest.mark.parametrize(
    ("template_id", "key", "step"), _all_steps(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_local_provider_output_satisfies_every_shipped_schema(template_id: str, key: str, step: Any) -> None:
    output = LocalAssistantProvider().generate(f"prompt of {key}", step.output_schema)
    assert output_problems(output, step.output_schema) == []


def test_local_provider_is_deterministic_and_prompt_sensitive() -> None:
    provider = LocalAssistantProvider()
    first = provider.generate("Plan the March issue", DEFAULT_OUTPUT_SCHEMA)
    assert first == provider.generate("Plan the March issue", DEFAULT_OUTPUT_SCHEMA)
    assert first != provider.generate("Plan the April issue", DEFAULT_OUTPUT_SCHEMA)


def test_local_provider_honours_bounds_enums_and_formats() -> None:
    schema = {
        "type": "object",
        "properties": {
            "level": {"enum": ["low", "high"]},
            "score": {"type": "integer", "minimum": 10, "maximum": 12},
            "tags": {
                "type": "array",
                "items": {"type": "string", "maxLength": 5},
                "minItems": 4,
                "uniqueItems": True,
            },
            "when": {"type": "string", "format": "date"},
            "nested": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
            "code": {"type": "string", "minLength": 90},
        },
        "required": ["level", "score", "tags", "when", "nested", "code"],
        "additionalProperties": False,
    }
    output = LocalAssistantProvider().generate("x", schema)
    assert output_problems(output, schema) == []


def test_output_problems_name_the_field() -> None:
    problems = output_problems({"text": 3}, DEFAULT_OUTPUT_SCHEMA)
    assert problems and problems[0].startswith("text:")


def _bundle() -> Bundle:
    return Bundle(
        bundle_id="b_1",
        tenant_id="acme",
        template_id="t",
        template_version="1+x",
        title="Q3",
        anchor_date=date(2030, 9, 30),
        stage="plan",
        owner="mia",
        created_by="mia",
        created_at=NOW,
        updated_at=NOW,
    )


def _job(
    key: str, output: dict[str, Any], at: datetime, status: JobStatus = JobStatus.SUCCEEDED
) -> AssistantJob:
    return AssistantJob(
        job_id=f"job_{at.isoformat()}",
        tenant_id="acme",
        bundle_id="b_1",
        template_task_ref=key,
        kind="task_step",
        status=status,
        output=output,
        created_by="mia",
        created_at=at,
        updated_at=at,
    )


def test_latest_outputs_take_the_newest_succeeded_job_per_task() -> None:
    later = datetime(2030, 1, 2, tzinfo=UTC)
    jobs = [
        _job("outline", {"headline": "old"}, NOW),
        _job("outline", {"headline": "new"}, later),
        _job("draft", {"body": "x"}, later, JobStatus.FAILED),
    ]
    assert latest_outputs(jobs) == {"outline": {"headline": "new"}}


def test_strict_rendering_names_the_missing_output() -> None:
    plan = plan_for_ad_hoc(
        "summarize_bundle", {"prompt": "{{ bundle.title }} / {{ outputs.outline.headline }}"}
    )
    context = render_context(_bundle(), None, {})
    with pytest.raises(MissingVariableError) as caught:
        render_prompt(plan, context)
    assert caught.value.variable == "outputs.outline.headline"
    assert render_prompt(plan, render_context(_bundle(), None, {"outline": {"headline": "H"}})) == "Q3 / H"


def test_ad_hoc_plans_refuse_missing_prompts_and_bad_schemas() -> None:
    with pytest.raises(ValidationFailedError):
        plan_for_ad_hoc("summarize_bundle", {})
    with pytest.raises(ValidationFailedError):
        plan_for_ad_hoc("summarize_bundle", {"prompt": "x", "output_schema": {"type": "string"}})
    with pytest.raises(ValidationFailedError):
        plan_for_ad_hoc("haiku", {"prompt": "x"})


def test_step_plan_keeps_the_fill_field() -> None:
    step = next(s for _, key, s in _all_steps() if key == "outline")
    assert plan_for_step(step).fill_proof_comment == "headline"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"text": "a"}', {"text": "a"}),
        ('Sure!\n```json\n{"text": "b"}\n```', {"text": "b"}),
        ('x {"a": 1} y', {"a": 1}),
    ],
)
def test_parse_json_object(text: str, expected: dict[str, Any]) -> None:
    assert parse_json_object(text) == expected


@pytest.mark.parametrize("text", ["no json here", "[1, 2]", "{broken"])
def test_parse_json_object_refuses(text: str) -> None:
    with pytest.raises(ProviderError):
        parse_json_object(text)


def _bedrock() -> tuple[BedrockAssistantProvider, Stubber]:
    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    return BedrockAssistantProvider(client, "model-1", 512), Stubber(client)


def test_bedrock_provider_uses_converse_and_parses_the_answer() -> None:
    provider, stubber = _bedrock()
    stubber.add_response(
        "converse",
        {
            "output": {"message": {"role": "assistant", "content": [{"text": '{"text": "hello"}'}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
            "metrics": {"latencyMs": 1},
        },
        {
            "modelId": "model-1",
            "system": [{"text": stubber_any()}],
            "messages": [{"role": "user", "content": [{"text": "Say hello"}]}],
            "inferenceConfig": {"maxTokens": 512, "temperature": 0},
        },
    )
    with stubber:
        assert provider.generate("Say hello", DEFAULT_OUTPUT_SCHEMA) == {"text": "hello"}


def stubber_any() -> Any:
    from botocore.stub import ANY

    return ANY


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ThrottlingException", TransientProviderError),
        ("ModelTimeoutException", TransientProviderError),
        ("ValidationException", ProviderError),
    ],
)
def test_bedrock_errors_are_classified(code: str, error: type[Exception]) -> None:
    provider, stubber = _bedrock()
    stubber.add_client_error("converse", service_error_code=code, http_status_code=400)
    with stubber, pytest.raises(error) as caught:
        provider.generate("x", DEFAULT_OUTPUT_SCHEMA)
    assert (type(caught.value) is TransientProviderError) == (error is TransientProviderError)
