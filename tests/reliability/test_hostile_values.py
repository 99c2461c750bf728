"""Values a client can send that DynamoDB, the date arithmetic or a reader cannot take: each is refused
with the contract's error body naming the field, and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.test_bundles_api import CREATE, create, table_items
from tests.reliability.test_hostile_input import assert_refused
from tests.support.api import ApiClient, Caller

JSON = {"content-type": "application/json"}


def _job(bundle_id: str, job_input: Any) -> str:
    body = {"bundle_id": bundle_id, "kind": "summarize_bundle", "input": {"prompt": "Summarise."}}
    raw = json.dumps(body)
    # splice the raw input text in, so literals json.dumps would never write (NaN, 5,000 digits) reach us
    return raw.replace('{"prompt": "Summarise."}', job_input if isinstance(job_input, str) else "null")


def _nested(depth: int) -> str:
    return '{"prompt": "Summarise.", "extra": ' + '{"a": ' * depth + "1" + "}" * depth + "}"


@pytest.mark.parametrize(
    ("raw_input", "status"),
    [
        pytest.param('{"prompt": "Summarise.", "n": 1' + "0" * 60 + "}", 422, id="10**60"),
        pytest.param('{"prompt": "Summarise.", "n": 1e-200}', 422, id="1e-200"),
        pytest.param('{"prompt": "Summarise.", "n": ' + "9" * 5000 + "}", 422, id="5000-digits"),
        pytest.param('{"prompt": "Summarise.", "n": ' + "9" * 39 + "}", 422, id="39-digits"),
        pytest.param('{"prompt": "Summarise.", "n": NaN}', 422, id="NaN"),
        pytest.param('{"prompt": "Summarise.", "n": Infinity}', 422, id="Infinity"),
        pytest.param('{"prompt": "Summarise.", "n": -Infinity}', 422, id="-Infinity"),
        pytest.param('{"prompt": "Summarise.", "n": 1e999}', 422, id="1e999-overflows-to-inf"),
        pytest.param(_nested(40), 422, id="nested-40"),
        pytest.param(_nested(17), 422, id="nested-17"),
        pytest.param('{"prompt": "Summarise.", "s": "' + "x" * 40_000 + '"}', 422, id="40k-field"),
        pytest.param('{"prompt": "NUL \\u0000 inside"}', 422, id="nul-in-prompt"),
    ],
)
def test_free_form_json_outside_what_dynamodb_holds_is_refused(
    api: ApiClient, raw_input: str, status: int
) -> None:
    bundle_id = create(api)["bundle"]["bundle_id"]
    before = table_items()

    response = api.call("POST", "/assistant-jobs", raw_body=_job(bundle_id, raw_input), headers=JSON)

    assert_refused(response, status, "VALIDATION_ERROR")
    assert "input" in json.dumps(response.body) or "body" in json.dumps(response.body)
    assert table_items() == before


def test_free_form_json_at_the_bounds_is_accepted(api: ApiClient) -> None:
    bundle_id = create(api)["bundle"]["bundle_id"]
    raw = (
        '{"prompt": "Summarise.", "big": 9.99e125, "float_1e60": 1e60, "small": 1e-130,'
        ' "digits": '
        + "9" * 38
        + ', "deep": '
        + _nested(14)[len('{"prompt": "Summarise.", "extra": ') : -1]
        + "}"
    )

    response = api.call("POST", "/assistant-jobs", raw_body=_job(bundle_id, raw), headers=JSON)

    assert response.status == 202, response.body
    assert response.body["job"]["input"]["digits"] == int("9" * 38)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"assignees": {"owner": "u" * 3000}}, id="3000-char-user-id"),
        pytest.param({"assignees": {"owner": "has space"}}, id="user-id-with-space"),
        pytest.param({"assignees": {"r" * 300: "mia"}}, id="300-char-role"),
        pytest.param({"assignees": {"hots": "mia"}}, id="unknown-role"),
        pytest.param({"anchor_date": "0001-01-01"}, id="anchor-year-1"),
        pytest.param({"anchor_date": "9999-12-31"}, id="anchor-year-9999"),
        pytest.param({"anchor_date": "1969-12-31"}, id="anchor-before-window"),
        pytest.param({"anchor_date": "2200-01-01"}, id="anchor-after-window"),
        pytest.param({"title": "NUL \u0000 inside"}, id="nul-title"),
        pytest.param({"title": "ESC \u001b[31m red"}, id="escape-title"),
        pytest.param({"title": "bidi \u202eevil"}, id="bidi-override-title"),
        pytest.param({"title": "\u200b\u200b\u200d"}, id="zero-width-only-title"),
        pytest.param({"title": "tab\tinside"}, id="tab-in-title"),
        pytest.param({"title": "line\nbreak"}, id="newline-in-title"),
        pytest.param({"tags": ["\u2060"]}, id="invisible-tag"),
        pytest.param({"references": {"brief\u0007": "https://example.com"}}, id="bell-in-reference-name"),
    ],
)
def test_create_bundle_values_out_of_bounds_are_refused(api: ApiClient, overrides: dict[str, Any]) -> None:
    before = table_items()

    response = api.post("/bundles", {**CREATE, **overrides})

    assert_refused(response, 422, "VALIDATION_ERROR")
    assert table_items() == before


def test_an_unknown_role_is_named_with_the_templates_roles(api: ApiClient) -> None:
    response = api.post("/bundles", {**CREATE, "assignees": {"owner": "mia", "hots": "rex"}})

    assert_refused(response, 422, "VALIDATION_ERROR")
    details = response.body["error"]["details"]
    assert details["unknown_roles"] == ["hots"] and "reviewer" in details["roles"]
    assert "hots" in response.body["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"assignee": "u" * 3000}, id="3000-char-assignee"),
        pytest.param({"due_date": "9999-12-31"}, id="due-9999"),
        pytest.param({"due_date": "0001-01-01"}, id="due-0001"),
        pytest.param({"follow_up_at": "9999-12-31T23:59:59Z", "status": "waiting", "waiting_for": "x"}),
        pytest.param({"status": "skipped"}, id="skipped-without-reason"),
        pytest.param({"status": "skipped", "skip_reason": "\u200b"}, id="skipped-invisible-reason"),
        pytest.param({"comment": "\u0000"}, id="nul-comment"),
        pytest.param({"expected_version": "1"}, id="version-as-string"),
        pytest.param({"expected_version": True}, id="version-as-bool"),
        pytest.param({"waiting_for": "a\u202eb"}, id="bidi-waiting-for"),
    ],
)
def test_patch_task_values_out_of_bounds_are_refused(api: ApiClient, body: dict[str, Any]) -> None:
    task_id = create(api)["tasks"][0]["task_id"]
    before = table_items()

    response = api.patch(f"/tasks/{task_id}", body)

    assert_refused(response, 422, "VALIDATION_ERROR")
    assert table_items() == before


def test_long_text_keeps_newlines_and_tabs(api: ApiClient) -> None:
    task_id = create(api)["tasks"][0]["task_id"]

    response = api.post(f"/tasks/{task_id}/comments", {"text": "line one\n\tindented\r\nline three"})

    assert response.status == 201, response.body
    assert response.body["comment"]["text"] == "line one\n\tindented\r\nline three"


def test_a_skipped_task_carries_its_reason(api: ApiClient) -> None:
    task_id = create(api)["tasks"][0]["task_id"]

    response = api.patch(f"/tasks/{task_id}", {"status": "skipped", "skip_reason": "not this quarter"})

    assert response.status == 200, response.body
    assert response.body["task"]["skip_reason"] == "not this quarter"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/exports", {"with_binaries": "yes"}),
        ("/exports", {"with_binaries": 1}),
    ],
)
def test_strings_and_numbers_are_not_booleans(api: ApiClient, admin: Caller, path: str, body: Any) -> None:
    before = table_items()

    response = api.post(path, body, caller=admin)

    assert_refused(response, 422, "VALIDATION_ERROR")
    assert table_items() == before


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"content-type": "text/plain"}, id="text-plain"),
        pytest.param({"content-type": "application/x-www-form-urlencoded"}, id="form"),
        pytest.param({}, id="none"),
        pytest.param({"content-type": "application/jsonx"}, id="jsonx"),
    ],
)
def test_a_body_that_is_not_declared_json_is_415(api: ApiClient, headers: dict[str, str]) -> None:
    before = table_items()

    response = api.call("POST", "/bundles", raw_body=json.dumps(CREATE), headers=headers)

    assert_refused(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert table_items() == before


def test_json_with_a_charset_is_accepted(api: ApiClient) -> None:
    response = api.call(
        "POST",
        "/bundles",
        raw_body=json.dumps(CREATE),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )

    assert response.status == 201, response.body


def test_authorization_comes_before_template_lookup(api: ApiClient, viewer: Caller) -> None:
    before = table_items()

    keyed = api.post(
        "/bundles",
        {**CREATE, "template_id": "no-such-template"},
        caller=viewer,
        headers={"Idempotency-Key": "k-1"},
    )
    plain = api.post("/bundles", {**CREATE, "template_id": "no-such-template"}, caller=viewer)

    assert_refused(keyed, 403, "FORBIDDEN")
    assert_refused(plain, 403, "FORBIDDEN")
    assert table_items() == before


def test_an_unknown_role_with_an_idempotency_key_keeps_no_record(api: ApiClient) -> None:
    before = table_items()

    response = api.post(
        "/bundles", {**CREATE, "assignees": {"hots": "mia"}}, headers={"Idempotency-Key": "k"}
    )

    assert_refused(response, 422, "VALIDATION_ERROR")
    assert table_items() == before


@pytest.mark.parametrize(
    "path",
    [
        "/bundles/" + "b" * 3000,
        "/tasks/" + "t" * 3000,
        "/artifacts/" + "a" * 3000,
        "/assistant-jobs/" + "j" * 3000,
        "/exports/" + "e" * 3000,
        "/bundles/" + "b" * 3000 + "/events",
        "/tasks/" + "t\u0000",
    ],
)
def test_ids_no_entity_can_have_are_not_found(api: ApiClient, admin: Caller, path: str) -> None:
    assert_refused(api.get(path, caller=admin), 404, "NOT_FOUND")


def test_a_task_patch_on_an_oversized_id_is_not_found(api: ApiClient) -> None:
    before = table_items()

    response = api.patch("/tasks/" + "t" * 3000, {"status": "in_progress"})

    assert_refused(response, 404, "NOT_FOUND")
    assert table_items() == before
