"""Export manifest signatures: only this deployment's key over these exact bytes verifies."""

from __future__ import annotations

import hashlib
import hmac

from workengine.domain.export_signing import ManifestSignature, ManifestSigner, SignatureStatus

SECRET = "deployment-secret-0123456789abcdef"
MANIFEST = b'{"format_version": 1, "tenant_id": "acme"}\n'


def test_a_signature_verifies_only_for_the_same_key_and_bytes() -> None:
    signer = ManifestSigner(SECRET)
    signature = signer.sign(MANIFEST)

    assert signer.verify(MANIFEST, signature) is SignatureStatus.VALID
    assert signer.verify(MANIFEST.replace(b"acme", b"acmf"), signature) is SignatureStatus.INVALID
    assert ManifestSigner(SECRET + "x").verify(MANIFEST, signature) is SignatureStatus.INVALID
    assert signer.verify(MANIFEST, None) is SignatureStatus.MISSING
    other_algorithm = signature.model_copy(update={"algorithm": "none"})
    assert signer.verify(MANIFEST, other_algorithm) is SignatureStatus.INVALID


def test_the_export_key_is_derived_and_never_shown() -> None:
    signature = ManifestSigner(SECRET).sign(MANIFEST)

    # The MAC key is not the secret itself (the secret also signs next_token values) ...
    assert signature.signature != hmac.new(SECRET.encode(), MANIFEST, hashlib.sha256).hexdigest()
    # ... and the key ID is a fingerprint that reveals neither
    assert SECRET not in signature.model_dump_json() and len(signature.key_id) == 16
    assert ManifestSignature.model_validate_json(signature.model_dump_json()) == signature
