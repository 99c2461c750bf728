from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from tests.support.api import ApiClient, Caller
from tests.support.env import use_test_env
from workengine.domain.enums import Role
from workengine.handlers.api import dependencies as deps
from workengine.settings import get_settings
from workengine_tools.local.backend import provision

FIXTURE_CONTENT = Path(__file__).resolve().parents[1] / "fixtures" / "content"
TENANT = "acme"
OTHER_TENANT = "globex"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_test_env(monkeypatch, FIXTURE_CONTENT)
    with mock_aws():
        deps.reset()
        provision(get_settings())
        yield
    deps.reset()


@pytest.fixture
def member() -> Caller:
    return Caller(TENANT, "mia", Role.MEMBER)


@pytest.fixture
def admin() -> Caller:
    return Caller(TENANT, "ada", Role.ADMIN)


@pytest.fixture
def viewer() -> Caller:
    return Caller(TENANT, "vic", Role.VIEWER)


@pytest.fixture
def outsider() -> Caller:
    return Caller(OTHER_TENANT, "oscar", Role.ADMIN)


@pytest.fixture
def api(aws_env: None, member: Caller) -> ApiClient:
    return ApiClient(member)
