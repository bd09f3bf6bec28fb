"""Figure 1: grading one submission (each assignment's reference sample) with `autograder grade -j 1`.

Wall time split into startup (interpreter, imports, the grading pool, torch), intake, tests and
reports, plus the time until the first sandboxed worker appeared. Assignments are graded in turn,
round after round, so that a burst of load on the shared machine spreads over all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.grade_run import GradeRun, grade
from bench.stats import ratios, summary
from bench.submissions import sample_batch

PARTS = ("wall", "startup", "intake", "tests", "reports")
# The target: the full (public and private) grading of one autodiff submission.
TARGET_SECONDS = {"autodiff": 8.0}


def _figure(assignment: str, runs: list[GradeRun], expected: dict[str, float]) -> dict[str, Any]:
    figure: dict[str, Any] = {part: summary([getattr(run, part) for run in runs]) for part in PARTS}
    grading = [run.intake + run.tests for run in runs]
    figure["grading"] = summary(grading)  # intake and tests: what the grader's timing.json records
    seen = [run.to_first_worker for run in runs if run.to_first_worker is not None]
    figure["to_first_worker"] = summary(seen) if seen else None
    figure["startup_share"] = ratios([run.startup for run in runs], [run.wall for run in runs])
    figure["scores_as_expected"] = all(run.raw == expected for run in runs)
    if assignment in TARGET_SECONDS:
        target = TARGET_SECONDS[assignment]
        figure["target_seconds"] = target
        figure["grading_vs_target"] = ratios(grading, [target] * len(runs))
    return figure


def run(assignments: Sequence[str], repeats: int, workdir: Path, env: dict[str, str]
        ) -> tuple[dict[str, Any], dict[str, list[dict[str, float]]]]:
    """The figure per assignment, and each run's peak memory (for figure 5)."""
    expected = {a: sample_batch(a, workdir / a / "submissions", names=("reference",)) for a in assignments}
    runs: dict[str, list[GradeRun]] = {a: [] for a in assignments}
    for round_ in range(repeats):
        for assignment in assignments:
            out = workdir / assignment / f"grades-{round_}"
            runs[assignment].append(grade(workdir / assignment / "submissions", assignment, out, 1, env))
    figure = {a: _figure(a, runs[a], expected[a]) for a in assignments}
    return figure, {a: [run.memory_mib for run in runs[a]] for a in assignments}
