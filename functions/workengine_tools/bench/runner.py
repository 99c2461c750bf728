"""Runs every figure in one process, prints the tables and optionally writes JSON."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workengine_tools.bench import report
from workengine_tools.bench.figure import BenchConfig, Figure, verdict

FIGURE_KEYS = ("requests", "latency", "imports", "sweep", "sweep_scale", "export", "attention", "email")
DEFAULT_ITERATIONS = 30
ATTENTION_TITLE = "GET /attention: requests and items read at growing tenant sizes, the caller's work fixed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (few samples, small scales)")
    parser.add_argument("--json", dest="json_path", type=Path, default=None, help="also write JSON here")
    parser.add_argument(
        "--markdown",
        dest="markdown_path",
        type=Path,
        default=None,
        help="also write docs/benchmarks.md-style",
    )
    parser.add_argument(
        "--iterations", type=int, default=DEFAULT_ITERATIONS, help="handler calls per operation"
    )
    parser.add_argument(
        "--sweep-100k",
        dest="sweep_large",
        action="store_true",
        help="the sweep-scale figure also at 100,000 due (several minutes on moto)",
    )
    parser.add_argument("--import-runs", type=int, default=7, help="fresh interpreters per module (>= 5)")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when any measured goal is missed"
    )
    parser.add_argument(
        "--only", choices=FIGURE_KEYS, action="append", default=None, help="run only these figures"
    )


def config_from(args: argparse.Namespace) -> BenchConfig:
    scales = (200, 1_000) if args.quick else (1_000, 10_000, 50_000)
    return BenchConfig(
        quick=args.quick,
        iterations=max(1, args.iterations),
        import_runs=max(5, args.import_runs),
        scales=scales,
        sweep_large=getattr(args, "sweep_large", False),
    )


def run_figures(config: BenchConfig, only: Sequence[str] | None = None) -> list[Figure]:
    """Figures that need the in-process backend share one; each later figure builds its own data."""
    from workengine_tools.bench import (
        attention_measure,
        dynamodb_requests,
        email_bench,
        export_throughput,
        imports,
        latency,
        sweep_reads,
        sweep_scale_figure,
    )
    from workengine_tools.bench.harness import BenchBackend

    wanted = set(only or FIGURE_KEYS)
    figures: list[Figure] = []
    if wanted & {"requests", "latency"}:
        with BenchBackend() as backend:
            if "requests" in wanted:
                figures.append(dynamodb_requests.measure(config, backend))
            if "latency" in wanted:
                figures.append(latency.measure(config, backend))
    standalone: list[tuple[str, Callable[[BenchConfig], Figure]]] = [
        ("imports", imports.measure),
        ("sweep", sweep_reads.measure),
        ("sweep_scale", sweep_scale_figure.measure),
        ("export", export_throughput.measure),
        ("attention", lambda c: attention_measure.measure(c, ATTENTION_TITLE)),
        ("email", email_bench.measure),
    ]
    for key, measure in standalone:
        if key in wanted:
            figures.append(measure(config))
    return figures


def as_json(figures: list[Figure], config: BenchConfig, seconds: float) -> dict[str, Any]:
    return {
        "machine": report.machine(),
        "config": {"quick": config.quick, "iterations": config.iterations, "scales": list(config.scales)},
        "seconds": round(seconds, 1),
        "figures": {figure.key: figure.as_json() for figure in figures},
    }


def command_line(args: argparse.Namespace) -> str:
    parts = ["scripts/bench"]
    if args.quick:
        parts.append("--quick")
    if args.iterations != DEFAULT_ITERATIONS:
        parts.append(f"--iterations {args.iterations}")
    if getattr(args, "sweep_large", False):
        parts.append("--sweep-100k")
    parts.extend(f"--only {key}" for key in args.only or [])
    return " ".join(parts)


def as_markdown(figures: list[Figure], command: str, seconds: float) -> str:
    info = report.machine()
    lines = [
        "# Benchmarks",
        "",
        "Latest figures of `scripts/bench` (also `workengine bench`), measured side by side in one run on",
        "moto in-process. Regenerate with the command below (add `--markdown docs/benchmarks.md`).",
        "",
        f"- command: `{command}` ({seconds:.0f} s)",
        f"- machine: {info['nproc']} CPUs (`nproc`), `{info['machine']}` (`uname -m`),"
        f" Python {info['python']}, {info['platform']}",
        "",
    ]
    for figure in figures:
        lines.extend([report.render(figure, markdown=True), ""])
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    started = time.perf_counter()
    figures = run_figures(config, args.only)
    elapsed = time.perf_counter() - started
    info = report.machine()
    print(f"work engine benchmark  ({info['nproc']} CPUs, {info['machine']}, Python {info['python']})")
    for figure in figures:
        print()
        print(report.render(figure))
    marks = {figure.title: verdict(figure) for figure in figures if verdict(figure)}
    missed = [title for title, mark in marks.items() if mark == "MISS"]
    print(f"\n({elapsed:.1f} s)  goals: {len(marks) - len(missed)} PASS, {len(missed)} MISS")
    for title in missed:
        print(f"  MISS: {title}")
    if args.markdown_path:
        args.markdown_path.parent.mkdir(parents=True, exist_ok=True)
        args.markdown_path.write_text(as_markdown(figures, command_line(args), elapsed))
        print(f"wrote {args.markdown_path}")
    if args.json_path:
        args.json_path.parent.mkdir(parents=True, exist_ok=True)
        args.json_path.write_text(json.dumps(as_json(figures, config, elapsed), indent=2) + "\n")
        print(f"wrote {args.json_path}")
    return 1 if args.check and missed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workengine bench", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
