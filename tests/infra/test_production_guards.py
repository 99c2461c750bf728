"""Production guards of the stack: refused configurations, reserved concurrency, the alarms operators
need, and Bedrock grants that accept inference profiles."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack

from tests.infra.conftest import Synthesized
from workengine_infra import constants as c
from workengine_infra.app import config_from_context
from workengine_infra.functions import bedrock_model_arns
from workengine_infra.stack import StackConfig


def function_of(synth: Synthesized, handler: str) -> tuple[str, dict[str, Any]]:
    ((key, function),) = [
        (k, v) for k, v in synth.functions().items() if v["Properties"]["Handler"] == handler
    ]
    return key, function


@pytest.mark.parametrize(
    ("origins", "email", "message"),
    [
        (["*"], "ops@example.com", "origins"),
        (["https://app.example.com", "*"], "ops@example.com", "origins"),
        ([], "ops@example.com", "origins"),
        (["https://app.example.com"], None, "alarm subscriber"),
    ],
)
def test_prod_refuses_wildcard_origins_and_alarms_nobody_receives(
    origins: list[str], email: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        StackConfig(stage="prod", allowed_origins=origins, alarm_email=email)
    StackConfig(stage="dev", allowed_origins=origins, alarm_email=email)  # dev keeps its defaults


def test_prod_synth_from_context_alone_fails_without_origins() -> None:
    with pytest.raises(ValueError, match="origins"):
        config_from_context(App(context={"stage": "prod", c.CONTEXT_ALARM_EMAIL: "ops@example.com"}))


def test_export_and_jobs_workers_have_reserved_concurrency(dev: Synthesized) -> None:
    _, export = function_of(dev, c.EXPORT_WORKER_HANDLER)
    jobs_id, jobs = function_of(dev, c.JOBS_WORKER_HANDLER)
    assert export["Properties"]["ReservedConcurrentExecutions"] == c.DEFAULT_EXPORT_WORKER_CONCURRENCY
    assert jobs["Properties"]["ReservedConcurrentExecutions"] == c.DEFAULT_JOBS_WORKER_CONCURRENCY
    (mapping,) = [
        m
        for m in dev.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": jobs_id}
    ]
    assert mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"] <= max(
        2, c.DEFAULT_JOBS_WORKER_CONCURRENCY
    )


def test_reserved_concurrency_comes_from_context() -> None:
    config = config_from_context(
        App(context={c.CONTEXT_EXPORT_WORKER_CONCURRENCY: "3", c.CONTEXT_JOBS_WORKER_CONCURRENCY: "10"})
    )
    assert (config.export_worker_concurrency, config.jobs_worker_concurrency) == (3, 10)


def _alarms(synth: Synthesized) -> list[dict[str, Any]]:
    return [alarm["Properties"] for alarm in synth.of_type("AWS::CloudWatch::Alarm").values()]


def test_export_duration_alarms_before_the_timeout(dev: Synthesized) -> None:
    export_id, export = function_of(dev, c.EXPORT_WORKER_HANDLER)
    (alarm,) = [
        a
        for a in _alarms(dev)
        if a["MetricName"] == "Duration" and a["Dimensions"][0]["Value"] == {"Ref": export_id}
    ]
    timeout_ms = export["Properties"]["Timeout"] * 1000
    assert alarm["Threshold"] == timeout_ms * c.DURATION_ALARM_FRACTION < timeout_ms
    assert alarm["Statistic"] == "Maximum" and alarm["AlarmActions"]


def test_table_throttling_alarms_on_reads_and_writes(dev: Synthesized) -> None:
    (table_id,) = dev.of_type("AWS::DynamoDB::Table")
    throttles = {
        a["MetricName"]
        for a in _alarms(dev)
        if a.get("Namespace") == "AWS/DynamoDB"
        and a["Dimensions"] == [{"Name": "TableName", "Value": {"Ref": table_id}}]
    }
    assert throttles == {"ReadThrottleEvents", "WriteThrottleEvents"}


def test_alarm_topic_has_a_subscriber_in_prod(prod: Synthesized) -> None:
    (subscription,) = prod.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack(App(), "Bedrock")


def test_bedrock_grant_covers_foundation_models(stack: Stack) -> None:
    (arn,) = [stack.resolve(a) for a in bedrock_model_arns(stack, "anthropic.claude-3-5-haiku-20241022-v1:0")]
    assert "foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0" in str(arn)


def test_bedrock_grant_accepts_inference_profiles(stack: Stack) -> None:
    profile, model = (
        str(stack.resolve(a)) for a in bedrock_model_arns(stack, "eu.anthropic.claude-sonnet-4-20250514-v1:0")
    )
    assert "inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0" in profile
    # the profile routes to the model in several regions: the model grant is for any region
    assert ":bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0" in model


def test_bedrock_grant_takes_an_arn_as_given(stack: Stack) -> None:
    arn = "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abc123"
    assert bedrock_model_arns(stack, arn) == [arn]
