"""``Idempotency-Key`` on ``POST /bundles`` through the Powertools idempotency utility (DynamoDB).

The record key hashes tenant + client key, so keys never collide across tenants; the request body is
the validation payload, so the same key with another body is refused instead of replayed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from workengine.composition import Container, container
from workengine.domain.errors import IdempotencyConflictError

CreateFn = Callable[..., dict[str, Any]]
# Built once per container (``composition.reset()`` gives tests a new one, and so a new table client).
_cached: tuple[Container, CreateFn, IdempotencyConfig] | None = None


def idempotent(create: CreateFn) -> tuple[CreateFn, IdempotencyConfig]:
    """Wrap ``create(request) -> response``; ``request`` is ``{"tenant_id", "key", "body"}``."""
    global _cached
    current = container()
    if _cached is not None and _cached[0] is current:
        return _cached[1], _cached[2]
    settings = current.settings
    persistence = current.idempotency_store
    config = IdempotencyConfig(
        event_key_jmespath="[tenant_id, key]",
        payload_validation_jmespath="body",
        expires_after_seconds=settings.idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )

    def run(request: dict[str, Any]) -> dict[str, Any]:
        return create(request)

    wrapped = idempotent_function(
        data_keyword_argument="request", persistence_store=persistence, config=config
    )(run)
    _cached = (current, wrapped, config)
    return wrapped, config


def create_idempotently(create: CreateFn, request: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    """Runs ``create`` once per tenant + key; a replay returns the first response.

    Raises IdempotencyConflictError when the key was used with another body, or when the first request
    with the key is still in progress.
    """
    wrapped, config = idempotent(create)
    config.register_lambda_context(lambda_context)
    try:
        return wrapped(request=request)
    except IdempotencyValidationError as exc:
        raise IdempotencyConflictError(
            "this Idempotency-Key was already used with a different request body"
        ) from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise IdempotencyConflictError(
            "a request with this Idempotency-Key is still in progress; retry shortly"
        ) from exc
