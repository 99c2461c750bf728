"""Dev JWTs (HS256) for the local API; the local server verifies them as API Gateway's JWT authorizer
verifies Cognito tokens in AWS, then hands the claims to the handler."""

from __future__ import annotations

import time
from typing import Any

import jwt

ISSUER = "workengine-local"
AUDIENCE = "workengine"
DEFAULT_TTL_SECONDS = 12 * 3600


class InvalidTokenError(Exception):
    """The bearer token is missing, malformed, expired or not signed with the dev secret."""


def issue_token(
    secret: str, *, tenant_id: str, user_id: str, role: str, ttl_seconds: int = DEFAULT_TTL_SECONDS
) -> str:
    now = int(time.time())
    claims = {
        "sub": user_id,
        "custom:tenant_id": tenant_id,
        "custom:role": role,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(secret: str, token: str) -> dict[str, Any]:
    """Raises InvalidTokenError."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(str(exc)) from exc
    return claims
