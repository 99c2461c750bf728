"""``workengine templates validate|schema|compile``: author tooling for the template catalog."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workengine.catalog.loader import load_compiled_catalog
from workengine.catalog.problems import CatalogError
from workengine.domain.template import WorkflowTemplate
from workengine_tools.cli.template_source import EXIT_OK, EXIT_PROBLEMS, print_problems, resolve_source


def register(subparsers: Any) -> None:
    """Add the ``templates`` command group to the top-level parser's ``subparsers``."""
    templates = subparsers.add_parser("templates", help="validate, describe and compile workflow templates")
    commands = templates.add_subparsers(dest="templates_command", required=True)

    validate = commands.add_parser(
        "validate", help="check every template under content/ (or PATH); exit 1 on any problem"
    )
    validate.add_argument("path", nargs="?", type=Path, help="content directory or compiled catalog JSON")
    validate.set_defaults(func=run_validate)

    from workengine_tools.cli.simulate_cmd import add_parser as add_simulate

    add_simulate(commands)

    schema = commands.add_parser("schema", help="print the JSON Schema of a workflow template")
    schema.set_defaults(func=run_schema)

    compile_ = commands.add_parser(
        "compile", help="write the compiled catalog JSON that Lambda functions load"
    )
    compile_.add_argument("path", nargs="?", type=Path, help="content directory (default: the repository's)")
    compile_.add_argument("--out", type=Path, help="output file (default: stdout)")
    compile_.set_defaults(func=run_compile)


def run_validate(args: argparse.Namespace) -> int:
    from workengine.catalog.example_runs import catalog_example_problems
    from workengine.catalog.validate import parse_content

    source = resolve_source(args.path)
    if source is None:
        return EXIT_PROBLEMS
    if source.is_file():
        try:
            templates = load_compiled_catalog(source).list()
        except CatalogError as exc:
            print_problems(exc.problems)
            return EXIT_PROBLEMS
        labelled = [(template, f"{source.name}: {template.template_id}") for template in templates]
    else:
        parsed = parse_content(source)
        if parsed.problems:
            print_problems(parsed.problems)
            return EXIT_PROBLEMS
        labelled = [(template, parsed.files[template.template_id]) for template in parsed.templates.values()]
    # Every example runs through the simulation (templates simulate): its problems fail validation too.
    problems = catalog_example_problems(labelled)
    if problems:
        print_problems(problems)
        return EXIT_PROBLEMS
    runs = sum(len(template.examples) for template, _ in labelled)
    print(f"OK: {len(labelled)} templates valid, {runs} example runs simulated without problems")
    return EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    print(json.dumps(WorkflowTemplate.model_json_schema(), indent=2, sort_keys=True))
    return EXIT_OK


def run_compile(args: argparse.Namespace) -> int:
    from workengine.catalog.loader import compile_catalog

    source = resolve_source(args.path)
    if source is None:
        return EXIT_PROBLEMS
    if not source.is_dir():
        print(f"error: {source} is not a content directory", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        compiled = compile_catalog(source)
    except CatalogError as exc:
        print_problems(exc.problems)
        return EXIT_PROBLEMS
    text = json.dumps(compiled, indent=2, sort_keys=True) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {len(compiled['templates'])} templates to {args.out}", file=sys.stderr)
    return EXIT_OK
