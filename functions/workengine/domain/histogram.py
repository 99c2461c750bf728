"""Durations in days counted in fixed, log-spaced buckets, and percentiles read back from the counts.

Nothing stores individual samples: a histogram is a map bucket index -> count, so histograms of several
runs merge by adding counts (DynamoDB ``ADD`` keeps them incrementally). Bucket 0 holds everything under
one hour; bucket ``i >= 1`` holds ``[EDGES[i-1], EDGES[i])`` where ``EDGES[k] = FIRST_EDGE * RATIO**k``;
the last bucket is open-ended (at or beyond ``EDGES[-1]`` days). A percentile is reported as the
geometric midpoint of the bucket holding it, so for durations between one hour and ``EDGES[-1]`` days
it is within a factor ``sqrt(RATIO)`` (about +/-9%) of the exact nearest-rank percentile.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

FIRST_EDGE = 1 / 24  # one hour, in days
RATIO = 2 ** (1 / 4)  # four buckets per doubling
# 1 hour * 2**(58/4) = 23,170 hours, about 965 days: anything longer shares the last bucket.
EDGE_COUNT = 59
EDGES: tuple[float, ...] = tuple(FIRST_EDGE * RATIO**k for k in range(EDGE_COUNT))
BUCKET_COUNT = EDGE_COUNT + 1
# The largest relative distance between a reported percentile and the true one, inside the bucketed range.
RELATIVE_ERROR = math.sqrt(RATIO) - 1


def bucket_of(days: float) -> int:
    """The bucket index of a duration; negative durations (clock skew) count as zero."""
    if days < FIRST_EDGE:
        return 0
    index = min(math.floor(math.log(days / FIRST_EDGE, RATIO)) + 1, EDGE_COUNT)
    # floating point may land one off near an edge: settle it against the edges themselves
    while index > 1 and days < EDGES[index - 1]:
        index -= 1
    while index < EDGE_COUNT and days >= EDGES[index]:
        index += 1
    return min(index, EDGE_COUNT)


def representative(bucket: int) -> float:
    """The value reported for a percentile falling into ``bucket``: its geometric midpoint (half an hour
    for bucket 0, the lower edge for the open-ended last bucket)."""
    if bucket <= 0:
        return FIRST_EDGE / 2
    if bucket >= EDGE_COUNT:
        return EDGES[-1]
    return math.sqrt(EDGES[bucket - 1] * EDGES[bucket])


def percentile(counts: Mapping[int, int], fraction: float) -> float | None:
    """The nearest-rank ``fraction`` percentile (0 < fraction <= 1) of the counted durations, as the
    representative of its bucket; None when nothing is counted. Negative counts (a bucket briefly
    behind while a change and its reversal are in flight) count as zero."""
    total = sum(max(count, 0) for count in counts.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for bucket in sorted(counts):
        seen += max(counts[bucket], 0)
        if seen >= rank:
            return representative(bucket)
    return representative(max(counts))
