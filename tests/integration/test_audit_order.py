"""The audit trail comes back in the exact order its events were written, also within one request
(IDs are strictly increasing within a writer, most of them made in the same millisecond)."""

from __future__ import annotations

from tests.integration.test_bundles_api import CREATE
from tests.support.api import ApiClient

RUNS = 25


def test_events_of_one_request_come_back_in_the_order_written(api: ApiClient) -> None:
    for _ in range(RUNS):
        # Given a bundle whose last open task of the first phase is about to be done
        created = api.post("/bundles", CREATE).body
        bundle_id = created["bundle"]["bundle_id"]
        tasks = {task["template_task_ref"]: task for task in created["tasks"]}
        draft, review = tasks["draft"], tasks["review"]
        done = {"status": "done", "proof": {"url": "https://example.com/plan"}}
        assert api.patch(f"/tasks/{draft['task_id']}", done).status == 200

        # When one request completes it: the task's event, then the bundle's stage move
        body = {"status": "done", "comment": "looks right"}
        assert api.patch(f"/tasks/{review['task_id']}", body).status == 200

        # Then the trail lists them oldest first, exactly as written
        events = api.get(f"/bundles/{bundle_id}/events", query={"limit": "100"}).body["items"]
        trail = [(event["entity_type"], event["entity_id"], event["action"]) for event in events]
        assert trail == [
            ("bundle", bundle_id, "created"),
            ("task", draft["task_id"], "updated"),
            ("task", review["task_id"], "updated"),
            ("bundle", bundle_id, "progressed"),
        ]
        assert [e["event_id"] for e in events] == sorted(e["event_id"] for e in events)
