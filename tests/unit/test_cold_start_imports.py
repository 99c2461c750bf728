"""Cold start: a Lambda entry module imports what its handler needs, and its first invocation takes the
rest from the composition root (docs/decision_log.md, 2026-12-02; figures in docs/benchmarks.md).

Each entry module is imported in a fresh interpreter with the environment ``scripts/bench`` uses, so a
change that pulls services, the domain models or pydantic's model machinery back into an import fails
here, deterministically, rather than as a slower figure on a noisy machine.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from workengine_tools.bench.imports import API_MODULE, ENTRY_MODULES, UNWANTED_AT_COLD_START, probe_env

# Read where the container is first built (the API reads them at init, in its cold-start check).
SETTINGS = "workengine.settings"
# pydantic's model machinery (~50 ms with the first model): the workers leave it to their first
# invocation, which parses the event and builds the services; the API needs it for its resolver.
PYDANTIC_MODELS = "pydantic.main"
# Powertools' batch utility imports its parser models (~60 ms) when pydantic was imported before it.
BATCH_PARSER_MODELS = "aws_lambda_powertools.utilities.parser.models"
BATCH_FUNCTIONS = {
    "workengine.handlers.jobs_worker",
    "workengine.handlers.event_trigger",
    "workengine.handlers.stats_aggregator",
    "workengine.handlers.notifier",
}
# The domain models every first invocation builds on, and the catalog.
DOMAIN_MODELS = ("workengine.domain.entities", "workengine.domain.template", "workengine.catalog.loader")
# The sweep's time budget is all its module needs from the services.
SERVICES = {"workengine.services.sweep_work"}
DAL = {"workengine.dal.aws"}  # boto3 with the composition root, at init


def modules_after_import(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=probe_env(), check=True, timeout=120
    )
    return set(json.loads(completed.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", ENTRY_MODULES)
def test_an_entry_module_leaves_its_collaborators_to_the_composition_root(module: str) -> None:
    # Given a fresh interpreter, as a Lambda cold start
    # When the entry module is imported
    loaded = modules_after_import(module)

    # Then no service, repository, domain model or development-only package came with it
    assert sorted(m for m in loaded if m.startswith("workengine.services.") and m not in SERVICES) == []
    assert sorted(m for m in loaded if m.startswith("workengine.dal.") and m not in DAL) == []
    assert [m for m in DOMAIN_MODELS if m in loaded] == []
    assert [m for m in UNWANTED_AT_COLD_START if m in loaded] == []
    assert (SETTINGS in loaded) is (module == API_MODULE)
    assert (PYDANTIC_MODELS in loaded) is (module == API_MODULE)
    if module in BATCH_FUNCTIONS:
        assert BATCH_PARSER_MODELS not in loaded
