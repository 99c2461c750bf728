"""What the ``templates`` commands share: where the template YAML is read from, how problems are printed,
and the exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

from workengine.catalog.loader import REPO_CONTENT_DIR, find_content_dir
from workengine.catalog.problems import Problem

EXIT_OK = 0
EXIT_PROBLEMS = 1


def resolve_source(path: Path | None) -> Path | None:
    """The content directory to read: ``path``, else the repository's, else a packaged one (None, with
    the error printed, when there is none)."""
    # Authors validate the YAML they edit, so the repository's content/ wins over a packaged build.
    source = path or (REPO_CONTENT_DIR if REPO_CONTENT_DIR.is_dir() else find_content_dir(None))
    if source is None:
        print("error: no content directory found; pass PATH", file=sys.stderr)
    return source


def print_problems(problems: list[Problem]) -> None:
    """Each problem on stderr, then their count."""
    for problem in problems:
        print(str(problem), file=sys.stderr)
    print(f"{len(problems)} problem(s) found", file=sys.stderr)
