"""PUT of bytes to a presigned S3 upload URL, as a client does (the showcases upload their evidence
through the same flow as users)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping

from workengine.domain.errors import ServiceUnavailableError

UPLOAD_TIMEOUT_SECONDS = 30


class HttpObjectUploader:
    def put(self, url: str, headers: Mapping[str, str], data: bytes) -> str | None:
        """The stored object's version ID (None when the bucket is not versioned). Raises
        ServiceUnavailableError when the store refuses or cannot be reached."""
        if not url.startswith(("https://", "http://")):
            raise ServiceUnavailableError("the upload URL is not an HTTP URL")
        request = urllib.request.Request(url, data=data, method="PUT", headers=dict(headers))
        try:
            with urllib.request.urlopen(request, timeout=UPLOAD_TIMEOUT_SECONDS) as response:
                response.read()
                version = response.headers.get("x-amz-version-id")
        except (urllib.error.URLError, TimeoutError) as exc:
            raise ServiceUnavailableError(f"the artifact store refused the upload: {exc}") from exc
        return str(version) if version and version != "null" else None
