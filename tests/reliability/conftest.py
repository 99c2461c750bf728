"""Reliability fixtures: the integration fixtures (moto ``mock_aws`` + the real handler) plus the local
HTTP server (``LocalApi``, the token check API Gateway does in AWS) on a free port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.integration.conftest import admin, api, aws_env, member, outsider, viewer
from workengine.handlers.api.app import lambda_handler
from workengine.settings import get_settings
from workengine_tools.local.http_server import LocalApi, make_server
from workengine_tools.local.tokens import issue_token

__all__ = ["admin", "api", "aws_env", "member", "outsider", "viewer"]


@dataclass(frozen=True)
class LocalServer:
    base_url: str
    secret: str
    local_api: LocalApi

    def token(
        self, tenant_id: str = "acme", user_id: str = "mia", role: str = "member", ttl: int = 600
    ) -> str:
        return issue_token(self.secret, tenant_id=tenant_id, user_id=user_id, role=role, ttl_seconds=ttl)

    def bearer(self, **claims: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**claims)}"}


@pytest.fixture
def local_server(aws_env: None) -> Iterator[LocalServer]:
    """``make_server(LocalApi(lambda_handler))`` in a thread; AWS is the test's ``mock_aws``."""
    secret = get_settings().dev_jwt_secret
    local_api = LocalApi(lambda_handler, secret)
    server = make_server(local_api, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, name="local-api", daemon=True)
    thread.start()
    try:
        yield LocalServer(f"http://127.0.0.1:{server.server_port}", secret, local_api)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
