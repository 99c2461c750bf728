"""Bundle progress: stage follows the earliest phase with an open task; all closed → completed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from workengine.domain.entities import Bundle, Task
from workengine.domain.enums import BundleStatus
from workengine.domain.errors import BundleClosedError

CLOSED_STATUSES = frozenset({BundleStatus.CANCELLED, BundleStatus.ARCHIVED})


def require_open(bundle: Bundle) -> None:
    """Raises BundleClosedError for a cancelled or archived bundle: it, its tasks, comments, artifacts and
    jobs are read-only (the one exception, an admin's status change, is the bundle service's)."""
    if bundle.status in CLOSED_STATUSES:
        raise BundleClosedError(bundle.bundle_id, bundle.status.value)


def derive_progress(phase_order: Sequence[str], tasks: Iterable[Task]) -> tuple[str, BundleStatus]:
    """Return ``(stage, status)`` for a bundle whose tasks are ``tasks``.

    Phases are ordered as the template declares them; a bundle with no open task is ``completed`` and
    keeps its last phase as stage.
    """
    rank = {phase: index for index, phase in enumerate(phase_order)}
    open_phases = [t.phase for t in tasks if t.is_open]
    if not open_phases:
        return phase_order[-1], BundleStatus.COMPLETED
    earliest = min(open_phases, key=lambda phase: rank.get(phase, len(rank)))
    return earliest, BundleStatus.ACTIVE
