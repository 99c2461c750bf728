"""Process-level AWS configuration for command-line use: where boto3 sends requests.

boto3 honours ``AWS_ENDPOINT_URL`` for every client, so pointing a command at the local moto backend is
setting that one variable before the first client is created; credentials and region get harmless local
defaults because moto accepts any.
"""

from __future__ import annotations

import os


def use_endpoint(endpoint_url: str | None) -> None:
    """Send every AWS client of this process to ``endpoint_url`` (no-op for ``None``: real AWS)."""
    if not endpoint_url:
        return
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def quiet_local_powertools() -> None:
    """No X-Ray daemon locally, and INFO logs of every request would drown the server's output."""
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "WorkEngine")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
