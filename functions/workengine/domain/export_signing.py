"""Signatures of exports: an HMAC-SHA256 over the exact bytes of ``manifest.json``, which holds the
SHA-256 of every other file (and of every binary), so one signature covers the whole export.

The key is derived from a server-side secret (the stack's signing secret) with a purpose label, so the
same secret never yields the same MAC for two purposes. Pure: no AWS, no files.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

SIGNATURE_FILE = "manifest.sig"
SIGNATURE_ALGORITHM = "HMAC-SHA256"
_PURPOSE = b"workengine export manifest v1"


class SignatureStatus(StrEnum):
    VALID = "valid"
    MISSING = "missing"  # no manifest.sig: made by hand, or by a tool without the server's key
    INVALID = "invalid"  # signed, but not by this deployment's key or not over this manifest


class ManifestSignature(BaseModel):
    """The content of ``manifest.sig``. ``key_id`` names the key (a fingerprint, not the key)."""

    model_config = ConfigDict(defer_build=True)

    algorithm: str = SIGNATURE_ALGORITHM
    key_id: str
    signature: str


class ManifestSigner:
    """Signs and verifies manifests with a key derived from ``secret``."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
        self.key_id = hashlib.sha256(self._key).hexdigest()[:16]

    def sign(self, manifest_bytes: bytes) -> ManifestSignature:
        mac = hmac.new(self._key, manifest_bytes, hashlib.sha256).hexdigest()
        return ManifestSignature(key_id=self.key_id, signature=mac)

    def verify(self, manifest_bytes: bytes, signature: ManifestSignature | None) -> SignatureStatus:
        if signature is None:
            return SignatureStatus.MISSING
        if signature.algorithm != SIGNATURE_ALGORITHM:
            return SignatureStatus.INVALID
        expected = self.sign(manifest_bytes).signature
        ok = hmac.compare_digest(expected, signature.signature)
        return SignatureStatus.VALID if ok else SignatureStatus.INVALID
