"""Plain-text tables for the terminal and for ``docs/benchmarks.md``."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from workengine_tools.bench.figure import Figure, verdict


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else "n/a"
    return str(value)


def render(figure: Figure, markdown: bool = False) -> str:
    lines = [f"## {figure.title}" if markdown else f"== {figure.title}"]
    if figure.goal:
        mark = verdict(figure)
        lines.append(f"goal: {figure.goal}" + (f"  [{mark}]" if mark else ""))
    if figure.available and figure.columns:
        cells = [[_cell(row.get(column, "")) for column in figure.columns] for row in figure.rows]
        if markdown:
            lines.append("")
            lines.append("| " + " | ".join(figure.columns) + " |")
            lines.append("|" + "|".join(" --- " for _ in figure.columns) + "|")
            lines.extend("| " + " | ".join(row) + " |" for row in cells)
        else:
            widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(figure.columns)]
            lines.append("  ".join(c.ljust(w) for c, w in zip(figure.columns, widths, strict=True)))
            lines.append("  ".join("-" * w for w in widths))
            lines.extend("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells)
    if markdown and figure.notes:
        lines.append("")
    lines.extend(f"- {note}" if markdown else f"  {note}" for note in figure.notes)
    return "\n".join(lines)
