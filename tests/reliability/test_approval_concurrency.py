"""Ten approvers decide at once on a task that needs three approvals.

Each approver is a forked process (a separate "Lambda instance") calling the real handler against one
moto server that serves one request at a time: moto's TransactWriteItems is not atomic across threads
while DynamoDB's is, so the server is serialised and the race is between read and conditional write,
exactly where it is in AWS. The deterministic twin of this test is in
``tests/integration/test_approval_races.py``.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.integration.test_approvals_api import FLOW
from tests.reliability.test_concurrency import MEMBER, moto_endpoint, run_concurrently
from tests.support.api import ApiClient, Caller
from workengine.domain.enums import Role

__all__ = ["moto_endpoint"]
VOTERS = [Caller("acme", f"v{i}", Role.MEMBER) for i in range(10)]


@pytest.mark.slow
def test_ten_parallel_approvers_on_required_three_complete_the_task_once(moto_endpoint: str) -> None:
    # Given
    api = ApiClient(MEMBER)
    created = api.post("/bundles", FLOW).body
    vote = next(t for t in created["tasks"] if t["template_task_ref"] == "board_vote")

    # When
    answers = run_concurrently(
        "POST", f"/tasks/{vote['task_id']}/approvals", {"decision": "approve"}, callers=VOTERS
    )

    # Then
    outcomes = Counter((status, code) for status, code, _ in answers)
    assert outcomes[(201, None)] == 3, outcomes
    assert set(outcomes) <= {(201, None), (422, "INVALID_TRANSITION")}, outcomes
    stored = api.get(f"/tasks/{vote['task_id']}").body["task"]
    assert stored["status"] == "done" and len(stored["approvals"]) == 3
    winners = [body["approval"]["approver"] for status, _, body in answers if status == 201]
    assert sorted(a["approver"] for a in stored["approvals"]) == sorted(winners)
    assert stored["completed_by"] == stored["approvals"][-1]["approver"]
    assert stored["version"] == vote["version"] + 3
    events = api.get(f"/bundles/{vote['bundle_id']}/events").body["items"]
    assert len([e for e in events if e["entity_id"] == vote["task_id"]]) == 3
