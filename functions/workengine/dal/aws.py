"""The only place AWS clients are created. ``AWS_ENDPOINT_URL`` (honoured by boto3 itself) points them at
the local moto server; nothing here reads the environment."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@lru_cache(maxsize=1)
def session() -> boto3.session.Session:
    """One session per process: clients share its credentials and event hooks (request counting)."""
    return boto3.session.Session()


def client(service: str) -> Any:
    return session().client(service, config=_CONFIG)  # type: ignore[call-overload]
