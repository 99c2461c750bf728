from __future__ import annotations

import pytest

from workengine.domain.errors import ValidationFailedError
from workengine.domain.filenames import MAX_FILENAME_LENGTH, sanitise_filename
from workengine.services.artifact_service import artifact_key, parse_artifact_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\Users\\mia\\Q3 report.pdf", "Q3 report.pdf"),
        ("evil\x00name\r\n.pdf", "evilname.pdf"),
        ("\u202egpj.exe", "gpj.exe"),  # right-to-left override removed
        (".hidden", "hidden"),
        ("a  b\tc.txt", "a bc.txt"),  # runs of spaces collapse; a tab is a control char
        ('quote"and<tags>.csv', "quote_and_tags_.csv"),
        ("résumé.pdf", "résumé.pdf"),
    ],
)
def test_sanitise_filename(raw: str, expected: str) -> None:
    assert sanitise_filename(raw) == expected


@pytest.mark.parametrize("raw", ["", "..", "../", "a/..", "\x00\x01", "///", "...", "<>"])
def test_unusable_filenames_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        sanitise_filename(raw)
    assert caught.value.code == "VALIDATION_ERROR" and caught.value.details["field"] == "filename"


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = sanitise_filename("x" * 500 + ".pdf")
    assert len(name) == MAX_FILENAME_LENGTH and name.endswith(".pdf")


def test_artifact_key_round_trip_and_foreign_keys() -> None:
    key = artifact_key("acme", "b_1", "art_1", "signed report.pdf")
    parts = parse_artifact_key(key)
    assert parts is not None and (parts.tenant_id, parts.bundle_id, parts.artifact_id) == (
        "acme",
        "b_1",
        "art_1",
    )
    assert parse_artifact_key("tenants/acme/bundles/b_1/artifacts/art_1/signed+report.pdf") == parts
    assert parse_artifact_key("exports/acme/manifest.json") is None
    assert parse_artifact_key("tenants//bundles/b/artifacts/a/f") is None
