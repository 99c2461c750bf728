"""A synthesized stack's functions, run against moto: the resources their environment references are
created on a moto backend and each function's environment is resolved to those physical names, the way
CloudFormation would resolve it on deploy."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from workengine.dal.table import create_table_kwargs
from workengine_infra.constants import FUNCTION_TAG_KEY

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


def is_project_function(resource: dict[str, Any]) -> bool:
    """One of the project's Lambda functions (they carry the project's function tag); CDK's provider
    functions, such as the dev buckets' auto-delete, do not."""
    tags = resource.get("Properties", {}).get("Tags", [])
    return resource["Type"] == "AWS::Lambda::Function" and any(t["Key"] == FUNCTION_TAG_KEY for t in tags)


def project_functions(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in resources.items() if is_project_function(value)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1; yields its endpoint URL."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass
class Physical:
    """What ``Ref`` and ``Fn::GetAtt`` of one resource resolve to."""

    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


def _name(stack: MotoStack, logical_id: str) -> str:
    return f"{stack.prefix}-{logical_id.lower()}"[:63]


@dataclass
class MotoStack:
    """The resources of a synthesized template that functions reference, created on ``endpoint``."""

    template: dict[str, Any]
    endpoint: str
    physical: dict[str, Physical] = field(default_factory=dict)
    # moto keeps one backend per process: stacks of one process must not share physical names
    prefix: str = field(default_factory=lambda: f"we{secrets.token_hex(3)}")

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template.get("Resources", {}))

    def functions(self) -> dict[str, dict[str, Any]]:
        """The project's functions (not CDK's provider functions)."""
        return project_functions(self.resources)

    def resolve(self, value: Any) -> str:
        """A ``Ref``/``Fn::GetAtt`` (or literal) in the template, as a string on the moto backend.

        Raises KeyError for a reference to a resource type this helper cannot create yet: add it to
        ``_PROVISIONERS``."""
        if isinstance(value, str):
            return value
        if "Ref" in value:
            return self._ensure(value["Ref"]).ref
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return self._ensure(logical_id).attributes[attribute]
        raise KeyError(f"cannot resolve {value!r}")

    def environment(self, function_logical_id: str) -> dict[str, str]:
        properties = self.resources[function_logical_id]["Properties"]
        variables = properties.get("Environment", {}).get("Variables", {})
        return {name: self.resolve(value) for name, value in variables.items()}

    def _ensure(self, logical_id: str) -> Physical:
        if logical_id not in self.physical:
            resource_type = self.resources[logical_id]["Type"]
            if resource_type not in _PROVISIONERS:
                raise KeyError(f"{logical_id}: no moto provisioner for {resource_type}")
            self.physical[logical_id] = _PROVISIONERS[resource_type](self, logical_id)
        return self.physical[logical_id]


def _table(stack: MotoStack, logical_id: str) -> Physical:
    name = _name(stack, logical_id)
    created = stack.client("dynamodb").create_table(**create_table_kwargs(name))["TableDescription"]
    return Physical(name, {"Arn": created["TableArn"], "StreamArn": created["LatestStreamArn"]})


def _bucket(stack: MotoStack, logical_id: str) -> Physical:
    name = _name(stack, logical_id)
    s3 = stack.client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    versioning = stack.resources[logical_id].get("Properties", {}).get("VersioningConfiguration")
    if versioning:
        # As the template says: versioned buckets give events and reads their VersionId.
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning["Status"]})
    return Physical(name, {"Arn": f"arn:aws:s3:::{name}"})


def _event_bus(stack: MotoStack, logical_id: str) -> Physical:
    name = _name(stack, logical_id)
    arn = stack.client("events").create_event_bus(Name=name)["EventBusArn"]
    return Physical(name, {"Arn": arn, "Name": name})


def _queue(stack: MotoStack, logical_id: str) -> Physical:
    name = _name(stack, logical_id)
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Physical(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def _secret(stack: MotoStack, logical_id: str) -> Physical:
    arn = stack.client("secretsmanager").create_secret(
        Name=_name(stack, logical_id), SecretString=secrets.token_urlsafe(32)
    )["ARN"]
    return Physical(arn, {"Id": arn})


def _function(stack: MotoStack, logical_id: str) -> Physical:
    name = _name(stack, logical_id)
    return Physical(name, {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"})


def _user_pool(stack: MotoStack, logical_id: str) -> Physical:
    pool = stack.client("cognito-idp").create_user_pool(PoolName=_name(stack, logical_id))["UserPool"]
    return Physical(pool["Id"], {"Arn": pool["Arn"]})


_PROVISIONERS: dict[str, Callable[[MotoStack, str], Physical]] = {
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::DynamoDB::Table": _table,
    "AWS::S3::Bucket": _bucket,
    "AWS::Events::EventBus": _event_bus,
    "AWS::SQS::Queue": _queue,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Lambda::Function": _function,
}


def handler_module(handler: str) -> tuple[str, str]:
    module, _, attribute = handler.rpartition(".")
    return module, attribute
