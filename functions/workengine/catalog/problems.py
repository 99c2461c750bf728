"""What content validation reports: one ``Problem`` per issue, and the error loading raises."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Discriminated unions put the tag into pydantic's error location; it means nothing to a template author.
_UNION_TAGS = frozenset({"manual", "schedule", "event"})


@dataclass(frozen=True, order=True)
class Problem:
    """One issue in one content file. ``field`` is a path like ``tasks[3].depends_on`` (may be empty)."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        location = f"{self.file}: {self.field}" if self.field else self.file
        return f"{location}: {self.message}"


class CatalogError(Exception):
    """The catalog could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        summary = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"invalid template catalog: {summary}{more}")


def field_path(loc: Iterable[int | str]) -> str:
    """Turn a pydantic error location into a field path: ``("tasks", 3, "key")`` -> ``tasks[3].key``."""
    path = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(previous, int) and part in _UNION_TAGS:
            pass
        else:
            path += f".{part}" if path else str(part)
        previous = part
    return path
