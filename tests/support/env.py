"""The process environment every AWS-backed test runs with (fake credentials, quiet Powertools)."""

from __future__ import annotations

from pathlib import Path

import pytest

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "WorkEngineTest",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def use_test_env(
    monkeypatch: pytest.MonkeyPatch, content: Path, *, endpoint: str | None = None, **settings: str
) -> None:
    """Test env + template content; ``endpoint`` points clients at a moto server (else in-process moto);
    ``settings`` are extra ``WORKENGINE_*`` values by field name (``max_artifact_bytes="4096"``)."""
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WORKENGINE_CONTENT_PATH", str(content))
    for field, value in settings.items():
        monkeypatch.setenv(f"WORKENGINE_{field.upper()}", value)
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
