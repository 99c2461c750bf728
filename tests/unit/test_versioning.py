"""The version bump of optimistic locking has one definition (``domain.versioning.next_version``)."""

from __future__ import annotations

import re
from pathlib import Path

import workengine
from tests.unit.test_task_rules import make_bundle, make_task
from workengine.domain.preferences import NotificationPreferences
from workengine.domain.versioning import next_version

RUNTIME = Path(workengine.__file__).resolve().parent
DEFINITION = RUNTIME / "domain" / "versioning.py"
HAND_BUMP = re.compile(r"\bversion\s*\+\s*1\b")


def test_the_next_version_is_one_past_the_version_read() -> None:
    # Given entities read at some version
    task, bundle = make_task(version=3), make_bundle(version=1)
    # When the next version is asked for
    # Then it is one past what was read, and the entity read is left as it was
    assert next_version(task) == 4 and task.version == 3
    assert next_version(bundle) == 2


def test_preferences_never_stored_get_version_one() -> None:
    # Given preferences nobody stored (the defaults, version 0)
    defaults = NotificationPreferences.model_validate({"tenant_id": "acme", "user_id": "mia"})
    # Then their first store is version 1
    assert next_version(defaults) == 1


def test_no_module_bumps_a_version_by_hand() -> None:
    # Given every runtime module but the definition
    offenders = [
        f"{path.relative_to(RUNTIME)}:{number}"
        for path in sorted(RUNTIME.rglob("*.py"))
        if path != DEFINITION
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if HAND_BUMP.search(line)
    ]
    # Then none spells the bump itself
    assert offenders == []
