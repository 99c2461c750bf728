"""Validate a ``content/`` directory: YAML syntax, the template schema, and the semantic checks.

``validate_content`` never raises for bad content; it returns one ``Problem`` per issue, so an author
sees every mistake at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from workengine.catalog.checks import check_doc_registry, check_template
from workengine.catalog.problems import Problem, field_path
from workengine.domain.template import DocRegistry, WorkflowTemplate

M = TypeVar("M", bound=BaseModel)

TEMPLATES_DIR = "templates"
DOCS_FILE = "docs.yaml"


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.safe_load`` semantics, except that a repeated mapping key is an error, not an overwrite."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


@dataclass
class ParsedContent:
    """What a content directory holds: valid templates by id, the doc registry, and every problem."""

    templates: dict[str, WorkflowTemplate] = field(default_factory=dict)
    docs: DocRegistry = field(default_factory=DocRegistry)
    problems: list[Problem] = field(default_factory=list)
    docs_valid: bool = True
    files: dict[str, str] = field(default_factory=dict)  # template id -> file label


def read_yaml(path: Path, label: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML file; a syntax error or unreadable file becomes a ``Problem``."""
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_UniqueKeyLoader), []
    except OSError as exc:
        return None, [Problem(label, "", f"cannot read file: {exc.strerror or exc}")]
    except UnicodeDecodeError as exc:
        return None, [Problem(label, "", f"not UTF-8 text: {exc.reason}")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return None, [Problem(label, "", f"YAML error: {exc.problem}{where}")]
    except yaml.YAMLError as exc:
        return None, [Problem(label, "", f"YAML error: {exc}")]


def schema_problems(exc: ValidationError, label: str) -> list[Problem]:
    """One ``Problem`` per pydantic error, located by field path."""
    return [Problem(label, field_path(error["loc"]), error["msg"]) for error in exc.errors()]


def _validate_model(model: type[M], data: Any, label: str) -> tuple[M | None, list[Problem]]:
    if not isinstance(data, dict):
        return None, [Problem(label, "", "top level must be a mapping")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, schema_problems(exc, label)


def _read_docs(content_dir: Path, result: ParsedContent) -> None:
    path = content_dir / DOCS_FILE
    label = _label(content_dir, path)
    if not path.exists():
        return
    data, problems = read_yaml(path, label)
    docs: DocRegistry | None = None
    if not problems:
        docs, problems = _validate_model(DocRegistry, data, label)
    result.problems.extend(problems)
    result.docs_valid = docs is not None
    if docs is not None:
        result.docs = docs
        result.problems.extend(check_doc_registry(docs, label))


def _read_template(content_dir: Path, path: Path, result: ParsedContent, files: dict[str, str]) -> None:
    label = _label(content_dir, path)
    data, problems = read_yaml(path, label)
    template: WorkflowTemplate | None = None
    if not problems:
        template, problems = _validate_model(WorkflowTemplate, data, label)
    result.problems.extend(problems)
    if template is None:
        return
    template_id = template.template_id
    if path.stem != template_id:
        result.problems.append(
            Problem(label, "template_id", f"{template_id!r} does not match the file name {path.name!r}")
        )
    if template_id in files:
        result.problems.append(
            Problem(
                label, "template_id", f"duplicate template id {template_id!r} (also in {files[template_id]})"
            )
        )
        return
    files[template_id] = label
    semantic = check_template(template, result.docs if result.docs_valid else None, label)
    result.problems.extend(semantic)
    if not semantic:
        result.templates[template_id] = template


def _label(content_dir: Path, path: Path) -> str:
    """How a file is named in problems: relative to the content directory's parent (``content/...``)."""
    try:
        return path.relative_to(content_dir.parent).as_posix()
    except ValueError:
        return path.as_posix()


def parse_content(content_dir: Path) -> ParsedContent:
    """Read ``docs.yaml`` and ``templates/*.yaml`` under ``content_dir``.

    Only templates without problems land in ``templates``; never raises for bad content.
    """
    result = ParsedContent()
    label = _label(content_dir, content_dir)
    if not content_dir.is_dir():
        result.problems.append(Problem(label, "", "content directory not found"))
        return result
    _read_docs(content_dir, result)
    templates_dir = content_dir / TEMPLATES_DIR
    for stray in sorted(templates_dir.glob("*.yml")):
        result.problems.append(Problem(_label(content_dir, stray), "", "template files must end in .yaml"))
    paths = sorted(templates_dir.glob("*.yaml"))
    if not paths:
        result.problems.append(Problem(_label(content_dir, templates_dir), "", "no templates (*.yaml) found"))
    for path in paths:
        _read_template(content_dir, path, result, result.files)
    return result


def validate_content(content_dir: Path) -> list[Problem]:
    """Every problem of the content under ``content_dir`` (empty when it is valid)."""
    return parse_content(content_dir).problems
