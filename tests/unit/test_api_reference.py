"""docs/api.md documents exactly the routes of the OpenAPI document; the README and docs link only to
files inside the repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

from workengine.handlers.api.app import app

ROOT = Path(__file__).resolve().parents[2]
ROUTE_HEADING = re.compile(r"^### (GET|POST|PUT|PATCH|DELETE) (/\S*)\s*$", re.MULTILINE)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_api_reference_and_openapi_document_list_the_same_routes() -> None:
    document = json.loads(app.get_openapi_json_schema())
    served = {f"{m.upper()} {p}" for p, ops in document["paths"].items() for m in ops}
    documented = [f"{m} {p}" for m, p in ROUTE_HEADING.findall((ROOT / "docs" / "api.md").read_text())]

    assert len(documented) == len(set(documented)), "a route is documented twice in docs/api.md"
    assert sorted(served - set(documented)) == [], "in the OpenAPI document, missing from docs/api.md"
    assert sorted(set(documented) - served) == [], "in docs/api.md, not in the OpenAPI document"


def test_api_reference_covers_authentication_errors_pagination_and_idempotency() -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    for section in ("## Authentication", "## Errors", "## Pagination", "## Idempotency"):
        assert section in text
    assert "workengine token" in text and "curl" in text
    for code in json.loads(app.get_openapi_json_schema())["components"]["schemas"]["ErrorCode"]["enum"]:
        assert f"`{code}`" in text, f"error code {code} is not explained in docs/api.md"


def test_readme_and_docs_link_only_inside_the_repository() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(page.read_text()):
            if re.match(r"^[a-z]+://", target):
                continue
            resolved = (page.parent / target).resolve()
            assert resolved.is_relative_to(ROOT) and resolved.exists(), f"{page.name}: {target}"
        assert "../shared" not in page.read_text(), page.name
