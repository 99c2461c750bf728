"""Secrets Manager values, read once per cold start through Powertools parameters (cached)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from workengine.dal.aws import client

SECRET_MAX_AGE_SECONDS = 3600


def fetch_secret_string(secret_id: str) -> str:
    """The ``SecretString`` of ``secret_id`` (name or ARN).

    Raises:
        aws_lambda_powertools.utilities.parameters.exceptions.GetParameterError: the secret cannot be read.
        TypeError: the secret holds binary data, not a string.
    """
    provider = SecretsProvider(boto3_client=client("secretsmanager"))
    value = provider.get(secret_id, max_age=SECRET_MAX_AGE_SECONDS)
    if not isinstance(value, str):
        raise TypeError(f"secret {secret_id} is not a string secret")
    return value
