"""The synthesized stack: shared table definition, locked-down bucket, authorized routes, wiring of the
schedules/queues/rules, least-privilege roles and a clean cdk-nag report."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.infra.conftest import Synthesized
from workengine.catalog.loader import COMPILED_CATALOG_NAME, load_compiled_catalog
from workengine.dal.artifact_repository import ARCHIVED_TAG_KEY
from workengine.dal.export_storage import export_prefix
from workengine.dal.table import TTL_ATTRIBUTE, create_table_kwargs
from workengine.services.artifact_service import artifact_key
from workengine.settings import Settings
from workengine_infra import constants as c
from workengine_infra.bundling import pinned_requirements, pip_install_command

XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
HANDLERS = {
    c.API_HANDLER,
    c.SWEEP_HANDLER,
    c.SWEEP_WORKER_HANDLER,
    c.JOBS_WORKER_HANDLER,
    c.ARTIFACT_UPLOADED_HANDLER,
    c.EXPORT_WORKER_HANDLER,
    c.EVENT_TRIGGER_HANDLER,
    c.STATS_AGGREGATOR_HANDLER,
    c.NOTIFIER_HANDLER,
}


# ---- helpers ----------------------------------------------------------------------------------------------
def only(resources: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    assert len(resources) == 1, list(resources)
    return next(iter(resources.items()))


def function_id(synth: Synthesized, handler: str) -> str:
    matches = [key for key, value in synth.functions().items() if value["Properties"]["Handler"] == handler]
    assert len(matches) == 1, handler
    return matches[0]


def role_id_of(synth: Synthesized, handler: str) -> str:
    role = synth.resources[function_id(synth, handler)]["Properties"]["Role"]
    return str(role["Fn::GetAtt"][0])


def statements_of_role(synth: Synthesized, role_id: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions_of(synth: Synthesized, handler: str) -> set[str]:
    return {
        action
        for statement in statements_of_role(synth, role_id_of(synth, handler))
        for action in as_list(statement["Action"])
    }


def referenced_ids(value: Any) -> set[str]:
    """Logical IDs a CloudFormation expression points at (Ref / Fn::GetAtt, also inside Fn::Join)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        return set().union(*(referenced_ids(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(referenced_ids(v) for v in value)) if value else set()
    return set()


# ---- synthesis and cdk-nag ------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_synth_succeeds_with_no_cdk_nag_errors(stage: str, request: pytest.FixtureRequest) -> None:
    synth: Synthesized = request.getfixturevalue(stage)
    # Then the AWS Solutions checks (registered by build_app) left no error unacknowledged
    assert synth.error is None, synth.error
    errors = [
        (violation["ruleName"], [v["constructPath"] for v in violation["violatingConstructs"]])
        for plugin in synth.validation_report()["pluginReports"]
        for violation in plugin["violations"]
        if violation["severity"] == "error"
    ]
    assert errors == []
    assert synth.resources, "the template is empty"


# ---- data -----------------------------------------------------------------------------------------------
def test_table_keys_and_indexes_equal_the_shared_definition(dev: Synthesized) -> None:
    expected = create_table_kwargs("ignored")
    _, table = only(dev.of_type("AWS::DynamoDB::Table"))
    props = table["Properties"]
    assert props["KeySchema"] == expected["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        expected["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    assert props["GlobalSecondaryIndexes"] == expected["GlobalSecondaryIndexes"]
    assert props["BillingMode"] == expected["BillingMode"]


def test_table_has_pitr_encryption_and_ttl(dev: Synthesized) -> None:
    Template.from_json(dev.template).has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
        },
    )


def test_prod_retains_data_and_protects_it_from_deletion(dev: Synthesized, prod: Synthesized) -> None:
    _, prod_table = only(prod.of_type("AWS::DynamoDB::Table"))
    _, dev_table = only(dev.of_type("AWS::DynamoDB::Table"))
    assert prod_table["Properties"]["DeletionProtectionEnabled"] is True
    assert prod_table["DeletionPolicy"] == "Retain"
    assert dev_table["DeletionPolicy"] == "Delete"
    assert dev_table["Properties"].get("DeletionProtectionEnabled") in (None, False)
    for bucket in prod.of_type("AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Retain"
    _, pool = only(prod.of_type("AWS::Cognito::UserPool"))
    assert pool["DeletionPolicy"] == "Retain"
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"
    assert pool["Properties"]["MfaConfiguration"] == "ON"  # dev acknowledges COG2, prod does not need to


def cdk_provider_functions(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """Functions CDK adds for its own custom resources (not the project's: no project tag)."""
    project = synth.functions()
    return {k: v for k, v in synth.of_type("AWS::Lambda::Function").items() if k not in project}


def role_of(function: dict[str, Any]) -> str:
    return str(function["Properties"]["Role"]["Fn::GetAtt"][0])


def test_dev_empties_its_buckets_on_destroy_and_prod_keeps_them(dev: Synthesized, prod: Synthesized) -> None:
    # Given dev: each bucket has an auto-delete custom resource, served by CDK's one provider function
    auto_deletes = dev.of_type("Custom::S3AutoDeleteObjects").values()
    assert {d["Properties"]["BucketName"]["Ref"] for d in auto_deletes} == set(dev.of_type("AWS::S3::Bucket"))
    (provider_id,) = {d["Properties"]["ServiceToken"]["Fn::GetAtt"][0] for d in auto_deletes}
    # which is the only function in the template that is not the project's
    assert set(cdk_provider_functions(dev)) == {provider_id}
    assert not [k for k, v in dev.of_type("AWS::S3::Bucket").items() if v["DeletionPolicy"] != "Delete"]
    # and logs with the dev retention into a group destroyed with the stack, after the buckets are emptied
    (group_id,) = [
        k for k, g in dev.of_type("AWS::Logs::LogGroup").items()
        if referenced_ids(g["Properties"].get("LogGroupName")) == {provider_id}
    ]  # fmt: skip
    group = dev.resources[group_id]
    assert group["Properties"]["RetentionInDays"] == c.LOG_RETENTION_DAYS_DEV
    assert group["DeletionPolicy"] == "Delete"
    assert all(group_id in d["DependsOn"] for d in dev.of_type("Custom::S3AutoDeleteObjects").values())
    # Then prod keeps its buckets, objects included: no auto-delete and no function but the project's
    assert not prod.of_type("Custom::S3AutoDeleteObjects")
    assert not cdk_provider_functions(prod)
    assert prod.of_type("AWS::S3::Bucket")
    assert all(b["DeletionPolicy"] == "Retain" for b in prod.of_type("AWS::S3::Bucket").values())


def artifacts_bucket(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    return only(
        {k: v for k, v in synth.of_type("AWS::S3::Bucket").items() if "CorsConfiguration" in v["Properties"]}
    )


def test_bucket_blocks_public_access_and_enforces_tls(dev: Synthesized) -> None:
    all_blocked = {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    buckets = dev.of_type("AWS::S3::Bucket")
    assert len(buckets) == 2  # artifacts + access logs
    for key, bucket in buckets.items():
        assert bucket["Properties"]["PublicAccessBlockConfiguration"] == all_blocked, key
        assert bucket["Properties"]["BucketEncryption"], key
        policies = [
            p
            for p in dev.of_type("AWS::S3::BucketPolicy").values()
            if p["Properties"]["Bucket"] == {"Ref": key}
        ]
        denies_plain_http = [
            s
            for p in policies
            for s in p["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert denies_plain_http, f"{key} does not deny non-TLS requests"


def test_artifacts_bucket_versioning_lifecycle_cors_events_and_access_logs(dev: Synthesized) -> None:
    _, bucket = artifacts_bucket(dev)
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    rules = {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1
    assert "NoncurrentVersionExpiration" in rules["expire-noncurrent-versions"]
    assert rules["expire-exports"]["Prefix"] == c.EXPORTS_PREFIX
    assert rules["expire-exports"]["ExpirationInDays"] == c.EXPORTS_EXPIRE_DAYS
    archived = rules["expire-archived-bundle-artifacts"]
    assert archived["TagFilters"] == [{"Key": c.ARCHIVED_TAG_KEY, "Value": "true"}]
    assert archived["Prefix"] == c.ARTIFACTS_PREFIX
    assert archived["ExpirationInDays"] == c.ARCHIVED_ARTIFACTS_EXPIRE_DAYS
    (cors,) = props["CorsConfiguration"]["CorsRules"]
    assert "PUT" in cors["AllowedMethods"]
    logs_bucket_id = props["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    assert logs_bucket_id in dev.of_type("AWS::S3::Bucket")


def test_archive_tag_matches_the_one_the_runtime_writes() -> None:
    assert c.ARCHIVED_TAG_KEY == ARCHIVED_TAG_KEY


def test_object_prefixes_match_the_keys_the_runtime_writes() -> None:
    assert artifact_key("acme", "b_1", "a_1", "x.pdf").startswith(c.ARTIFACTS_PREFIX)
    assert export_prefix("acme", "x_1").startswith(c.EXPORTS_PREFIX)


# ---- API ------------------------------------------------------------------------------------------------
def test_every_route_but_the_public_three_uses_the_jwt_authorizer(dev: Synthesized) -> None:
    authorizer_id, authorizer = only(dev.of_type("AWS::ApiGatewayV2::Authorizer"))
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    client_id = only(dev.of_type("AWS::Cognito::UserPoolClient"))[0]
    assert authorizer["Properties"]["JwtConfiguration"]["Audience"] == [{"Ref": client_id}]
    pool_id = only(dev.of_type("AWS::Cognito::UserPool"))[0]
    assert pool_id in referenced_ids(authorizer["Properties"]["JwtConfiguration"]["Issuer"])

    routes = {
        r["Properties"]["RouteKey"]: r["Properties"] for r in dev.of_type("AWS::ApiGatewayV2::Route").values()
    }
    assert set(c.PUBLIC_ROUTES) < set(routes)
    assert "ANY /{proxy+}" in routes
    for route_key, route in routes.items():
        if route_key in c.PUBLIC_ROUTES:
            assert route.get("AuthorizationType", "NONE") == "NONE", route_key
            assert "AuthorizerId" not in route, route_key
        else:
            assert route["AuthorizationType"] == "JWT", route_key
            assert route["AuthorizerId"] == {"Ref": authorizer_id}, route_key


def test_stage_is_throttled_and_access_logged(dev: Synthesized) -> None:
    _, stage = only(dev.of_type("AWS::ApiGatewayV2::Stage"))
    props = stage["Properties"]
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] == c.THROTTLE_RATE_LIMIT
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] == c.THROTTLE_BURST_LIMIT
    log_group_id = props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert dev.resources[log_group_id]["Type"] == "AWS::Logs::LogGroup"
    assert "$context.requestId" in props["AccessLogSettings"]["Format"]


def test_user_pool_carries_tenant_and_role_which_users_cannot_write(dev: Synthesized) -> None:
    _, pool = only(dev.of_type("AWS::Cognito::UserPool"))
    schema = {attr["Name"]: attr for attr in pool["Properties"]["Schema"]}
    assert schema[c.TENANT_ATTRIBUTE]["Mutable"] is False
    assert c.ROLE_ATTRIBUTE in schema
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    _, client = only(dev.of_type("AWS::Cognito::UserPoolClient"))
    assert {f"custom:{c.TENANT_ATTRIBUTE}", f"custom:{c.ROLE_ATTRIBUTE}"} <= set(
        client["Properties"]["ReadAttributes"]
    )
    assert not [attr for attr in client["Properties"]["WriteAttributes"] if attr.startswith("custom:")]


# ---- functions ------------------------------------------------------------------------------------------
def test_functions_are_python312_arm64_traced_with_json_logs(dev: Synthesized) -> None:
    functions = dev.functions()
    assert {f["Properties"]["Handler"] for f in functions.values()} == HANDLERS
    for key, function in functions.items():
        props = function["Properties"]
        assert props["Runtime"] == "python3.12", key
        assert props["Architectures"] == ["arm64"], key
        assert props["TracingConfig"] == {"Mode": "Active"}, key
        assert props["LoggingConfig"]["LogFormat"] == "JSON", key
        log_group = dev.resources[props["LoggingConfig"]["LogGroup"]["Ref"]]
        assert log_group["Properties"]["RetentionInDays"] > 0, key
        assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == c.SERVICE_NAME
        assert not props.get("Layers"), key  # everything the functions import is in the asset


def test_every_workengine_variable_is_a_setting(dev: Synthesized, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given each function's WORKENGINE_* variables with recognisable values
    for key, function in dev.functions().items():
        variables = {
            name: value
            for name, value in function["Properties"]["Environment"]["Variables"].items()
            if name.startswith("WORKENGINE_")
        }
        for name in list(variables):
            if name in {"WORKENGINE_SWEEP_RATE_MINUTES"}:
                monkeypatch.setenv(name, str(variables[name]))
            elif name == "WORKENGINE_ASSISTANT_PROVIDER":
                monkeypatch.setenv(name, "bedrock")
            else:
                monkeypatch.setenv(name, f"value-of-{name.lower()}-padded-for-length")
        # When the settings load, Then every variable landed in a field (none silently ignored)
        dumped = json.dumps(Settings().model_dump(mode="json"))
        for name in variables:
            if name != "WORKENGINE_SWEEP_RATE_MINUTES":
                assert f"value-of-{name.lower()}" in dumped, f"{key}: {name} is not a Settings field"
        for name in variables:
            monkeypatch.delenv(name)


def test_api_knows_the_queue_the_export_worker_and_the_secret(dev: Synthesized) -> None:
    variables = dev.resources[function_id(dev, c.API_HANDLER)]["Properties"]["Environment"]["Variables"]
    assert function_id(dev, c.EXPORT_WORKER_HANDLER) in referenced_ids(
        variables["WORKENGINE_EXPORT_FUNCTION_NAME"]
    )
    secret_id = only(dev.of_type("AWS::SecretsManager::Secret"))[0]
    assert variables["WORKENGINE_PAGINATION_SECRET_ARN"] == {"Ref": secret_id}
    assert "WORKENGINE_PAGINATION_SECRET" not in variables  # never a plain-text secret
    jobs_queue_id = jobs_queue(dev)[0]
    assert jobs_queue_id in referenced_ids(variables["WORKENGINE_JOBS_QUEUE_URL"])


def test_asset_holds_the_package_and_the_compiled_catalog(dev: Synthesized) -> None:
    (asset,) = dev.asset_dirs()
    assert (asset / "workengine" / "handlers" / "api" / "app.py").is_file()
    catalog = load_compiled_catalog(asset / "workengine" / "catalog" / COMPILED_CATALOG_NAME)
    yaml_ids = {path.stem for path in (c.CONTENT_DIR / "templates").glob("*.yaml")}
    assert len(catalog) == len(yaml_ids) > 0
    assert not list(asset.rglob("__pycache__"))
    assert not (asset / "workengine_tools").exists()  # tooling (CLI, local server, bench) stays out
    assert sorted(p.name for p in (asset / "workengine").iterdir() if p.is_dir()) == [
        "catalog", "dal", "domain", "handlers", "services",
    ]  # fmt: skip
    assert not (asset / "pydantic").exists()  # bundling skipped: no pip step in tests


def test_dependency_install_targets_the_lambda_platform(tmp_path: Any) -> None:
    command = pip_install_command(tmp_path, pinned_requirements())
    text = " ".join(command)
    assert "--platform manylinux2014_aarch64" in text
    assert "--platform manylinux_2_28_aarch64" in text  # cel-expr-python's aarch64 wheels
    assert "--only-binary=:all:" in text
    assert "--python-version 3.12" in text
    assert f"--target {tmp_path}" in text
    assert "--no-deps" in command  # the pins below are the whole closure; pip adds nothing unpinned


def test_bundled_dependencies_are_pinned_with_their_closure() -> None:
    pins = dict(requirement.split("==") for requirement in pinned_requirements())
    # Given the runtime imports Powertools, pydantic and croniter (settings are plain pydantic),
    # and boto3 comes with the Lambda runtime
    assert {"pydantic", "pydantic-core", "croniter", "python-dateutil"} <= set(pins)
    assert "pydantic-settings" not in pins
    assert "aws-lambda-powertools" in set(pins)
    assert "aws-xray-sdk" not in pins  # no Tracer: Lambda active tracing needs no SDK in the function
    assert not {"boto3", "botocore", "s3transfer", "pyyaml", "pyjwt"} & set(pins)
    assert "cel-expr-python" in pins
    # Then each pin is the version the tests ran with (botocore in the runtime needs dateutil < 3)
    assert pins["aws-lambda-powertools"] == version("aws-lambda-powertools")
    assert pins["python-dateutil"] == version("python-dateutil")
    assert int(pins["python-dateutil"].split(".")[0]) < 3


# ---- events, schedules, queues --------------------------------------------------------------------------
def queue_with_dlq(synth: Synthesized, name: str) -> tuple[str, dict[str, Any]]:
    return only(
        {
            k: v
            for k, v in synth.of_type("AWS::SQS::Queue").items()
            if "RedrivePolicy" in v["Properties"] and name in k
        }
    )


def jobs_queue(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    return queue_with_dlq(synth, "JobsQueue")


def event_source_of(synth: Synthesized, handler: str) -> dict[str, Any]:
    function = {"Ref": function_id(synth, handler)}
    return only(
        {
            k: v
            for k, v in synth.of_type("AWS::Lambda::EventSourceMapping").items()
            if v["Properties"]["FunctionName"] == function
        }
    )[1]


def test_the_table_stream_feeds_the_statistics_aggregator_with_failures_kept(dev: Synthesized) -> None:
    (table,) = dev.of_type("AWS::DynamoDB::Table").values()
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    mapping = event_source_of(dev, c.STATS_AGGREGATOR_HANDLER)["Properties"]
    assert mapping["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["MaximumRetryAttempts"] == c.STREAM_RETRY_ATTEMPTS
    destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert dev.resources[destination]["Type"] == "AWS::SQS::Queue"
    patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    kinds = {"entity_type": {"S": ["bundle", "task"]}}
    assert patterns == [{"dynamodb": {"NewImage": kinds}}, {"dynamodb": {"OldImage": kinds}}]


def test_schedule_targets_the_sweep_with_dlq_and_retries(dev: Synthesized) -> None:
    sweep_id = function_id(dev, c.SWEEP_HANDLER)
    Template.from_json(dev.template).has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": f"rate({c.SWEEP_RATE_MINUTES} minutes)",
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Fn::GetAtt": [sweep_id, "Arn"]},
                        "DeadLetterConfig": {"Arn": Match.any_value()},
                        "RetryPolicy": {
                            "MaximumRetryAttempts": c.ASYNC_RETRY_ATTEMPTS,
                            "MaximumEventAgeInSeconds": Match.any_value(),
                        },
                    }
                )
            ],
        },
    )


def test_object_created_rule_invokes_artifact_uploaded(dev: Synthesized) -> None:
    bucket_id = artifacts_bucket(dev)[0]
    Template.from_json(dev.template).has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {"bucket": {"name": [{"Ref": bucket_id}]}, "object": Match.any_value()},
            },
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Fn::GetAtt": [function_id(dev, c.ARTIFACT_UPLOADED_HANDLER), "Arn"]},
                        "DeadLetterConfig": {"Arn": Match.any_value()},
                        "RetryPolicy": Match.any_value(),
                    }
                )
            ],
        },
    )
    s3_rule = only(
        {
            k: v
            for k, v in dev.of_type("AWS::Events::Rule").items()
            if v["Properties"].get("EventPattern", {}).get("source") == ["aws.s3"]
        }
    )[1]
    assert "EventBusName" not in s3_rule["Properties"]  # S3 publishes to the default bus


def test_the_trigger_rule_feeds_the_trigger_function_through_a_queue_with_dlq(dev: Synthesized) -> None:
    from workengine.catalog.loader import load_catalog
    from workengine.domain.event_triggers import declared_detail_types, trigger_rule_pattern
    from workengine_tools.local.event_triggers import MAX_RECEIVES

    # The pattern is the catalog's detail types (the local server's rule has the same), on our bus.
    declared = declared_detail_types(load_catalog(c.CONTENT_DIR).list())
    assert declared == ["RenewalWindowOpened"]
    _, rule = only(
        {
            k: v
            for k, v in dev.of_type("AWS::Events::Rule").items()
            if "RenewalWindowOpened" in v["Properties"].get("EventPattern", {}).get("detail-type", [])
        }
    )
    properties = rule["Properties"]
    assert properties["EventPattern"] == trigger_rule_pattern(declared)
    (bus_id,) = dev.of_type("AWS::Events::EventBus")
    assert properties["EventBusName"] == {"Ref": bus_id}
    (target,) = properties["Targets"]
    queue_id = target["Arn"]["Fn::GetAtt"][0]
    queue = dev.resources[queue_id]["Properties"]
    assert dev.resources[queue_id]["Type"] == "AWS::SQS::Queue"
    dlq_id = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == c.EVENT_TRIGGER_MAX_RECEIVE_COUNT == MAX_RECEIVES
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq_id, "Arn"]}}
    (mapping,) = [
        m["Properties"]
        for m in dev.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert mapping["FunctionName"] == {"Ref": function_id(dev, c.EVENT_TRIGGER_HANDLER)}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    alarmed = [
        a["Properties"]
        for a in dev.of_type("AWS::CloudWatch::Alarm").values()
        if {"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}
        in a["Properties"].get("Dimensions", [])
    ]
    assert len(alarmed) == 1


def test_worker_reports_partial_batch_failures_from_a_queue_with_dlq(dev: Synthesized) -> None:
    queue_id, queue = jobs_queue(dev)
    dlq_id = queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert dev.resources[dlq_id]["Type"] == "AWS::SQS::Queue"
    mapping = event_source_of(dev, c.JOBS_WORKER_HANDLER)
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert mapping["Properties"]["FunctionName"] == {"Ref": function_id(dev, c.JOBS_WORKER_HANDLER)}


def test_reminder_created_reaches_the_notifier_through_a_queue_with_an_alarmed_dlq(dev: Synthesized) -> None:
    queue_id, queue = queue_with_dlq(dev, "NotifierQueue")
    dlq_id = queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * c.NOTIFIER_TIMEOUT_SECONDS
    mapping = event_source_of(dev, c.NOTIFIER_HANDLER)
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    Template.from_json(dev.template).has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventBusName": Match.any_value(),
            "EventPattern": {"source": ["workengine"], "detail-type": ["ReminderCreated"]},
            "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}})],
        },
    )
    depth_alarms = [
        a["Properties"] for a in dev.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    ]  # fmt: skip
    assert any(referenced_ids(d["Value"]) == {dlq_id} for a in depth_alarms for d in a["Dimensions"])


def test_only_the_configured_identity_may_send_email() -> None:
    from workengine_infra.app import build_app

    _, stack = build_app({c.CONTEXT_BUNDLE: c.BUNDLE_SKIP, c.CONTEXT_EMAIL_SENDER: "ops@mail.example.org",
                          c.CONTEXT_EMAIL_IDENTITY: "mail.example.org"})  # fmt: skip
    synth = Synthesized("dev", Path("."), Template.from_stack(stack).to_json(), None, stack)
    for handler in (c.NOTIFIER_HANDLER, c.SWEEP_HANDLER):
        env = synth.resources[function_id(synth, handler)]["Properties"]["Environment"]["Variables"]
        assert env["WORKENGINE_EMAIL_SENDER"] == "ops@mail.example.org"
        statements = statements_of_role(synth, role_id_of(synth, handler))
        sends = [s["Resource"] for s in statements if "ses:SendEmail" in as_list(s["Action"])]
        assert len(sends) == 1 and "identity/mail.example.org" in json.dumps(sends[0]), sends
    others = [h for h in HANDLERS if h not in (c.NOTIFIER_HANDLER, c.SWEEP_HANDLER)]
    for handler in others:
        actions = [
            a for s in statements_of_role(synth, role_id_of(synth, handler)) for a in as_list(s["Action"])
        ]
        assert "ses:SendEmail" not in actions, handler


def test_sweep_fans_shards_out_to_workers_through_a_queue_with_dlq(dev: Synthesized) -> None:
    from workengine.dal.due_index import DUE_SHARDS

    queue_id, queue = queue_with_dlq(dev, "SweepWorkQueue")
    dlq_id = queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert dev.resources[dlq_id]["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * c.SWEEP_WORKER_TIMEOUT_SECONDS
    mapping = event_source_of(dev, c.SWEEP_WORKER_HANDLER)
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert mapping["Properties"]["BatchSize"] == 1
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": c.SWEEP_SHARDS}
    assert c.SWEEP_SHARDS == DUE_SHARDS
    for handler in (c.SWEEP_HANDLER, c.SWEEP_WORKER_HANDLER):
        env = dev.resources[function_id(dev, handler)]["Properties"]["Environment"]["Variables"]
        assert env["WORKENGINE_SWEEP_QUEUE_URL"] == {"Ref": queue_id}
        statements = statements_of_role(dev, role_id_of(dev, handler))
        sends = [s["Resource"] for s in statements if "sqs:SendMessage" in as_list(s["Action"])]
        assert {"Fn::GetAtt": [queue_id, "Arn"]} in sends


@pytest.mark.parametrize(
    "handler", [c.EXPORT_WORKER_HANDLER, c.SWEEP_HANDLER, c.ARTIFACT_UPLOADED_HANDLER], ids=lambda h: h
)
def test_async_functions_send_failed_invocations_to_their_own_dlq(dev: Synthesized, handler: str) -> None:
    # Given a function that is invoked asynchronously (API, schedule, S3 rule)
    fn_id = function_id(dev, handler)
    # Then an invocation that fails after Lambda's own retries goes to a queue of its own
    dlq_id = dev.resources[fn_id]["Properties"]["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]
    assert dev.resources[dlq_id]["Type"] == "AWS::SQS::Queue"
    assert "RedrivePolicy" not in dev.resources[dlq_id]["Properties"]
    (config,) = [
        v
        for v in dev.of_type("AWS::Lambda::EventInvokeConfig").values()
        if v["Properties"]["FunctionName"] == {"Ref": fn_id}
    ]
    assert config["Properties"]["MaximumRetryAttempts"] == c.ASYNC_RETRY_ATTEMPTS
    # which the function may write to, and whose depth raises an alarm
    sends = [
        s
        for s in statements_of_role(dev, role_id_of(dev, handler))
        if "sqs:SendMessage" in as_list(s["Action"])
    ]
    assert any(referenced_ids(s["Resource"]) == {dlq_id} for s in sends)
    depth_alarms = [
        a["Properties"]
        for a in dev.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    ]
    assert any(referenced_ids(d["Value"]) == {dlq_id} for a in depth_alarms for d in a["Dimensions"])


def test_queues_are_encrypted_and_tls_only(dev: Synthesized) -> None:
    queues = dev.of_type("AWS::SQS::Queue")
    policies = dev.of_type("AWS::SQS::QueuePolicy").values()
    for key, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, key
        assert any(
            {"Ref": key} in p["Properties"]["Queues"]
            and any(s["Effect"] == "Deny" for s in p["Properties"]["PolicyDocument"]["Statement"])
            for p in policies
        ), key


# ---- least privilege ------------------------------------------------------------------------------------
def test_no_wildcard_actions_and_wildcard_resources_only_for_xray(dev: Synthesized) -> None:
    in_stack = set(dev.resources)
    for key, policy in dev.of_type("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = as_list(statement["Action"])
            assert not [a for a in actions if a == "*" or a.endswith(":*")], (key, actions)
            for resource in as_list(statement["Resource"]):
                if resource == "*":
                    # X-Ray trace submission and (for the stream consumer) ListStreams have no
                    # resource-level permissions
                    stream_reader = key.startswith("FunctionsStatsAggregator")
                    allowed = XRAY_ACTIONS | ({"dynamodb:ListStreams"} if stream_reader else set())
                    assert set(actions) <= allowed, (key, actions)
                elif as_list(statement["Action"]) == ["ses:SendEmail"]:
                    # the one SES identity the stack is configured with (verified outside the stack)
                    assert json.dumps(resource).endswith(':identity/reminders@example.com"]]}'), resource
                else:
                    # every other resource is one of this stack's (or a Bedrock model ARN, when enabled)
                    assert referenced_ids(resource) & in_stack, (key, resource)
    # No managed policies, but on the role of CDK's auto-delete provider (dev only): its basic execution
    # role lets it write its own logs.
    managed = {k: r["Properties"]["ManagedPolicyArns"] for k, r in dev.of_type("AWS::IAM::Role").items()
               if r["Properties"].get("ManagedPolicyArns")}  # fmt: skip
    provider_roles = {role_of(f) for f in cdk_provider_functions(dev).values()}
    assert set(managed) == provider_roles
    assert all(
        "AWSLambdaBasicExecutionRole" in json.dumps(arns) and len(arns) == 1 for arns in managed.values()
    )


def test_each_function_gets_only_the_grants_it_needs(dev: Synthesized) -> None:
    api = actions_of(dev, c.API_HANDLER)
    sweep = actions_of(dev, c.SWEEP_HANDLER)
    sweep_worker = actions_of(dev, c.SWEEP_WORKER_HANDLER)
    worker = actions_of(dev, c.JOBS_WORKER_HANDLER)
    uploaded = actions_of(dev, c.ARTIFACT_UPLOADED_HANDLER)
    export = actions_of(dev, c.EXPORT_WORKER_HANDLER)
    notifier = actions_of(dev, c.NOTIFIER_HANDLER)
    everyone = [api, sweep, sweep_worker, worker, uploaded, export, notifier]
    # table actions are per function (test_iam_matches_calls.py checks them against recorded calls)
    assert all({"dynamodb:PutItem"} <= actions for actions in everyone)
    assert not [a for a in everyone if {"dynamodb:Scan", "dynamodb:ConditionCheckItem"} & a]
    # the API its idempotency record; the sweep a deferred email's due-index item once it is sent
    assert [a for a in everyone if "dynamodb:DeleteItem" in a] == [api, sweep]
    # email: the notifier, and the sweep (email after quiet hours, daily digests)
    assert [a for a in everyone if "ses:SendEmail" in a] == [sweep, notifier]
    assert [a for a in everyone if "cognito-idp:ListUsers" in a] == [sweep, notifier]
    # reads of keys that may be absent: upload checks (also the API's showcases) and exports
    assert [a for a in everyone if "s3:ListBucket" in a] == [api, uploaded, export]
    assert [a for a in everyone if "events:PutEvents" in a] == [sweep, sweep_worker]
    assert [a for a in everyone if "lambda:InvokeFunction" in a] == [api]
    # The secret signs next_token values (API) and export manifests (export worker)
    assert [a for a in everyone if "secretsmanager:GetSecretValue" in a] == [api, export]
    # SendMessage: the API to the jobs queue; export, sweep and artifact-uploaded to their own DLQs; the
    # sweep and its worker to the sweep queue (the worker also receives from it)
    assert [a for a in everyone if "sqs:SendMessage" in a and "sqs:ReceiveMessage" not in a] == [
        api,
        sweep,
        uploaded,
        export,
    ]
    assert [a for a in everyone if "sqs:ReceiveMessage" in a] == [sweep_worker, worker, notifier]
    # Refused uploads and writes over accepted evidence are deleted by version only
    assert not [a for a in everyone if "s3:DeleteObject" in a]
    # Accepted evidence is read, tagged and cleaned up by its pinned object version
    assert [a for a in everyone if "s3:GetObjectVersion" in a] == [api, uploaded, export]
    assert [a for a in everyone if "s3:DeleteObjectVersion" in a] == [uploaded]
    assert [a for a in everyone if "s3:PutObjectVersionTagging" in a] == [api]
    assert not [
        a for a in (sweep, sweep_worker, worker, notifier) if any(action.startswith("s3:") for action in a)
    ]
    assert not [a for a in everyone if any(action.startswith("bedrock:") for action in a)]  # local provider


def test_api_invokes_only_the_export_worker(dev: Synthesized) -> None:
    statements = statements_of_role(dev, role_id_of(dev, c.API_HANDLER))
    (invoke,) = [s for s in statements if "lambda:InvokeFunction" in as_list(s["Action"])]
    assert invoke["Resource"] == {"Fn::GetAtt": [function_id(dev, c.EXPORT_WORKER_HANDLER), "Arn"]}


def test_bucket_grants_are_limited_to_object_prefixes(dev: Synthesized) -> None:
    bucket_id = artifacts_bucket(dev)[0]
    for key, policy in dev.of_type("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if not any(a.startswith("s3:") for a in as_list(statement["Action"])):
                continue
            if as_list(statement["Action"]) == ["s3:ListBucket"]:
                # on the bucket, only for keys under one of the prefixes (404 instead of 403 when absent)
                assert statement["Resource"] == {"Fn::GetAtt": [bucket_id, "Arn"]}
                assert statement["Condition"]["StringLike"]["s3:prefix"] in (
                    [f"{c.ARTIFACTS_PREFIX}*"], f"{c.ARTIFACTS_PREFIX}*",
                ), key  # fmt: skip
                continue
            for resource in as_list(statement["Resource"]):
                suffix = resource["Fn::Join"][1][-1]
                assert suffix in {f"/{c.ARTIFACTS_PREFIX}*", f"/{c.EXPORTS_PREFIX}*"}, (key, suffix)
                assert referenced_ids(resource) == {bucket_id}


# ---- observability --------------------------------------------------------------------------------------
def test_alarms_cover_errors_throttles_dlqs_and_api_5xx(dev: Synthesized) -> None:
    alarms = list(dev.of_type("AWS::CloudWatch::Alarm").values())
    by_metric: dict[str, set[str]] = {}
    for alarm in alarms:
        props = alarm["Properties"]
        dims = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
        target = json.dumps(dims, sort_keys=True)
        by_metric.setdefault(props["MetricName"], set()).update(
            ids for value in dims.values() for ids in referenced_ids(value)
        )
        assert props["AlarmActions"], target
    function_ids = set(dev.functions())
    assert by_metric["Errors"] == function_ids
    assert by_metric["Throttles"] == function_ids
    # Every queue something dead-letters into (a queue's redrive, a function's or a rule target's DLQ, a
    # stream mapping's on-failure destination) is alarmed, and those are all the queues without a redrive.
    dlq_ids = dead_letter_targets(dev)
    assert dlq_ids == {
        k for k, v in dev.of_type("AWS::SQS::Queue").items() if "RedrivePolicy" not in v["Properties"]
    }
    assert by_metric["ApproximateNumberOfMessagesVisible"] == dlq_ids
    assert by_metric["IteratorAge"] == {function_id(dev, c.STATS_AGGREGATOR_HANDLER)}
    assert "5xx" in by_metric


def dead_letter_targets(synth: Synthesized) -> set[str]:
    """Logical IDs of the queues the template sends failed messages, invocations or batches to."""
    found: set[str] = set()
    for resource in synth.resources.values():
        props = resource.get("Properties", {})
        found |= referenced_ids(props.get("RedrivePolicy", {}).get("deadLetterTargetArn"))
        found |= referenced_ids(props.get("DeadLetterConfig", {}).get("TargetArn"))  # functions
        found |= referenced_ids([t.get("DeadLetterConfig", {}).get("Arn") for t in props.get("Targets", [])])
        found |= referenced_ids(props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"))
    return found


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_function_logs_into_a_group_with_retention(stage: str, request: pytest.FixtureRequest) -> None:
    synth: Synthesized = request.getfixturevalue(stage)
    groups = synth.of_type("AWS::Logs::LogGroup")
    # Given each function's log group: the project's name theirs; CDK's provider has one named after it
    logged = {
        key: function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        for key, function in synth.functions().items()
    }
    for key in cdk_provider_functions(synth):
        (logged[key],) = [
            k for k, g in groups.items() if referenced_ids(g["Properties"].get("LogGroupName")) == {key}
        ]
    (stage_resource,) = synth.of_type("AWS::ApiGatewayV2::Stage").values()
    access_logs = stage_resource["Properties"]["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    # Then those (and the API's access logs) are all the log groups, each with a retention
    assert len(set(logged.values())) == len(synth.of_type("AWS::Lambda::Function"))
    assert set(groups) == {*logged.values(), access_logs}
    retention = c.LOG_RETENTION_DAYS_PROD if stage == c.PROD_STAGE else c.LOG_RETENTION_DAYS_DEV
    assert {g["Properties"].get("RetentionInDays") for g in groups.values()} == {retention}


def test_outputs_name_what_clients_and_operators_need(dev: Synthesized) -> None:
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId", "BucketName", "TableName", "EventBusName"} <= set(
        dev.template["Outputs"]
    )
