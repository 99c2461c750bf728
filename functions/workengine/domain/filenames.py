"""Upload filenames made safe for an S3 key and a ``Content-Disposition`` header (pure)."""

from __future__ import annotations

import re
import unicodedata

from workengine.domain.errors import ValidationFailedError

MAX_FILENAME_LENGTH = 120
_UNSAFE = re.compile(r"[^\w.\- ()+]", re.UNICODE)
_SPACES = re.compile(r"\s+")


def sanitise_filename(raw: str, max_length: int = MAX_FILENAME_LENGTH) -> str:
    """The last path component of ``raw`` with control characters removed, characters outside
    letters/digits/``._-()+`` and space replaced by ``_``, leading dots and spaces stripped (no hidden
    files, no ``..``), and the stem shortened so the whole name fits ``max_length`` (extension kept).

    Raises:
        ValidationFailedError: nothing usable is left (empty, ``..``, only separators or control chars).
    """
    text = unicodedata.normalize("NFC", raw)
    # Both separators count: a Windows client sends ``C:\\Users\\x\\report.pdf``.
    last = re.split(r"[/\\]", text)[-1]
    printable = "".join(ch for ch in last if unicodedata.category(ch)[0] != "C")
    cleaned = _SPACES.sub(" ", _UNSAFE.sub("_", printable)).strip().lstrip(". ").rstrip(". ")
    if not cleaned or set(cleaned) <= {"_"}:
        raise ValidationFailedError(
            "the filename has no usable characters once path parts and control characters are removed",
            {"field": "filename", "filename": raw[:200]},
        )
    if len(cleaned) > max_length:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and 0 < len(extension) <= 16 and stem:
            cleaned = stem[: max_length - len(extension) - 1].rstrip(". ") + "." + extension
        else:
            cleaned = cleaned[:max_length].rstrip(". ")
    return cleaned
