"""``workengine`` console script: one sub-command module per concern, each exposing ``register``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module defines ``register(subparsers) -> None`` and sets ``func`` on its parser(s).
# Imported lazily so that ``workengine templates validate`` does not pay for moto or boto3.
COMMAND_MODULES: tuple[str, ...] = (
    "workengine_tools.cli.templates_cmd",
    "workengine_tools.cli.serve_cmd",
    "workengine_tools.cli.token_cmd",
    "workengine_tools.cli.export_cmd",
    "workengine_tools.cli.sweep_cmd",
    "workengine_tools.cli.events_cmd",
    "workengine_tools.cli.seed_cmd",
    "workengine_tools.cli.bench_cmd",
)


def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("workengine")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workengine", description="work engine: tracked business workflows")
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command. An AWS or service failure prints one line and exits 1, never a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError

    from workengine.domain.errors import WorkEngineError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        operation = getattr(exc, "operation_name", "request")
        print(f"error: AWS {operation} failed: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
        return 1
    except BotoCoreError as exc:
        print(f"error: AWS: {exc}", file=sys.stderr)
        return 1
    except WorkEngineError as exc:
        if isinstance(exc.__cause__, BotoCoreError):  # AWS did not answer: its reason helps an operator more
            print(f"error: AWS: {exc.__cause__} ({exc.code})", file=sys.stderr)
        else:
            print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
