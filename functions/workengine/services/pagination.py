"""Opaque, signed pagination tokens bound to the tenant and the query they came from."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from workengine.domain.errors import ValidationFailedError
from workengine.domain.paging import Cursor


class PageTokenCodec:
    """Encodes a storage cursor as ``payload.signature``; the signature covers tenant and scope, so a
    token forged, altered, or taken from another tenant or another listing is refused."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _sign(self, tenant_id: str, scope: str, payload: str) -> str:
        message = f"{tenant_id}\n{scope}\n{payload}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def encode(self, tenant_id: str, scope: str, cursor: Cursor | None) -> str | None:
        if cursor is None:
            return None
        payload = base64.urlsafe_b64encode(json.dumps(cursor, separators=(",", ":")).encode()).decode()
        return f"{payload}.{self._sign(tenant_id, scope, payload)}"

    def decode(self, token: str | None, tenant_id: str, scope: str) -> Cursor | None:
        """Raises ValidationFailedError (422) for a token that was not issued for this tenant and query."""
        if not token:
            return None
        payload, _, signature = token.partition(".")
        expected = self._sign(tenant_id, scope, payload).encode()
        # bytes: compare_digest raises TypeError on str with non-ASCII characters (a forged token)
        if not signature or not hmac.compare_digest(signature.encode("utf-8", "replace"), expected):
            raise ValidationFailedError("next_token is not valid for this request", {"field": "next_token"})
        try:
            cursor = json.loads(base64.urlsafe_b64decode(payload.encode()))
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailedError("next_token is malformed", {"field": "next_token"}) from exc
        if not isinstance(cursor, dict) or not all(isinstance(v, str) for v in cursor.values()):
            raise ValidationFailedError("next_token is malformed", {"field": "next_token"})
        return {str(k): v for k, v in cursor.items()}
