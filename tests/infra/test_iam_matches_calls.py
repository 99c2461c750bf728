"""IAM matches the calls: each function's handler runs on moto (with the environment the synthesized stack
gives it, resolved to moto resources) through a scenario that reaches its AWS calls; botocore's
``provide-client-params`` hook records every call (presigned URLs included). The calls are translated to
the authorizations IAM performs and compared with the function role's synthesized policy: a call without a
grant fails, and so does a grant no call uses. Grants the Lambda service itself uses with the role (logs,
X-Ray, the event source's queue, the dead-letter queue, failure destinations) come from the template.

A new function needs a scenario in ``SCENARIOS`` (the test fails naming it until it has one)."""

from __future__ import annotations

import fnmatch
import importlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.infra.conftest import Synthesized
from tests.support.iam_policy import (
    CallRecorder,
    Grant,
    Need,
    grants_of,
    needs_of_call,
    reads_needing_list_bucket,
    resolve,
    role_statements,
)
from tests.support.stack_moto import CREDENTIALS, MotoStack, moto_server
from workengine.dal import aws
from workengine.dal.export_storage import DynamoExportRuns
from workengine.domain.export_format import ExportRun
from workengine.handlers.api import dependencies as deps
from workengine_infra import constants as c
from workengine_tools.local.events import LocalLambdaContext, http_api_event
from workengine_tools.local.stream_drain import lambda_record

TENANT = "acme"
ADMIN = {"sub": "ada", "custom:tenant_id": TENANT, "custom:role": "admin"}
MEMBER = {"sub": "mia", "custom:tenant_id": TENANT, "custom:role": "member"}
PDF = b"%PDF-1.7 report\n" * 16
SHOWCASE = "renewal-journey"  # the smallest showcase: one bundle
SHOWCASE_TENANT = "showcase-co"
SWEEP_AT = "2027-01-01T09:00:00Z"  # after the newsletter schedule's next occurrence (1st of the month)
PLATFORM_SERVICES = ("logs", "xray")  # written by the Lambda service and the X-Ray daemon, not the code
DESTINATION_ACTIONS = {
    "sqs": "sqs:SendMessage",
    "sns": "sns:Publish",
    "lambda": "lambda:InvokeFunction",
    "events": "events:PutEvents",
}
# What the Lambda service reads a DynamoDB stream with (ListStreams has no resource-level permission).
EVENT_SOURCE_STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
# An event source mapping's on-failure queue: the service checks it and sends the batch description.
ON_FAILURE_QUEUE_ACTIONS = ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")
EVENT_SOURCE_SQS_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
)


@dataclass
class Lambdas:
    """Invokes the stack's handlers in this process, each with its own environment, recording calls."""

    stack: MotoStack
    recorder: CallRecorder
    calls: dict[str, list[tuple[str, str, dict[str, Any], bool]]] = field(default_factory=dict)

    def function_id(self, handler: str) -> str:
        (found,) = [k for k, v in self.stack.functions().items() if v["Properties"]["Handler"] == handler]
        return found

    def invoke(self, handler: str, event: Any) -> Any:
        function_id = self.function_id(handler)
        module_name, _, attribute = handler.rpartition(".")
        function = getattr(importlib.import_module(module_name), attribute)
        environment = {
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": self.stack.endpoint,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            **self.stack.environment(function_id),
        }
        with pytest.MonkeyPatch.context() as mp:
            for name in [n for n in os.environ if n.startswith("WORKENGINE_")]:
                mp.delenv(name)
            mp.setenv("POWERTOOLS_METRICS_NAMESPACE", "WorkEngineTest")
            for name, value in environment.items():
                mp.setenv(name, value)
            deps.reset()
            with self.recorder.recording():
                before = len(self.recorder.calls)
                try:
                    return function(event, LocalLambdaContext())
                finally:
                    self.calls.setdefault(function_id, []).extend(self.recorder.calls[before:])
                    deps.reset()

    def api(self, method: str, path: str, body: Any = None, claims: dict[str, str] = ADMIN, **kw: Any) -> Any:
        response = self.invoke(c.API_HANDLER, http_api_event(method, path, body=body, claims=claims, **kw))
        raw = response.get("body") or ""
        parsed = json.loads(raw) if raw.startswith(("{", "[")) else raw
        return int(response["statusCode"]), parsed


def _ok(result: tuple[int, Any], *expected: int) -> Any:
    status, body = result
    assert status in (expected or (200,)), (status, body)
    return body


# ---- scenarios: each reaches every AWS call its function makes ---------------------------------------
@dataclass
class World:
    bundle: dict[str, Any] = field(default_factory=dict)
    uploaded: dict[str, Any] = field(default_factory=dict)  # artifact with its binary in S3
    pending: dict[str, Any] = field(default_factory=dict)  # artifact never uploaded
    wrong_size: dict[str, Any] = field(default_factory=dict)  # binary does not match the metadata
    export_id: str = ""
    job_id: str = ""


def _task(bundle: dict[str, Any], key: str) -> dict[str, Any]:
    return next(t for t in bundle["tasks"] if t["template_task_ref"] == key)


def _artifact(lambdas: Lambdas, bundle_id: str, size: int) -> dict[str, Any]:
    body = {"filename": "report.pdf", "content_type": "application/pdf", "size_bytes": size}
    created: dict[str, Any] = _ok(lambdas.api("POST", f"/bundles/{bundle_id}/artifacts", body), 201)
    return created


def _put(created: dict[str, Any], data: bytes) -> None:
    response = requests.put(created["upload_url"], data=data, headers=created["upload_headers"], timeout=10)
    assert response.status_code in (200, 204), response.text


OLGA = {"sub": "olga", "custom:tenant_id": TENANT, "custom:role": "member"}
ALWAYS_QUIET = {"start": "00:01", "end": "00:00", "time_zone": "UTC"}  # all day but one minute


def api_setup(lambdas: Lambdas, world: World) -> None:
    # Reminder email: SES knows the sender; mia gets email and a daily digest, olga is in quiet hours,
    # ada (an admin) receives what is addressed to the admins; rex's digest goes to his Cognito address.
    sender = lambdas.stack.environment(lambdas.function_id(c.NOTIFIER_HANDLER))["WORKENGINE_EMAIL_SENDER"]
    lambdas.stack.client("sesv2").create_email_identity(EmailIdentity=sender)
    _ok(lambdas.api("PUT", "/me/preferences", {"email": "mia@example.com", "digest": "daily"}, claims=MEMBER))
    _ok(lambdas.api("PUT", "/me/preferences", {"email": "olga@example.com", "quiet_hours": ALWAYS_QUIET},
                    claims=OLGA))  # fmt: skip
    _ok(lambdas.api("PUT", "/me/preferences", {"email": "ada@example.com"}))
    rex = {"sub": "rex", "custom:tenant_id": TENANT, "custom:role": "member"}
    _ok(lambdas.api("PUT", "/me/preferences", {"digest": "daily"}, claims=rex))  # his address: Cognito's
    body = {"template_id": "newsletter-issue", "title": "Newsletter May", "anchor_date": "2026-05-15",
            "assignees": {"owner": "mia", "editor": "mia"}}  # fmt: skip
    world.bundle = _ok(lambdas.api("POST", "/bundles", body, headers={"Idempotency-Key": "k-1"}), 201)
    # tasks falling due around the sweep's time (SWEEP_AT)
    _ok(
        lambdas.api("POST", "/bundles", {**body, "title": "Newsletter January", "anchor_date": "2027-01-05"}),
        201,
    )
    bundle_id = world.bundle["bundle"]["bundle_id"]
    world.uploaded = _artifact(lambdas, bundle_id, len(PDF))
    _put(world.uploaded, PDF)
    world.pending = _artifact(lambdas, bundle_id, len(PDF))
    world.wrong_size = _artifact(lambdas, bundle_id, len(PDF))
    _put(world.wrong_size, PDF + b"more")


def s3_object_created(bucket: str, key: str) -> dict[str, Any]:
    return {
        "version": "0", "id": "e-1", "detail-type": "Object Created", "source": "aws.s3",
        "account": "123456789012", "time": "2026-05-01T10:00:00Z", "region": "eu-west-1", "resources": [],
        "detail": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1}},
    }  # fmt: skip


def artifact_uploaded(lambdas: Lambdas, world: World) -> None:
    env = lambdas.stack.environment(lambdas.function_id(c.ARTIFACT_UPLOADED_HANDLER))
    bucket = env["WORKENGINE_BUCKET_NAME"]
    for created in (world.uploaded, world.pending, world.wrong_size):
        key = created["artifact"]["s3_key"]
        lambdas.invoke(c.ARTIFACT_UPLOADED_HANDLER, s3_object_created(bucket, key))


def export_worker(lambdas: Lambdas, world: World) -> None:
    env = lambdas.stack.environment(lambdas.function_id(c.EXPORT_WORKER_HANDLER))
    now = datetime.now(UTC)
    run = ExportRun(export_id="x_iam", tenant_id=TENANT, requested_by="ada", with_binaries=True,
                    created_at=now, updated_at=now)  # fmt: skip
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {**CREDENTIALS, "AWS_ENDPOINT_URL": lambdas.stack.endpoint}.items():
            mp.setenv(name, value)
        DynamoExportRuns(lambdas.stack.client("dynamodb"), env["WORKENGINE_TABLE_NAME"]).create(run)
    result = lambdas.invoke(c.EXPORT_WORKER_HANDLER, {"tenant_id": TENANT, "export_id": run.export_id})
    assert result["status"] == "succeeded", result
    world.export_id = run.export_id


def jobs_worker(lambdas: Lambdas, world: World) -> None:
    bundle = world.bundle["bundle"]
    body = {"bundle_id": bundle["bundle_id"], "task_id": _task(world.bundle, "pick_theme")["task_id"],
            "kind": "task_step"}  # fmt: skip
    job = _ok(lambdas.api("POST", "/assistant-jobs", body, claims=MEMBER), 202)
    world.job_id = job["job"]["job_id"]
    env = lambdas.stack.environment(lambdas.function_id(c.JOBS_WORKER_HANDLER))
    messages = lambdas.stack.client("sqs").receive_message(
        QueueUrl=env["WORKENGINE_JOBS_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=1
    )["Messages"]
    records = [
        {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
         "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:jobs",
         "awsRegion": "eu-west-1"}
        for m in messages
    ]  # fmt: skip
    result = lambdas.invoke(c.JOBS_WORKER_HANDLER, {"Records": records})
    assert result == {"batchItemFailures": []}, result


def sweep(lambdas: Lambdas, world: World) -> None:
    schedule = {"enabled": True, "assignees": {"owner": "olga", "editor": "olga"}}
    _ok(lambdas.api("PUT", "/schedules/newsletter-issue", schedule))
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": SWEEP_AT,
             "detail": {}}  # fmt: skip
    report = lambdas.invoke(c.SWEEP_HANDLER, event)
    assert report["bundles_created"] and report["reminders_created"] and report["published"], report
    assert report["handed_over"], report  # the due-index shards go to the sweep workers
    assert report["digests_sent"] == 1, report  # mia's


def sweep_worker(lambdas: Lambdas, world: World) -> None:
    env = lambdas.stack.environment(lambdas.function_id(c.SWEEP_WORKER_HANDLER))
    sqs = lambdas.stack.client("sqs")
    created = 0
    while messages := sqs.receive_message(
        QueueUrl=env["WORKENGINE_SWEEP_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=1
    ).get("Messages", []):
        for m in messages:
            result = lambdas.invoke(c.SWEEP_WORKER_HANDLER, {"Records": [{"body": m["Body"]}]})
            created += sum(shard["reminders_created"] for shard in result["shards"])
            sqs.delete_message(QueueUrl=env["WORKENGINE_SWEEP_QUEUE_URL"], ReceiptHandle=m["ReceiptHandle"])
    assert created, "the workers create the reminders of the tasks due at SWEEP_AT"


def _sqs_record(message_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"messageId": message_id, "receiptHandle": message_id, "body": json.dumps(body),
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:triggers",
            "awsRegion": "eu-west-1"}  # fmt: skip


def event_trigger(lambdas: Lambdas, world: World) -> None:
    def renewal(event_id: str, renewal_date: str) -> dict[str, Any]:
        detail = {"tenant_id": TENANT, "renewal_date": renewal_date, "account": {"account_name": "Initech"},
                  "team": {"account-owner": "ada", "csm": "cal"}}  # fmt: skip
        return {"version": "0", "id": event_id, "detail-type": "RenewalWindowOpened", "source": "crm",
                "detail": detail}  # fmt: skip

    records = [
        _sqs_record("m-ok", renewal("e-ok", "2027-06-30")),
        _sqs_record("m-bad", renewal("e-bad", "soon")),
    ]
    result = lambdas.invoke(c.EVENT_TRIGGER_HANDLER, {"Records": records})
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}, result


def reminder_created(reminder: dict[str, Any]) -> dict[str, Any]:
    """One SQS record carrying the EventBridge ``ReminderCreated`` event the rule delivers."""
    envelope = {"version": "0", "id": f"e-{reminder['reminder_id']}", "detail-type": "ReminderCreated",
                "source": "workengine", "account": "123456789012", "time": "2026-12-02T09:00:00Z",
                "region": "eu-west-1", "resources": [], "detail": reminder}  # fmt: skip
    return {"messageId": reminder["reminder_id"], "receiptHandle": "h", "body": json.dumps(envelope),
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:notifier",
            "awsRegion": "eu-west-1"}  # fmt: skip


def notifier(lambdas: Lambdas, world: World) -> None:
    from workengine.dal.items import reminder_item
    from workengine.domain.entities import Reminder

    reminders = _ok(lambdas.api("GET", "/reminders", query={"limit": "100"}))["items"]
    to_mia = next(r for r in reminders if r["recipient"] == "mia")
    to_olga = next(r for r in reminders if r["recipient"] == "olga")
    # addressed to the admins (as the event trigger's failures are), and to someone without preferences
    extra = [{**to_mia, "reminder_id": "r_admins", "recipient": "role:admin", "kind": "automation_failure"},
             {**to_mia, "reminder_id": "r_nobody", "recipient": "zed"}]  # fmt: skip
    env = lambdas.stack.environment(lambdas.function_id(c.NOTIFIER_HANDLER))
    for reminder in extra:
        item = reminder_item(Reminder.model_validate(reminder))
        lambdas.stack.client("dynamodb").put_item(TableName=env["WORKENGINE_TABLE_NAME"], Item=item)
    records = [reminder_created(r) for r in (to_mia, to_olga, *extra)]
    result = lambdas.invoke(c.NOTIFIER_HANDLER, {"Records": records})
    assert result == {"batchItemFailures": []}, result
    # olga's email waits for the end of her quiet hours; the sweep sends it then
    midnight = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {},
             "time": midnight.isoformat()}  # fmt: skip
    report = lambdas.invoke(c.SWEEP_HANDLER, event)
    assert report["emails_sent"] == 1, report


def api(lambdas: Lambdas, world: World) -> None:
    bundle_id = world.bundle["bundle"]["bundle_id"]
    task = _task(world.bundle, "pick_theme")
    task_path = f"/tasks/{task['task_id']}"
    paths = [
        "/bundles", f"/bundles/{bundle_id}", f"/bundles/{bundle_id}/events", f"/bundles/{bundle_id}/template",
        "/templates", "/templates/newsletter-issue", "/schedules", "/tasks", task_path,
        f"{task_path}/comments",
        f"/artifacts/{world.uploaded['artifact']['artifact_id']}", f"/assistant-jobs/{world.job_id}",
        f"/exports/{world.export_id}", "/reminders", "/me/preferences",
    ]  # fmt: skip
    for path in paths:
        _ok(lambdas.api("GET", path))
    _ok(lambdas.api("GET", "/tasks", claims=MEMBER))
    _ok(lambdas.api("GET", "/attention", claims=MEMBER))
    _ok(lambdas.api("GET", "/attention", query={"scope": "tenant"}))
    replay = {"template_id": "newsletter-issue", "title": "Newsletter May", "anchor_date": "2026-05-15",
              "assignees": {"owner": "mia", "editor": "mia"}}  # fmt: skip
    _ok(lambdas.api("POST", "/bundles", replay, headers={"Idempotency-Key": "k-1"}), 201)
    unknown = {**replay, "template_id": "no-such-template"}
    _ok(lambdas.api("POST", "/bundles", unknown, headers={"Idempotency-Key": "k-2"}), 404)
    evidence = next(t for t in world.bundle["tasks"] if "artifact" in t.get("proof_required", []))
    proof = {"proof": {"artifact_ids": [world.uploaded["artifact"]["artifact_id"]]}}
    _ok(lambdas.api("PATCH", f"/tasks/{evidence['task_id']}", proof))
    _ok(lambdas.api("POST", f"/tasks/{task['task_id']}/comments", {"text": "looks good"}), 201)
    _ok(lambdas.api("PATCH", f"/tasks/{task['task_id']}", {"status": "in_progress"}))
    reminders = _ok(lambdas.api("GET", "/reminders", claims=MEMBER))
    for reminder in reminders.get("reminders", [])[:1]:
        path = f"/reminders/{reminder['reminder_id']}"
        _ok(lambdas.api("PATCH", path, {"status": "acknowledged"}, claims=MEMBER))
    _ok(lambdas.api("POST", "/exports", {"with_binaries": False}), 503)  # moto has no such function to invoke
    _ok(lambdas.api("PATCH", f"/bundles/{bundle_id}", {"status": "archived"}))
    _ok(lambdas.api("PATCH", f"/bundles/{bundle_id}", {"status": "active"}))  # reopened: binaries untagged
    _ok(lambdas.api("PATCH", f"/bundles/{bundle_id}", {"status": "archived"}))


def showcase(lambdas: Lambdas) -> None:
    """The API function's ``POST /showcases/{name}``: the smallest showcase (one bundle) seeded
    through the engine's services on the story's clock — evidence PUT to presigned URLs and checked at
    once, assistant steps run inline, sweeps, approvals, snoozes, escalations — then asked for again."""
    admin = {**ADMIN, "custom:tenant_id": SHOWCASE_TENANT}  # a tenant of its own: the others' lists stay
    first = _ok(lambdas.api("POST", f"/showcases/{SHOWCASE}", claims=admin))["showcases"][SHOWCASE]
    assert first["status"] == "seeded" and first["artifacts"] and first["assistant_jobs"], first
    again = _ok(lambdas.api("POST", f"/showcases/{SHOWCASE}", claims=admin))["showcases"][SHOWCASE]
    assert again["status"] == "already_seeded", again


def stats_aggregator(lambdas: Lambdas, world: World) -> None:
    """The table's stream so far (bundles created, tasks changed, a bundle archived) plus a task done,
    delivered as the event source mapping does: counted changes, the task's bundle looked up."""
    body = {"template_id": "newsletter-issue", "title": "Newsletter June", "anchor_date": "2026-06-15",
            "assignees": {"owner": "mia", "editor": "mia"}}  # fmt: skip
    task = _task(_ok(lambdas.api("POST", "/bundles", body), 201), "pick_theme")
    done = {"status": "done", "proof": {"comment": "spring theme"}}
    _ok(lambdas.api("PATCH", f"/tasks/{task['task_id']}", done, claims=MEMBER))
    table = next(k for k, v in lambdas.stack.resources.items() if v["Type"] == "AWS::DynamoDB::Table")
    arn = lambdas.stack.resolve({"Fn::GetAtt": [table, "StreamArn"]})
    streams = lambdas.stack.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    wanted = [lambda_record(r, arn) for r in records if _entity_type(r) in c.STREAM_ENTITY_TYPES]
    result = lambdas.invoke(c.STATS_AGGREGATOR_HANDLER, {"Records": wanted})
    assert result == {"batchItemFailures": []}, result


def _entity_type(record: dict[str, Any]) -> str:
    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
    return str(image.get("entity_type", {}).get("S", ""))


SCENARIOS: dict[str, Callable[[Lambdas, World], None]] = {
    c.ARTIFACT_UPLOADED_HANDLER: artifact_uploaded,
    c.EXPORT_WORKER_HANDLER: export_worker,
    c.JOBS_WORKER_HANDLER: jobs_worker,
    c.SWEEP_HANDLER: sweep,
    c.SWEEP_WORKER_HANDLER: sweep_worker,
    c.EVENT_TRIGGER_HANDLER: event_trigger,
    c.NOTIFIER_HANDLER: notifier,
    c.API_HANDLER: api,
    c.STATS_AGGREGATOR_HANDLER: stats_aggregator,
}


@pytest.fixture(scope="module")
def recorded(dev: Synthesized) -> Iterator[tuple[MotoStack, dict[str, list[Need]]]]:
    recorder = CallRecorder()
    with moto_server() as endpoint:
        stack = MotoStack(dev.template, endpoint)
        # clients copy their session's hooks when created; every invoke rebuilds its services (deps.reset)
        aws.session().events.register("provide-client-params.*.*", recorder.hook, unique_id="iam-recorder")
        lambdas = Lambdas(stack, recorder)
        world = World()
        try:
            api_setup(lambdas, world)
            for scenario in SCENARIOS.values():
                scenario(lambdas, world)
            # Last: a whole story in the table and its stream, which the other scenarios need not read.
            showcase(lambdas)
        finally:
            aws.session().events.unregister("provide-client-params.*.*", unique_id="iam-recorder")
            deps.reset()
        needs: dict[str, list[Need]] = {}
        for function_id, calls in lambdas.calls.items():
            found = needs.setdefault(function_id, [])
            for service, operation, params, presigned in calls:
                found += needs_of_call(service, operation, params, stack)
                if not presigned:
                    found += reads_needing_list_bucket(service, operation, params)
        yield stack, needs


def _platform_needs(stack: MotoStack, function_id: str) -> list[Need]:
    """What the Lambda service does with the function's role: DLQ, event source, destinations."""
    resources = stack.resources
    needs = []
    target = resources[function_id]["Properties"].get("DeadLetterConfig", {}).get("TargetArn")
    if target:
        needs.append(Need("sqs:SendMessage", resolve(target, stack), why="dead-letter queue"))
    for resource in resources.values():
        props = resource.get("Properties", {})
        if props.get("FunctionName") != {"Ref": function_id}:
            continue
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            source = resolve(props["EventSourceArn"], stack)
            if source.startswith("arn:aws:dynamodb:"):
                needs += [Need(a, source, why="stream event source") for a in EVENT_SOURCE_STREAM_ACTIONS]
                needs.append(Need("dynamodb:ListStreams", "*", why="stream event source"))
            else:
                needs += [Need(a, source, why="event source mapping") for a in EVENT_SOURCE_SQS_ACTIONS]
            on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            if on_failure:
                queue = resolve(on_failure, stack)
                needs += [Need(a, queue, why="on-failure queue") for a in ON_FAILURE_QUEUE_ACTIONS]
        if resource["Type"] == "AWS::Lambda::EventInvokeConfig":
            for outcome in ("OnFailure", "OnSuccess"):
                destination = props.get("DestinationConfig", {}).get(outcome, {}).get("Destination")
                if destination:
                    arn = resolve(destination, stack)
                    action = DESTINATION_ACTIONS[arn.split(":")[2]]
                    needs.append(Need(action, arn, why=f"{outcome} destination"))
    return needs


# Grants for paths a scenario cannot reach on moto, each with the reason it is needed.
UNREACHED: dict[str, list[tuple[str, str, str]]] = {
    c.API_HANDLER: [
        ("dynamodb:DeleteItem", "table/*", "Powertools idempotency deletes its record when a create fails"),
        (
            "dynamodb:BatchWriteItem",
            "table/*",
            "a bundle too large for one transaction is removed on failure",
        ),
    ],
    c.SWEEP_HANDLER: [
        ("dynamodb:BatchWriteItem", "table/*", "an oversized occurrence is removed when its create fails"),
    ],
    c.SWEEP_WORKER_HANDLER: [
        ("sqs:SendMessage", "*", "a worker low on time hands the rest of its shard on"),
    ],
    c.EVENT_TRIGGER_HANDLER: [
        (
            "dynamodb:BatchWriteItem",
            "table/*",
            "a bundle too large for one transaction is removed on failure",
        ),
    ],
    c.EXPORT_WORKER_HANDLER: [
        ("s3:AbortMultipartUpload", "*/exports/*", "s3transfer aborts a failed multipart upload"),
    ],
    c.JOBS_WORKER_HANDLER: [
        ("bedrock:InvokeModel", "arn:aws:bedrock:*", "the Bedrock provider (moto has no Bedrock runtime)"),
    ],
}


def _unreached(handler: str, grant: Grant) -> bool:
    return any(
        grant.action == action and fnmatch.fnmatchcase(grant.resource, f"*{resource}")
        for action, resource, _ in UNREACHED.get(handler, [])
    )


def _grants(stack: MotoStack, function_id: str) -> list[Grant]:
    role_id = stack.resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    return grants_of(role_statements(stack.template, role_id), stack, skip_actions=PLATFORM_SERVICES)


def test_every_function_has_a_scenario(dev: Synthesized) -> None:
    handlers = {f["Properties"]["Handler"] for f in dev.functions().values()}
    assert handlers - set(SCENARIOS) == set(), "add a scenario for each new function"


def test_every_call_a_function_makes_is_granted(recorded: tuple[MotoStack, dict[str, list[Need]]]) -> None:
    stack, needs = recorded
    missing = {}
    for function_id, function_needs in needs.items():
        grants = _grants(stack, function_id)
        ungranted = sorted({str(n) for n in function_needs if not any(g.allows(n) for g in grants)})
        if ungranted:
            missing[stack.resources[function_id]["Properties"]["Handler"]] = ungranted
    assert missing == {}, "calls without a grant:\n" + json.dumps(missing, indent=1)


def test_every_grant_is_used_by_a_call(recorded: tuple[MotoStack, dict[str, list[Need]]]) -> None:
    stack, needs = recorded
    unused = {}
    for function_id in stack.functions():
        used = needs.get(function_id, []) + _platform_needs(stack, function_id)
        handler = stack.resources[function_id]["Properties"]["Handler"]
        idle = [
            str(g)
            for g in _grants(stack, function_id)
            if not any(g.allows(n) for n in used) and not _unreached(handler, g)
        ]
        if idle:
            unused[stack.resources[function_id]["Properties"]["Handler"]] = sorted(set(idle))
    recorded_needs = {
        stack.resources[function_id]["Properties"]["Handler"]: sorted({_general(n) for n in function_needs})
        for function_id, function_needs in needs.items()
    }
    assert unused == {}, (
        "grants no call uses:\n"
        + json.dumps(unused, indent=1)
        + "\nwhat each function called:\n"
        + json.dumps(recorded_needs, indent=1)
    )


def _general(need: Need) -> str:
    """A recorded authorization with the object key cut to its first path segment (for messages)."""
    resource = need.resource
    if resource.startswith("arn:aws:s3:::") and "/" in resource:
        resource = resource.split("/")[0] + "/" + resource.split("/")[1] + "/…"
    prefix = dict(need.context).get("s3:prefix")
    return f"{need.action} {resource}" + (f" prefix {prefix.split('/')[0]}/…" if prefix else "")
