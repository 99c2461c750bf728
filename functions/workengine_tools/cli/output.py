"""How commands report: one summary on stdout (readable lines, or one JSON document with ``--json``);
progress and logs on stderr, with a live display (rich) only when stderr is a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

JSON_HELP = "print one machine-readable JSON summary on stdout (progress and logs go to stderr)"
ENDPOINT_HELP = "AWS endpoint URL, e.g. the local server's moto backend (default: AWS_ENDPOINT_URL or AWS)"


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def add_endpoint_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint-url", metavar="URL", help=ENDPOINT_HELP)


def emit(as_json: bool, summary: dict[str, Any], lines: Sequence[str]) -> None:
    """The command's one result on stdout."""
    if as_json:
        print(json.dumps(summary, default=str, sort_keys=True))
    else:
        for line in lines:
            print(line)


def note(message: str) -> None:
    """A log line for people: stderr, so stdout stays the result."""
    print(message, file=sys.stderr)


def on_terminal() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress(label: str, unit: str = "records") -> Iterator[Callable[[int], None]]:
    """A ``count -> None`` callback: a live counter on stderr when it is a terminal, silent otherwise."""
    if not on_terminal():
        yield lambda count: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(file=sys.stderr, force_terminal=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn(f"{{task.completed}} {unit}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda count: bar.update(task, completed=count)


@contextmanager
def working(label: str) -> Iterator[None]:
    """A spinner on stderr while work without a count runs (terminal only)."""
    if not on_terminal():
        yield
        return
    from rich.console import Console

    with Console(file=sys.stderr, force_terminal=True).status(label):
        yield
