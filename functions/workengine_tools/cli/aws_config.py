"""Process-level AWS configuration for command-line use: where boto3 sends requests.

boto3 honours ``AWS_ENDPOINT_URL`` for every client, so pointing a command at the local moto backend is
setting that one variable before the first client is created; credentials and region get harmless local
defaults because moto accepts any.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from workengine_tools.cli.tool_settings import ToolSettings

LOCAL_REGION = "us-east-1"


def is_loopback(endpoint_url: str) -> bool:
    """``http://127.0.0.1:8081``, ``http://localhost:8081``, ``http://[::1]:8081``."""
    host = urlsplit(endpoint_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def use_endpoint(endpoint_url: str | None, settings: ToolSettings | None = None) -> None:
    """Send every AWS client of this process to ``endpoint_url``, or to ``AWS_ENDPOINT_URL`` (read through
    ``settings``, the environment's by default) when it is None. A local endpoint (given here, or a
    loopback one from the environment) gets a default region and dummy credentials, which moto accepts;
    without an endpoint the standard chain applies (real AWS)."""
    endpoint = endpoint_url or (settings or ToolSettings.from_environment()).aws_endpoint_url
    if not endpoint:
        return
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    if endpoint_url or is_loopback(endpoint):
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        os.environ.setdefault("AWS_DEFAULT_REGION", LOCAL_REGION)


def quiet_local_powertools() -> None:
    """No X-Ray daemon locally, and INFO logs of every request would drown the server's output."""
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "WorkEngine")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
