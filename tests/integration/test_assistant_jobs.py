"""Assistant jobs: API → SQS (moto) → Powertools batch worker → DynamoDB, with the local provider."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_bundles_api import table_items
from tests.support.api import ApiClient, Caller
from workengine.dal import table as t
from workengine.dal.aws import client
from workengine.dal.codec import deserialize
from workengine.dal.job_repository import DynamoJobRepository
from workengine.handlers.api import dependencies as deps
from workengine.handlers.jobs_worker import lambda_handler as worker
from workengine.services.assistant_providers import LocalAssistantProvider, TransientProviderError
from workengine.services.job_runner import JobRunner, RetryPolicy
from workengine.settings import get_settings
from workengine_tools.local.assistant_backend import drain_jobs_once, jobs_loop, sqs_event
from workengine_tools.local.events import LocalLambdaContext

CONTENT = Path(__file__).resolve().parents[1] / "fixtures" / "assistant_content"


@pytest.fixture
def jobs_api(aws_env: None, member: Caller, monkeypatch: pytest.MonkeyPatch) -> ApiClient:
    monkeypatch.setenv("WORKENGINE_CONTENT_PATH", str(CONTENT))
    monkeypatch.setenv("WORKENGINE_ASSISTANT_RETRY_BASE_SECONDS", "0")
    deps.reset()
    return ApiClient(member)


def _bundle(api: ApiClient, caller: Caller | None = None) -> dict[str, Any]:
    response = api.post(
        "/bundles",
        {"template_id": "artifact-flow", "title": "Q3 report", "anchor_date": "2030-09-30"},
        caller=caller,
    )
    assert response.status == 201, response.body
    body: dict[str, Any] = response.body
    return body


def _task_id(bundle: Mapping[str, Any], key: str) -> str:
    return str(next(t["task_id"] for t in bundle["tasks"] if t["template_task_ref"] == key))


def _queue_step(api: ApiClient, bundle: Mapping[str, Any], key: str) -> dict[str, Any]:
    response = api.post(
        "/assistant-jobs",
        {"bundle_id": bundle["bundle"]["bundle_id"], "task_id": _task_id(bundle, key), "kind": "task_step"},
    )
    assert response.status == 202, response.body
    job: dict[str, Any] = response.body["job"]
    return job


def _drain() -> None:
    while drain_jobs_once(get_settings()) > 0:
        pass


def _job(api: ApiClient, job_id: str) -> dict[str, Any]:
    response = api.get(f"/assistant-jobs/{job_id}")
    assert response.status == 200, response.body
    job: dict[str, Any] = response.body["job"]
    return job


def _stored(pk: str, sk: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(TableName=get_settings().table_name, Key={t.PK: {"S": pk}, t.SK: {"S": sk}})
        .get("Item")
    )
    return deserialize(item) if item else None


class FlakyProvider:
    """Fails transiently ``failures`` times, then answers like the local provider."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def generate(self, prompt: str, output_schema: Mapping[str, Any]) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.failures:
            raise TransientProviderError("ThrottlingException")
        return LocalAssistantProvider().generate(prompt, output_schema)


def _service(provider: Any, sleeps: list[float], max_attempts: int = 3) -> JobRunner:
    """The worker's service with a given provider, a recording sleep and a known retry policy."""
    settings = get_settings()
    return JobRunner(
        DynamoJobRepository(client("dynamodb"), settings.table_name),
        deps.bundle_repository(),
        deps.catalog(),
        provider,
        retry=RetryPolicy(max_attempts=max_attempts, base_seconds=0.5),
        sleep=sleeps.append,
    )


def test_chained_task_steps_render_earlier_outputs_and_fill_proof(jobs_api: ApiClient) -> None:
    # Given a bundle whose "draft" step uses the "outline" step's output
    bundle = _bundle(jobs_api)

    # When the outline job runs, then the draft job runs
    outline = _queue_step(jobs_api, bundle, "outline")
    assert outline["status"] == "queued" and outline["attempts"] == 0
    _drain()
    outline = _job(jobs_api, outline["job_id"])
    draft = _queue_step(jobs_api, bundle, "draft")
    _drain()
    draft = _job(jobs_api, draft["job_id"])

    # Then both succeeded with schema-valid output, and the draft prompt carries the outline output
    assert outline["status"] == "succeeded" and outline["attempts"] == 1 and outline["error"] is None
    assert set(outline["output"]) == {"headline", "sections"} and len(outline["output"]["sections"]) >= 2
    assert 'Outline a report called "Q3 report" due 2030-09-30' in outline["prompt"]
    assert draft["status"] == "succeeded", draft["error"]
    assert f'titled "{outline["output"]["headline"]}"' in draft["prompt"]
    assert json.dumps(outline["output"]["sections"], ensure_ascii=False, sort_keys=True) in draft["prompt"]
    assert 100 <= draft["output"]["word_count"] <= 900

    # And the outline's headline filled its task's proof comment, with an audit event
    task = jobs_api.get(f"/tasks/{_task_id(bundle, 'outline')}").body["task"]
    assert task["proof"]["comment"] == outline["output"]["headline"]
    events = jobs_api.get(f"/bundles/{bundle['bundle']['bundle_id']}/events").body["items"]
    actions = [(e["entity_type"], e["action"]) for e in events]
    assert ("task", "proof_filled_by_assistant") in actions
    assert actions.count(("assistant_job", "succeeded")) == 2


def test_missing_prompt_variable_fails_the_job_with_its_name_without_calling_the_provider(
    jobs_api: ApiClient,
) -> None:
    # Given a draft step whose prompt needs outputs.outline, which never ran
    bundle = _bundle(jobs_api)
    draft = _queue_step(jobs_api, bundle, "draft")

    # When the worker runs it
    _drain()

    # Then it failed, naming the variable, with no attempt and no prompt rendered
    job = _job(jobs_api, draft["job_id"])
    assert job["status"] == "failed"
    assert "outputs.outline.headline" in job["error"]
    assert job["attempts"] == 0 and job["prompt"] is None and job["output"] is None


def test_ad_hoc_job_renders_bundle_fields_and_refuses_bad_input(jobs_api: ApiClient) -> None:
    bundle = _bundle(jobs_api)
    bundle_id = bundle["bundle"]["bundle_id"]
    created = jobs_api.post(
        "/assistant-jobs",
        {
            "bundle_id": bundle_id,
            "kind": "summarize_bundle",
            "input": {"prompt": "Summarise {{ bundle.title }}"},
        },
    )
    assert created.status == 202
    _drain()
    job = _job(jobs_api, created.body["job"]["job_id"])
    assert job["status"] == "succeeded" and job["prompt"] == "Summarise Q3 report"
    assert isinstance(job["output"]["text"], str)

    no_prompt = jobs_api.post("/assistant-jobs", {"bundle_id": bundle_id, "kind": "summarize_bundle"})
    assert no_prompt.status == 422 and no_prompt.body["error"]["details"]["field"] == "input.prompt"
    unknown = jobs_api.post(
        "/assistant-jobs", {"bundle_id": bundle_id, "kind": "write_poem", "input": {"prompt": "x"}}
    )
    assert unknown.status == 422
    no_step = jobs_api.post(
        "/assistant-jobs",
        {"bundle_id": bundle_id, "kind": "task_step", "task_id": _task_id(bundle, "evidence")},
    )
    assert no_step.status == 422 and no_step.error_code == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "prompt",
    [
        "Summarise {{ bundle.titel }}",
        "Use {{ outputs.outline.headline }}",
        "{{ nothing }}",
        "{{ bundle.title | shout }}",
    ],
)
def test_an_ad_hoc_prompt_that_cannot_render_is_refused_at_creation(jobs_api: ApiClient, prompt: str) -> None:
    bundle_id = _bundle(jobs_api)["bundle"]["bundle_id"]
    before = table_items()

    response = jobs_api.post(
        "/assistant-jobs", {"bundle_id": bundle_id, "kind": "summarize_bundle", "input": {"prompt": prompt}}
    )

    assert response.status == 422 and response.body["error"]["details"]["field"] == "input.prompt"
    assert table_items() == before


def test_transient_errors_are_retried_with_backoff_then_succeed(jobs_api: ApiClient) -> None:
    # Given a provider that is throttled twice
    bundle = _bundle(jobs_api)
    job = _queue_step(jobs_api, bundle, "outline")
    provider, sleeps = FlakyProvider(failures=2), []  # type: ignore[var-annotated]
    service = _service(provider, sleeps, max_attempts=3)

    # When the job runs
    result = service.run_job("acme", job["bundle_id"], job["job_id"])

    # Then it succeeded on the third attempt after exponential waits
    assert result.status.value == "succeeded" and result.attempts == 3
    assert sleeps == [0.5, 1.0]
    assert _job(jobs_api, job["job_id"])["status"] == "succeeded"


def test_retry_exhaustion_fails_the_job_and_reminds_the_bundle_owner(jobs_api: ApiClient) -> None:
    # Given a provider that never stops throttling
    bundle = _bundle(jobs_api)
    job = _queue_step(jobs_api, bundle, "outline")
    provider, sleeps = FlakyProvider(failures=99), []  # type: ignore[var-annotated]

    # When the job runs out of attempts
    result = _service(provider, sleeps, max_attempts=3).run_job("acme", job["bundle_id"], job["job_id"])

    # Then it failed after 3 attempts
    assert result.status.value == "failed" and result.attempts == 3 and provider.calls == 3
    assert "3 times" in (result.error or "") and sleeps == [0.5, 1.0]

    # And an automation_failure reminder for the bundle owner sits in the bundle partition
    reminder_id = f"rem_{job['job_id']}_automation_failure"
    reminder = _stored(t.bundle_pk("acme", job["bundle_id"]), f"R#{reminder_id}")
    assert reminder is not None
    assert reminder["kind"] == "automation_failure" and reminder["recipient"] == bundle["bundle"]["owner"]
    assert reminder["status"] == "pending" and reminder["details"]["job_id"] == job["job_id"]
    assert reminder["gsi_entity_pk"] == t.entity_pk("acme", reminder_id)

    # And audit events record the failure and the reminder
    events = jobs_api.get(f"/bundles/{job['bundle_id']}/events").body["items"]
    actions = [(e["entity_type"], e["action"]) for e in events]
    assert ("assistant_job", "failed") in actions and ("reminder", "created") in actions

    # And a redelivered message changes nothing
    again = _service(provider, sleeps).run_job("acme", job["bundle_id"], job["job_id"])
    assert again.version == result.version and provider.calls == 3


def test_partial_batch_failure_reports_only_the_bad_record(jobs_api: ApiClient) -> None:
    # Given two good jobs and one malformed message in one batch
    bundle = _bundle(jobs_api)
    first = _queue_step(jobs_api, bundle, "outline")
    second = jobs_api.post(
        "/assistant-jobs",
        {
            "bundle_id": first["bundle_id"],
            "kind": "summarize_bundle",
            "input": {"prompt": "{{ bundle.title }}"},
        },
    ).body["job"]
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=get_settings().jobs_queue_name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"tenant_id": "acme"}))
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 3
    bad = next(m for m in messages if "job_id" not in json.loads(m["Body"]))

    # When the worker handles the batch
    response = worker(sqs_event(messages), LocalLambdaContext())

    # Then only the malformed record is reported, and both jobs are done
    assert response == {"batchItemFailures": [{"itemIdentifier": bad["MessageId"]}]}
    assert _job(jobs_api, first["job_id"])["status"] == "succeeded"
    assert _job(jobs_api, second["job_id"])["status"] == "succeeded"


def test_other_tenants_get_not_found_for_jobs_and_bundles(jobs_api: ApiClient, outsider: Caller) -> None:
    bundle = _bundle(jobs_api)
    job = _queue_step(jobs_api, bundle, "outline")
    assert jobs_api.get(f"/assistant-jobs/{job['job_id']}", caller=outsider).error_code == "NOT_FOUND"
    foreign = jobs_api.post(
        "/assistant-jobs",
        {"bundle_id": job["bundle_id"], "kind": "task_step", "task_id": job["task_id"]},
        caller=outsider,
    )
    assert foreign.status == 404
    assert jobs_api.post(f"/assistant-jobs/{job['job_id']}/cancel", caller=outsider).status == 404


def test_viewer_cannot_queue_and_queued_job_can_be_cancelled(jobs_api: ApiClient, viewer: Caller) -> None:
    bundle = _bundle(jobs_api)
    refused = jobs_api.post(
        "/assistant-jobs",
        {
            "bundle_id": bundle["bundle"]["bundle_id"],
            "kind": "task_step",
            "task_id": _task_id(bundle, "outline"),
        },
        caller=viewer,
    )
    assert refused.status == 403
    job = _queue_step(jobs_api, bundle, "outline")

    cancelled = jobs_api.post(f"/assistant-jobs/{job['job_id']}/cancel")
    _drain()

    assert cancelled.status == 200 and cancelled.body["job"]["status"] == "cancelled"
    assert _job(jobs_api, job["job_id"])["status"] == "cancelled"
    assert jobs_api.post(f"/assistant-jobs/{job['job_id']}/cancel").error_code == "INVALID_TRANSITION"


def test_the_local_jobs_loop_survives_a_batch_where_every_record_fails(
    jobs_api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a queue holding only a poisoned message (Powertools raises when a whole batch fails)
    settings = get_settings()
    url = client("sqs").get_queue_url(QueueName=settings.jobs_queue_name)["QueueUrl"]
    client("sqs").send_message(QueueUrl=url, MessageBody="not json")

    # When the loop drains it, then gets a healthy job
    stop = threading.Event()
    thread = threading.Thread(target=jobs_loop, args=(settings, stop), daemon=True)
    thread.start()
    try:
        bundle = _bundle(jobs_api)
        created = jobs_api.post(
            "/assistant-jobs",
            {
                "bundle_id": bundle["bundle"]["bundle_id"],
                "kind": "summarize_bundle",
                "input": {"prompt": "Hi"},
            },
        )
        deadline = time.monotonic() + 60
        while _job(jobs_api, created.body["job"]["job_id"])["status"] == "queued":
            assert thread.is_alive(), "the jobs loop died"
            assert time.monotonic() < deadline
            stop.wait(0.2)
    finally:
        stop.set()
        thread.join(timeout=10)

    # Then the loop is still alive and the later job ran
    assert _job(jobs_api, created.body["job"]["job_id"])["status"] == "succeeded"
