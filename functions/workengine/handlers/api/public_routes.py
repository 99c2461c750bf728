"""The routes anyone may call without a bearer token, defined once for the API document, the stack's
unauthenticated routes and the local server's token check."""

from __future__ import annotations

PUBLIC_ROUTES = ("GET /health", "GET /openapi.json", "GET /docs")
PUBLIC_PATHS = frozenset(route.split(" ", 1)[1] for route in PUBLIC_ROUTES)
