"""Load the template catalog from YAML content (development) or a compiled JSON file (packaged).

Lambda functions load the compiled JSON, which needs no YAML parser and skips the semantic checks the
compile step already ran; ``yaml`` is imported only on the YAML path. Settings decide the source; this
module never reads the environment.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from workengine.catalog.problems import CatalogError, Problem, field_path
from workengine.domain.errors import TemplateNotFoundError
from workengine.domain.template import DocRegistry, WorkflowTemplate

COMPILED_CATALOG_NAME = "compiled_catalog.json"
PACKAGED_CATALOG = Path(__file__).resolve().parent / COMPILED_CATALOG_NAME
REPO_CONTENT_DIR = Path(__file__).resolve().parents[3] / "content"


@dataclass(frozen=True)
class TemplateCatalog:
    """The reviewed templates by id plus the doc registry they cite."""

    templates: dict[str, WorkflowTemplate] = field(default_factory=dict)
    docs: DocRegistry = field(default_factory=DocRegistry)

    def get(self, template_id: str) -> WorkflowTemplate | None:
        return self.templates.get(template_id)

    def require(self, template_id: str) -> WorkflowTemplate:
        """Raises TemplateNotFoundError for an id the catalog does not hold."""
        template = self.templates.get(template_id)
        if template is None:
            raise TemplateNotFoundError(template_id)
        return template

    def list(self) -> builtins.list[WorkflowTemplate]:
        """Every template, sorted by ``template_id``."""
        return [self.templates[key] for key in sorted(self.templates)]

    def __len__(self) -> int:
        return len(self.templates)


def load_catalog(content_dir: Path) -> TemplateCatalog:
    """Load and fully validate ``content_dir/templates/*.yaml`` and ``content_dir/docs.yaml``.

    Raises:
        CatalogError: any file fails to parse, fails the schema or fails a semantic check.
    """
    from workengine.catalog.validate import parse_content  # pulls in yaml only on this path

    parsed = parse_content(content_dir)
    if parsed.problems:
        raise CatalogError(parsed.problems)
    return TemplateCatalog(templates=dict(parsed.templates), docs=parsed.docs)


def compile_catalog(content_dir: Path) -> dict[str, Any]:
    """The JSON-ready compiled form of ``content_dir``: ``{"templates": [...], "docs": {...}}``.

    Raises:
        CatalogError: the content is invalid (see ``load_catalog``).
    """
    catalog = load_catalog(content_dir)
    return {
        "templates": [template.model_dump(mode="json") for template in catalog.list()],
        "docs": catalog.docs.model_dump(mode="json"),
    }


def load_compiled_catalog(path: Path) -> TemplateCatalog:
    """Load a catalog written from ``compile_catalog``.

    Raises:
        CatalogError: the file is unreadable, is not JSON, or a template fails the schema.
    """
    label = path.as_posix()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError([Problem(label, "", f"cannot read file: {exc.strerror or exc}")]) from exc
    except ValueError as exc:
        raise CatalogError([Problem(label, "", f"not valid JSON: {exc}")]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("templates"), list):
        raise CatalogError([Problem(label, "", "expected an object with a 'templates' list")])

    problems: list[Problem] = []
    templates: dict[str, WorkflowTemplate] = {}
    for index, raw in enumerate(data["templates"]):
        try:
            template = WorkflowTemplate.model_validate(raw)
        except ValidationError as exc:
            problems.extend(
                Problem(label, field_path(("templates", index, *error["loc"])), error["msg"])
                for error in exc.errors()
            )
            continue
        if template.template_id in templates:
            problems.append(
                Problem(label, f"templates[{index}].template_id", f"duplicate {template.template_id!r}")
            )
        templates[template.template_id] = template
    try:
        docs = DocRegistry.model_validate(data.get("docs") or {})
    except ValidationError as exc:
        problems.extend(
            Problem(label, field_path(("docs", *error["loc"])), error["msg"]) for error in exc.errors()
        )
        docs = DocRegistry()
    if problems:
        raise CatalogError(problems)
    return TemplateCatalog(templates=templates, docs=docs)


def find_content_dir(explicit: Path | None) -> Path | None:
    """Where the catalog comes from: ``explicit`` if given, else the packaged compiled catalog, else the
    repository's ``content/`` directory; None when none exists."""
    if explicit is not None:
        return explicit
    if PACKAGED_CATALOG.is_file():
        return PACKAGED_CATALOG
    if REPO_CONTENT_DIR.is_dir():
        return REPO_CONTENT_DIR
    return None


def load_catalog_from(source: Path) -> TemplateCatalog:
    """Load a compiled catalog (a ``.json`` file) or a YAML content directory.

    Raises:
        CatalogError: ``source`` does not exist or its content is invalid.
    """
    if source.is_dir():
        return load_catalog(source)
    if source.is_file():
        return load_compiled_catalog(source)
    raise CatalogError([Problem(source.as_posix(), "", "no such catalog file or content directory")])
