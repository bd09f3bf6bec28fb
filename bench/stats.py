"""Every figure is the min and the median of repeated runs; a ratio divides two figures of one run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

Summary = dict[str, float]


def summary(values: Sequence[float], digits: int = 3) -> Summary:
    """{"min", "median", "runs"} of repeated measurements (the min is the least disturbed by the
    other jobs of a shared machine, the median says how typical it is)."""
    if not values:
        raise ValueError("a figure needs at least one run")
    return {"min": round(min(values), digits), "median": round(statistics.median(values), digits),
            "runs": len(values)}


def ratios(numerators: Sequence[float], denominators: Sequence[float], digits: int = 2) -> Summary:
    """Run-by-run ratios of two figures measured in the same runs, summarised."""
    return summary([a / b for a, b in zip(numerators, denominators, strict=True)], digits)


def interleaved(first: Callable[[], object], second: Callable[[], object], repeats: int
                ) -> tuple[list[float], list[float]]:
    """Seconds of `repeats` alternating calls of each, so that a load spike hits both alike,
    after one untimed call of each (first calls allocate and warm caches)."""
    first()
    second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for run, into in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            run()
            into.append(time.perf_counter() - start)
    return times


def summary_ratio(numerator: Summary, denominator: Summary, digits: int = 2) -> Summary:
    """min / min and median / median of two figures measured separately in the same bench run."""
    return {key: round(numerator[key] / denominator[key], digits) for key in ("min", "median")}
