"""The only place AWS clients are created. ``AWS_ENDPOINT_URL`` (honoured by boto3 itself) points them at
the local moto server; nothing here reads the environment."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@lru_cache(maxsize=1)
def session() -> boto3.session.Session:
    """One session per process: clients share its credentials and event hooks (request counting)."""
    return boto3.session.Session()


# Presigned S3 URLs must be SigV4 (signed Content-Type/Content-Length; SigV2 is retired in new regions).
_S3_CONFIG = _CONFIG.merge(Config(signature_version="s3v4"))


# A boto3 Session is not thread-safe while it creates clients (clients themselves are); the local server
# and the job worker create clients from several threads, so creation is serialised.
_CREATE_LOCK = threading.Lock()


def client(service: str) -> Any:
    config = _S3_CONFIG if service == "s3" else _CONFIG
    with _CREATE_LOCK:
        return session().client(service, config=config)  # type: ignore[call-overload]


# botocore resolves DynamoDB account-ID based endpoints; moto's DynamoDB Streams emulation answers those
# with 404 "Not yet implemented" (botocore 1.44). Only tooling reads a stream itself (the local server's
# drain; in AWS the event source mapping does), so its client never uses them.
_STREAMS_CONFIG = _CONFIG.merge(Config(account_id_endpoint_mode="disabled"))


def streams_client() -> Any:
    """A DynamoDB Streams client (``account_id_endpoint_mode="disabled"``, see above)."""
    with _CREATE_LOCK:
        return session().client("dynamodbstreams", config=_STREAMS_CONFIG)
