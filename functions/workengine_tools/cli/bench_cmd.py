"""``workengine bench``: the benchmark figures (same as ``scripts/bench``)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from workengine_tools.bench.runner import add_arguments

    parser = subparsers.add_parser("bench", help="measure requests, latency, cold imports on moto")
    add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workengine_tools.bench.runner import run as run_bench

    return run_bench(args)
