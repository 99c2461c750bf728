"""Builds the CDK app: reads context, adds the stack and the cdk-nag AWS Solutions checks."""

from __future__ import annotations

import os
from typing import Any

from aws_cdk import App, Environment, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from workengine.settings import Settings
from workengine_infra import constants as c
from workengine_infra.stack import StackConfig, WorkEngineStack

# Feature flags the stack relies on, set here (not only in cdk.json) so tests synthesize the same thing.
FEATURE_FLAGS: dict[str, Any] = {
    # Access-log delivery through a bucket policy instead of the legacy LogDeliveryWrite ACL.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def config_from_context(app: App) -> StackConfig:
    def context(key: str) -> Any:
        return app.node.try_get_context(key)

    skip = str(context(c.CONTEXT_BUNDLE) or "") == c.BUNDLE_SKIP or os.environ.get(c.ENV_SKIP_BUNDLING) == "1"
    origins = str(context(c.CONTEXT_ALLOWED_ORIGINS) or "*")
    bedrock = str(context(c.CONTEXT_ASSISTANT_PROVIDER) or "local") == "bedrock"
    model_id = context(c.CONTEXT_BEDROCK_MODEL_ID) or Settings.model_fields["bedrock_model_id"].default
    return StackConfig(
        stage=str(context(c.CONTEXT_STAGE) or c.DEFAULT_STAGE),
        install_dependencies=not skip,
        allowed_origins=[origin.strip() for origin in origins.split(",") if origin.strip()],
        alarm_email=context(c.CONTEXT_ALARM_EMAIL) or None,
        bedrock_model_id=str(model_id) if bedrock else None,
        export_worker_concurrency=int(
            context(c.CONTEXT_EXPORT_WORKER_CONCURRENCY) or c.DEFAULT_EXPORT_WORKER_CONCURRENCY
        ),
        jobs_worker_concurrency=int(
            context(c.CONTEXT_JOBS_WORKER_CONCURRENCY) or c.DEFAULT_JOBS_WORKER_CONCURRENCY
        ),
        email_sender=str(context(c.CONTEXT_EMAIL_SENDER) or Settings.model_fields["email_sender"].default),
        email_identity=context(c.CONTEXT_EMAIL_IDENTITY) or None,
    )


def build_app(
    context: dict[str, Any] | None = None, outdir: str | None = None
) -> tuple[App, WorkEngineStack]:
    """The app ``infra/app.py`` synthesizes; tests call it with ``workengine:bundle=skip``."""
    app = App(context={**FEATURE_FLAGS, **(context or {})}, outdir=outdir)
    config = config_from_context(app)
    env = Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    stack = WorkEngineStack(
        app,
        f"{c.STACK_NAME_PREFIX}-{config.stage}",
        config=config,
        env=env,
        description=f"Work engine ({config.stage}): API, workers, table, bucket, events",
        termination_protection=config.prod,
    )
    Tags.of(stack).add("service", c.SERVICE_NAME)
    Tags.of(stack).add("stage", config.stage)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app, stack
