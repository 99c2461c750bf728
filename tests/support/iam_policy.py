"""The synthesized IAM policies of each function, resolved to concrete ARNs on a ``MotoStack``, and the
AWS calls a handler made, as the (action, resource, condition keys) IAM would check for them."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.support.stack_moto import ACCOUNT, REGION, MotoStack

PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resolve(value: Any, stack: MotoStack) -> str:
    """A CloudFormation expression in a policy (Ref, GetAtt, Join, Sub of pseudo parameters) as a string."""
    if isinstance(value, str):
        return value
    if "Ref" in value and value["Ref"] in PSEUDO:
        return PSEUDO[value["Ref"]]
    if "Ref" in value or "Fn::GetAtt" in value:
        return stack.resolve(value)
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(resolve(part, stack) for part in parts)
    if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        for name, replacement in PSEUDO.items():
            text = text.replace("${" + name + "}", replacement)
        return text
    raise KeyError(f"cannot resolve {value!r}")


@dataclass(frozen=True)
class Need:
    """One authorization IAM performs for a call: ``action`` on ``resource`` with these condition keys."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    why: str = ""

    def __str__(self) -> str:
        extra = f" {dict(self.context)}" if self.context else ""
        return f"{self.action} on {self.resource}{extra} ({self.why})"


@dataclass(frozen=True)
class Grant:
    """One action of one Allow statement on one resource pattern (conditions as StringLike/StringEquals)."""

    action: str
    resource: str
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def allows(self, need: Need) -> bool:
        if not fnmatch.fnmatchcase(need.action.lower(), self.action.lower()):
            return False
        if not fnmatch.fnmatchcase(need.resource, self.resource):
            return False
        context = dict(need.context)
        for operator, key, values in self.conditions:
            if key not in context:
                return False
            if operator == "StringLike" and not any(fnmatch.fnmatchcase(context[key], v) for v in values):
                return False
            if operator == "StringEquals" and context[key] not in values:
                return False
        return True

    def __str__(self) -> str:
        extra = f" if {list(self.conditions)}" if self.conditions else ""
        return f"{self.action} on {self.resource}{extra}"


def _conditions(statement: dict[str, Any]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    found = []
    for operator, keys in (statement.get("Condition") or {}).items():
        if operator not in {"StringLike", "StringEquals"}:
            raise AssertionError(f"condition operator {operator} is not modelled by this test")
        for key, values in keys.items():
            found.append((operator, key, tuple(str(v) for v in as_list(values))))
    return tuple(found)


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    resources = template["Resources"]
    statements: list[dict[str, Any]] = []
    for policy in resources[role_id]["Properties"].get("Policies", []):
        statements += policy["PolicyDocument"]["Statement"]
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in resource["Properties"].get(
            "Roles", []
        ):
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    return statements


def grants_of(
    statements: list[dict[str, Any]], stack: MotoStack, *, skip_actions: tuple[str, ...]
) -> list[Grant]:
    grants = []
    for statement in statements:
        assert statement["Effect"] == "Allow", statement
        conditions = _conditions(statement)
        for action in as_list(statement["Action"]):
            if action.split(":")[0] in skip_actions:
                continue
            for resource in as_list(statement["Resource"]):
                grants.append(Grant(action, resolve(resource, stack), conditions))
    return grants


# ---- recording the calls a handler makes -------------------------------------------------------------
_S3_ACTIONS = {
    "HeadObject": "s3:GetObject",
    "GetObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "DeleteObject": "s3:DeleteObject",
    "PutObjectTagging": "s3:PutObjectTagging",
    "GetObjectTagging": "s3:GetObjectTagging",
    "DeleteObjectTagging": "s3:DeleteObjectTagging",
}
# A call naming a VersionId is authorized as the versioned action (S3's documented mapping).
_S3_VERSIONED_ACTIONS = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
}
# Reading a key that may not exist: without ListBucket S3 answers 403 instead of 404.
_S3_READS = {"HeadObject", "GetObject"}
_TRANSACT_PARTS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _table_arn(name: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


def needs_of_call(service: str, operation: str, params: dict[str, Any], stack: MotoStack) -> list[Need]:
    """What IAM authorizes for one API call (presigned URLs included: they carry the signer's rights)."""
    why = f"{service}.{operation}"
    if service == "dynamodb":
        if operation in {"TransactWriteItems", "TransactGetItems"}:
            needs = []
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                needs.append(
                    Need(f"dynamodb:{_TRANSACT_PARTS[kind]}", _table_arn(body["TableName"]), why=why)
                )
            return needs
        if operation in {"BatchGetItem", "BatchWriteItem"}:
            return [
                Need(f"dynamodb:{operation}", _table_arn(name), why=why) for name in params["RequestItems"]
            ]
        return [
            Need(f"dynamodb:{operation}", _table_arn(params["TableName"], params.get("IndexName")), why=why)
        ]
    if service == "s3":
        bucket, key = params["Bucket"], params.get("Key", "")
        if operation == "ListObjectsV2":
            context = (("s3:prefix", params.get("Prefix", "")),)
            return [Need("s3:ListBucket", f"arn:aws:s3:::{bucket}", context, why)]
        if operation == "CopyObject":
            source = params["CopySource"]
            versioned = isinstance(source, dict) and bool(source.get("VersionId"))
            source_arn = (
                f"arn:aws:s3:::{source['Bucket']}/{source['Key']}"
                if isinstance(source, dict)
                else f"arn:aws:s3:::{str(source).lstrip('/')}"
            )
            return [
                Need("s3:GetObjectVersion" if versioned else "s3:GetObject", source_arn, why=why),
                Need("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}", why=why),
            ]
        action = _S3_ACTIONS[operation]
        if params.get("VersionId"):
            action = _S3_VERSIONED_ACTIONS.get(action, action)
        return [Need(action, f"arn:aws:s3:::{bucket}/{key}", why=why)]
    if service == "sqs":
        return [Need(f"sqs:{operation}", _queue_arn(params["QueueUrl"], stack), why=why)]
    if service == "events":
        buses = {entry.get("EventBusName", "default") for entry in params.get("Entries", [])}
        return [Need(f"events:{operation}", _bus_arn(bus, stack), why=why) for bus in buses]
    if service == "lambda":
        action = {"Invoke": "lambda:InvokeFunction"}.get(operation, f"lambda:{operation}")
        return [Need(action, _function_arn(params["FunctionName"], stack), why=why)]
    if service == "secretsmanager":
        return [Need(f"secretsmanager:{operation}", params["SecretId"], why=why)]
    if service == "bedrock-runtime":
        model = params["modelId"]
        arn = model if model.startswith("arn:") else f"arn:aws:bedrock:{REGION}::foundation-model/{model}"
        return [Need("bedrock:InvokeModel", arn, why=why)]
    if service == "sesv2" and operation == "SendEmail":
        # SES authorizes the sending identity (the From address here; a domain identity covers its addresses)
        sender = params["FromEmailAddress"]
        return [Need("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{sender}", why=why)]
    if service == "cognito-idp":
        pool = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{params['UserPoolId']}"
        return [Need(f"cognito-idp:{operation}", pool, why=why)]
    raise AssertionError(f"{why}: no IAM mapping in tests/support/iam_policy.py; add one")


def _by_ref(stack: MotoStack, ref: str) -> str:
    for physical in stack.physical.values():
        if physical.ref == ref or ref in physical.attributes.values():
            return physical.attributes["Arn"]
    return ref


def _queue_arn(url: str, stack: MotoStack) -> str:
    return _by_ref(stack, url)


def _bus_arn(name: str, stack: MotoStack) -> str:
    return name if name.startswith("arn:") else _by_ref(stack, name)


def _function_arn(name: str, stack: MotoStack) -> str:
    return name if name.startswith("arn:") else _by_ref(stack, name)


def reads_needing_list_bucket(service: str, operation: str, params: dict[str, Any]) -> list[Need]:
    if service != "s3" or operation not in _S3_READS:
        return []
    return [
        Need(
            "s3:ListBucket",
            f"arn:aws:s3:::{params['Bucket']}",
            (("s3:prefix", params["Key"]),),
            why=f"s3.{operation} of a key that may be absent (404, not 403)",
        )
    ]


@dataclass
class CallRecorder:
    """Registered once on the runtime's boto3 session (``dal.aws.session``); records while ``active``.
    ``provide-client-params`` fires for real calls and for presigned URLs alike."""

    calls: list[tuple[str, str, dict[str, Any], bool]] = field(default_factory=list)
    _active: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(
        self, params: dict[str, Any], model: Any, context: dict[str, Any] | None = None, **_: Any
    ) -> None:
        if self._active:
            presigned = bool(context and context.get("is_presign_request"))
            with self._lock:
                self.calls.append((model.service_model.service_name, model.name, dict(params), presigned))

    @contextmanager
    def recording(self) -> Iterator[None]:
        self._active = True
        try:
            yield
        finally:
            self._active = False
