"""Figure 3: batch throughput, N copies of an assignment's sample submissions graded at several -j.

Submissions per minute from the wall time of the whole command (startup and reports included), and
the scaling curve: each -j's rate over the rate at the smallest -j of the same round. The samples
include the hostile ones (an infinite loop waits out its call deadline, a crash costs a worker), so
the mix is slower than a typical class. 300 submissions are projected at the best -j as the run's
one-time costs (startup and the class reports, measured in the same run) plus 300 times the time
per submission of the rest: a small batch's rate alone would charge its startup to every one.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.grade_run import grade
from bench.stats import ratios, summary
from bench.submissions import sample_batch

TARGET_300_MINUTES = 10.0  # the target: 300 autodiff submissions in under 10 minutes


def run(assignment: str, copies: int, jobs: Sequence[int], names: Sequence[str], repeats: int,
        workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    submissions = workdir / "submissions"
    expected = sample_batch(assignment, submissions, copies, names)
    walls: dict[int, list[float]] = {j: [] for j in jobs}
    fixed: dict[int, list[float]] = {j: [] for j in jobs}
    tree_peaks: dict[int, list[float]] = {j: [] for j in jobs}
    scores_as_expected = True
    for round_ in range(repeats):
        for j in jobs:
            result = grade(submissions, assignment, workdir / f"grades-j{j}-{round_}", j, env)
            walls[j].append(result.wall)
            fixed[j].append(result.startup + result.reports)
            tree_peaks[j].append(result.memory_mib["tree_peak_mib"])
            scores_as_expected &= result.raw == expected
    rates = {j: [len(expected) * 60 / wall for wall in walls[j]] for j in jobs}
    best = max(jobs, key=lambda j: statistics.median(rates[j]))
    minutes_for_300 = [(once + 300 * (wall - once) / len(expected)) / 60
                       for wall, once in zip(walls[best], fixed[best], strict=True)]
    return {
        "assignment": assignment, "samples": sorted({name.rsplit("-", 1)[0] for name in expected}),
        "copies": copies, "submissions": len(expected), "scores_as_expected": scores_as_expected,
        "by_jobs": {str(j): {"wall": summary(walls[j]), "per_minute": summary(rates[j], 2),
                             "scaling": ratios(rates[j], rates[jobs[0]]),
                             "tree_peak_mib": max(tree_peaks[j])} for j in jobs},
        "best_jobs": best, "minutes_for_300": summary(minutes_for_300, 2),
        "target_300_minutes": TARGET_300_MINUTES,
        "vs_target": ratios(minutes_for_300, [TARGET_300_MINUTES] * len(minutes_for_300)),
    }
