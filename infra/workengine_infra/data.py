"""Data: the single DynamoDB table, the artifacts/exports bucket with its access-log bucket, and the
pagination signing secret."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, CfnResource, Duration, Fn, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from workengine.dal.table import TTL_ATTRIBUTE, create_table_kwargs
from workengine_infra import constants as c

# What CDK names the per-stack provider of ``auto_delete_objects`` and each bucket's custom resource.
AUTO_DELETE_PROVIDER_ID = "Custom::S3AutoDeleteObjectsCustomResourceProvider"
AUTO_DELETE_RESOURCE_ID = "AutoDeleteObjectsCustomResource"

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _key_attributes(
    key_schema: list[dict[str, str]], types: dict[str, str]
) -> tuple[dynamodb.Attribute, dynamodb.Attribute | None]:
    by_type = {key["KeyType"]: key["AttributeName"] for key in key_schema}
    partition = dynamodb.Attribute(name=by_type["HASH"], type=_ATTRIBUTE_TYPES[types[by_type["HASH"]]])
    sort_name = by_type.get("RANGE")
    sort = (
        None
        if sort_name is None
        else dynamodb.Attribute(name=sort_name, type=_ATTRIBUTE_TYPES[types[sort_name]])
    )
    return partition, sort


class DataConstruct(Construct):
    """The table is built from ``workengine.dal.table.create_table_kwargs``: the definition the local
    moto backend and the tests use, so keys and indexes cannot drift from the runtime."""

    def __init__(
        self, scope: Construct, construct_id: str, *, prod: bool, allowed_origins: list[str]
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY
        # Dev stacks empty their buckets on destroy (CloudFormation cannot delete a bucket holding objects);
        # prod retains them with everything in them.
        self.auto_delete_objects = not prod
        self.index_names: list[str] = []
        self.table = self._table(removal, prod)
        self.access_logs_bucket = self._access_logs_bucket(removal)
        self.bucket = self._bucket(removal, allowed_origins)
        if self.auto_delete_objects:
            self._auto_delete_logs()
        self.pagination_secret = secretsmanager.Secret(
            self,
            "PaginationSecret",
            description="HMAC key signing the API's next_token values and (derived) export manifests",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=removal,
        )
        Validations.of(self.pagination_secret).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SMG4",
                reason="The key only signs short-lived pagination tokens; rotating it would invalidate every "
                "token in flight, so it is rotated by hand (put-secret-value) when needed.",
            )
        )

    def _auto_delete_logs(self) -> None:
        """CDK's auto-delete provider (one Node.js function per stack, not ours: no project tag) would log
        into a group Lambda creates, kept forever and left behind by the destroy. This one has the dev
        retention and goes with the stack, after the custom resources that empty the buckets have run."""
        provider = Stack.of(self).node.find_child(AUTO_DELETE_PROVIDER_ID)
        handler = provider.node.find_child("Handler")
        assert isinstance(handler, CfnResource)
        group = logs.LogGroup(
            self,
            "AutoDeleteObjectsLogs",
            log_group_name=Fn.join("", ["/aws/lambda/", handler.ref]),
            retention=logs.RetentionDays.TWO_WEEKS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        for bucket in (self.bucket, self.access_logs_bucket):
            bucket.node.find_child(AUTO_DELETE_RESOURCE_ID).node.add_dependency(group)

    def _table(self, removal: RemovalPolicy, prod: bool) -> dynamodb.Table:
        definition: dict[str, Any] = create_table_kwargs("unused")
        types = {a["AttributeName"]: a["AttributeType"] for a in definition["AttributeDefinitions"]}
        partition, sort = _key_attributes(definition["KeySchema"], types)
        table = dynamodb.Table(
            self,
            "Table",
            partition_key=partition,
            sort_key=sort,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE,
            # the statistics aggregator reads every change (workengine.dal.table: StreamSpecification)
            stream=dynamodb.StreamViewType(definition["StreamSpecification"]["StreamViewType"]),
            deletion_protection=prod,
            removal_policy=removal,
        )
        for gsi in definition["GlobalSecondaryIndexes"]:
            gsi_partition, gsi_sort = _key_attributes(gsi["KeySchema"], types)
            table.add_global_secondary_index(
                index_name=gsi["IndexName"],
                partition_key=gsi_partition,
                sort_key=gsi_sort,
                projection_type=dynamodb.ProjectionType(gsi["Projection"]["ProjectionType"]),
            )
            self.index_names.append(gsi["IndexName"])
        return table

    def _access_logs_bucket(self, removal: RemovalPolicy) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogsBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,  # log delivery cannot write to SSE-KMS buckets
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(365))],
            removal_policy=removal,
            auto_delete_objects=self.auto_delete_objects,
        )
        Validations.of(bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This is the server access log destination; logging it into itself would loop.",
            )
        )
        return bucket

    def _bucket(self, removal: RemovalPolicy, allowed_origins: list[str]) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "ArtifactsBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="artifacts-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(c.ABORT_MULTIPART_DAYS),
                ),
                s3.LifecycleRule(
                    id="expire-noncurrent-versions",
                    noncurrent_version_expiration=Duration.days(c.NONCURRENT_VERSIONS_EXPIRE_DAYS),
                    expired_object_delete_marker=True,
                ),
                s3.LifecycleRule(
                    id="expire-archived-bundle-artifacts",
                    prefix=c.ARTIFACTS_PREFIX,
                    tag_filters={c.ARCHIVED_TAG_KEY: "true"},
                    expiration=Duration.days(c.ARCHIVED_ARTIFACTS_EXPIRE_DAYS),
                ),
                s3.LifecycleRule(
                    id="expire-exports",
                    prefix=c.EXPORTS_PREFIX,
                    expiration=Duration.days(c.EXPORTS_EXPIRE_DAYS),
                ),
            ],
            cors=[
                s3.CorsRule(
                    # Browsers PUT straight to presigned URLs and GET presigned downloads.
                    allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
                    allowed_origins=allowed_origins,
                    allowed_headers=["*"],
                    exposed_headers=["ETag"],
                    max_age=c.PRESIGNED_UPLOAD_CORS_MAX_AGE_SECONDS,
                )
            ],
            removal_policy=removal,
            auto_delete_objects=self.auto_delete_objects,
        )
        # EventBridge notifications set natively on the bucket: ``event_bridge_enabled=True`` would add a
        # custom-resource Lambda (with an AWS managed policy) just to call PutBucketNotificationConfiguration.
        cfn_bucket = bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.add_property_override(
            "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
        )
        return bucket
