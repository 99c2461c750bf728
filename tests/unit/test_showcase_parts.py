"""The pure parts of showcases: generated documents, the controlled clock, names, the scripted assistant."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from workengine.domain.showcase import SHOWCASE_NAMES, expand
from workengine.services.assistant_providers import LocalAssistantProvider
from workengine.services.showcases.documents import pdf_document, png_image
from workengine.services.showcases.provider import ScriptedAssistantProvider
from workengine.services.showcases.stage import SeedClock

LIMIT = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def test_the_pdf_has_a_cross_reference_table_that_points_at_each_object() -> None:
    document = pdf_document("Permit (rev 2) \\ é", ["Clause 7.2", "Signed"])
    assert document.startswith(b"%PDF-1.4\n") and document.endswith(b"%%EOF\n")
    startxref = int(re.search(rb"startxref\n(\d+)\n", document).group(1))  # type: ignore[union-attr]
    assert document[startxref:].startswith(b"xref\n0 6\n")
    offsets = [int(line[:10]) for line in document[startxref:].split(b"\n")[3:8]]
    for number, offset in enumerate(offsets, start=1):
        assert document[offset:].startswith(b"%d 0 obj" % number)
    assert b"(Permit \\(rev 2\\) \\\\ \xe9) Tj" in document  # escaped, Latin-1


def test_the_png_chunks_check_out_and_decode_to_the_stripes() -> None:
    image = png_image(4, 2, [(255, 0, 0), (0, 0, 255)])
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(image):
        (length,) = struct.unpack(">I", image[position : position + 4])
        kind, data = image[position + 4 : position + 8], image[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", image[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
        chunks[kind] = data
        position += 12 + length
    assert struct.unpack(">II", chunks[b"IHDR"][:8]) == (4, 2)
    rows = zlib.decompress(chunks[b"IDAT"])
    assert rows[:13] == b"\x00" + bytes([255, 0, 0]) * 2 + bytes([0, 0, 255]) * 2


def test_the_clock_moves_forward_only_and_never_past_its_limit() -> None:
    clock = SeedClock(LIMIT)
    clock.start(LIMIT - timedelta(days=120))
    assert clock() == LIMIT - timedelta(days=120)
    assert clock.set(LIMIT - timedelta(days=100)) == LIMIT - timedelta(days=100)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.set(LIMIT - timedelta(days=101))
    assert clock.set(LIMIT + timedelta(days=3)) == LIMIT  # never a record from the future


def test_all_expands_to_every_showcase_and_unknown_names_are_refused() -> None:
    assert expand("all") == SHOWCASE_NAMES == ("ev-charging", "global-hcm", "renewal-journey")
    assert expand("global-hcm") == ("global-hcm",)
    with pytest.raises(ValueError, match="unknown showcase 'everything'"):
        expand("everything")


def test_the_scripted_assistant_takes_scripted_values_in_turn_and_the_rest_from_the_local_one() -> None:
    schema = {
        "type": "object",
        "properties": {
            "risk_level": {"type": "string", "enum": ["low", "medium", "high"]},
            "summary": {"type": "string"},
        },
        "required": ["risk_level", "summary"],
    }
    provider = ScriptedAssistantProvider({"risk_level": ["medium", "high"]})
    first, second, third = (provider.generate("Assess", schema) for _ in range(3))
    assert [first["risk_level"], second["risk_level"], third["risk_level"]] == ["medium", "high", "high"]
    assert first["summary"] == LocalAssistantProvider().generate("Assess", schema)["summary"]
    other = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
    assert "risk_level" not in provider.generate("Other", other)
