"""In AWS the pagination key lives in Secrets Manager; settings resolve it once at cold start."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from workengine.composition import Container
from workengine.domain.errors import ValidationFailedError
from workengine.handlers.api import dependencies as deps
from workengine.settings import DEFAULT_DEV_SECRET, InsecureSettingsError, get_settings

SECRET_VALUE = "s3cr3t-from-secrets-manager-0123456789abcdef"


@pytest.mark.usefixtures("aws_env")
def test_pagination_secret_is_read_from_the_secret_arn(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a secret in Secrets Manager and its ARN in the environment (as the CDK stack sets it)
    arn = boto3.client("secretsmanager").create_secret(Name="pagination", SecretString=SECRET_VALUE)["ARN"]
    monkeypatch.setenv("WORKENGINE_PAGINATION_SECRET_ARN", arn)
    deps.reset()

    # When the settings load
    settings = get_settings()

    # Then the secret's value signs page tokens, and a token signed with the dev default is refused
    assert settings.pagination_secret == SECRET_VALUE
    codec = deps.page_tokens(settings)
    token = codec.encode("acme", "bundles", {"pk": "x"})
    assert codec.decode(token, "acme", "bundles") == {"pk": "x"}
    forged = deps.page_tokens(settings.model_copy(update={"pagination_secret": DEFAULT_DEV_SECRET}))
    with pytest.raises(ValidationFailedError):
        codec.decode(forged.encode("acme", "bundles", {"pk": "x"}), "acme", "bundles")


@pytest.mark.usefixtures("aws_env")
def test_without_an_arn_the_configured_value_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no secret ARN (local server, tests)
    monkeypatch.delenv("WORKENGINE_PAGINATION_SECRET_ARN", raising=False)
    monkeypatch.setenv("WORKENGINE_PAGINATION_SECRET", "a-local-secret-of-enough-length")
    deps.reset()

    # When / Then the plain setting is used and Secrets Manager is never asked
    assert get_settings().pagination_secret == "a-local-secret-of-enough-length"


@pytest.mark.usefixtures("aws_env")
def test_a_missing_secret_fails_the_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an ARN of a secret that does not exist
    monkeypatch.setenv(
        "WORKENGINE_PAGINATION_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf"
    )
    deps.reset()

    # When / Then loading settings fails loudly instead of falling back to the dev default
    with pytest.raises(GetParameterError, match="ResourceNotFoundException"):
        get_settings()


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize("secret", [None, DEFAULT_DEV_SECRET])
def test_in_a_lambda_a_missing_or_default_secret_fails_the_cold_start(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    # Given a Lambda environment without a pagination secret ARN
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "workengine-api")
    monkeypatch.setenv("WORKENGINE_EXPORT_FUNCTION_NAME", "workengine-export")
    monkeypatch.delenv("WORKENGINE_PAGINATION_SECRET_ARN", raising=False)
    if secret is None:
        monkeypatch.delenv("WORKENGINE_PAGINATION_SECRET", raising=False)
    else:
        monkeypatch.setenv("WORKENGINE_PAGINATION_SECRET", secret)
    deps.reset()

    # When / Then the cold-start check refuses
    with pytest.raises(InsecureSettingsError, match="pagination secret"):
        deps.check_cold_start()


@pytest.mark.usefixtures("aws_env")
def test_in_a_lambda_exports_never_fall_back_to_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "workengine-api")
    monkeypatch.setenv("WORKENGINE_PAGINATION_SECRET", "a-real-secret-of-enough-length-42")
    monkeypatch.delenv("WORKENGINE_EXPORT_FUNCTION_NAME", raising=False)
    deps.reset()

    with pytest.raises(InsecureSettingsError, match="EXPORT_FUNCTION_NAME"):
        deps.check_cold_start()
    with pytest.raises(InsecureSettingsError):
        Container(get_settings()).export_dispatcher("acme", "exp_1")


@pytest.mark.usefixtures("aws_env")
def test_in_a_lambda_with_real_settings_the_cold_start_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "workengine-api")
    monkeypatch.setenv("WORKENGINE_PAGINATION_SECRET", "a-real-secret-of-enough-length-42")
    monkeypatch.setenv("WORKENGINE_EXPORT_FUNCTION_NAME", "workengine-export")
    deps.reset()

    deps.check_cold_start()


def test_the_api_module_refuses_to_load_in_a_lambda_with_the_dev_secret() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKENGINE_")}
    env.update({"AWS_LAMBDA_FUNCTION_NAME": "workengine-api", "AWS_DEFAULT_REGION": "us-east-1"})

    completed = subprocess.run(
        [sys.executable, "-c", "import workengine.handlers.api.app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode != 0
    assert "InsecureSettingsError" in completed.stderr
