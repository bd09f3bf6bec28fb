"""Figure 6: what each isolation mode costs: the autodiff reference graded (`autograder grade -j 1`)
under bubblewrap, in the fallback with Landlock, and in the fallback without it (as on a kernel
older than 5.13), round after round so that a burst of load spreads over the three. The tests'
time (each task's workers start, import the submission and answer) carries the difference; the
fallback's are reported as ratios of bubblewrap's. A mode this machine cannot run is left out.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from autograder.sandbox import isolation
from bench.grade_run import GradeRun, grade
from bench.stats import ratios, summary
from bench.submissions import sample_batch

MODES = {
    "bubblewrap": {isolation.FORCE_ENV: "bubblewrap"},
    "fallback": {isolation.FORCE_ENV: "fallback"},
    "fallback_without_landlock": {isolation.FORCE_ENV: "fallback", isolation.LANDLOCK_ENV: "off"},
}


def run(repeats: int, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    expected = sample_batch("autodiff", workdir / "submissions", names=("reference",))
    available = {mode: extra for mode, extra in MODES.items()
                 if mode != "bubblewrap"
                 or isolation.bubblewrap_works(isolation.worker_uid(os.geteuid() == 0))}
    runs: dict[str, list[GradeRun]] = {mode: [] for mode in available}
    for round_ in range(repeats):
        for mode, extra in available.items():
            runs[mode].append(grade(workdir / "submissions", "autodiff",
                                    workdir / f"grades-{mode}-{round_}", 1, {**env, **extra}))
    figure: dict[str, Any] = {mode: summary([run.tests for run in mode_runs])
                              for mode, mode_runs in runs.items()}
    figure["scores_as_expected"] = all(run.raw == expected for mode_runs in runs.values()
                                       for run in mode_runs)
    if "bubblewrap" in runs:
        base = [run.tests for run in runs["bubblewrap"]]
        figure["vs_bubblewrap"] = {mode: ratios([run.tests for run in runs[mode]], base)
                                   for mode in runs if mode != "bubblewrap"}
    return figure
