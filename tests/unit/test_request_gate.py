"""The request gate refuses bodies no route can take before Powertools sees them."""

from __future__ import annotations

import pytest

from workengine.domain.errors import ValidationFailedError
from workengine.handlers.api.request_gate import body_problem

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('[{"channels": ["email"]}]', id="one-item-array"),  # Powertools would unwrap it
        pytest.param("[]", id="empty-array"),
        pytest.param('"text"', id="string"),
        pytest.param("42", id="number"),
        pytest.param("true", id="boolean"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(body: str) -> None:
    problem = body_problem({"body": body, "headers": JSON})

    assert isinstance(problem, ValidationFailedError)
    assert problem.details == {"field": "body"}


@pytest.mark.parametrize("body", ['{"channels": ["email"]}', "{}", "null", ""])
def test_an_object_null_or_absent_body_passes_the_gate(body: str) -> None:
    assert body_problem({"body": body, "headers": JSON}) is None
