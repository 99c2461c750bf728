"""``/health``: liveness, no authentication."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from workengine.handlers.api.schemas import Health

router = Router()


@router.get("/health", summary="Liveness check (no authentication)")
def health() -> Health:
    """Answers ``{"status": "ok"}`` while the API runs; needs no token."""
    return Health(status="ok")
