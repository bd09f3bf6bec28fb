"""Figure 2: our full grading of the autodiff reference against the course's own suite on it.

Ours comes from figure 1 of the same bench run: `autograder grade` on the reference sample, as the
command's wall time and as the grading alone (intake, then every public and private test driving
sandboxed workers). The course's: `course_suite`, its eight test functions run on the reference
package in one process of their own. Ratios are ours / the course's: below 1, we grade faster.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.stats import summary, summary_ratio


def _suite_once(fraction: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.course_suite", "--fraction", str(fraction)]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def run(ours: dict[str, Any], repeats: int, fraction: float) -> dict[str, Any]:
    """`ours` is figure 1's entry for autodiff."""
    runs = [_suite_once(fraction) for _ in range(repeats)]
    names = list(runs[0]["tests"])
    seconds = summary([sum(r["tests"][name]["seconds"] for name in names) for r in runs])
    failures = sorted({f"{name}: {r['tests'][name]['failure']}" for r in runs for name in names
                       if r["tests"][name]["failure"]})
    return {
        "course_suite": {"seconds": seconds, "fraction": fraction, "torch_threads": runs[0]["torch_threads"],
                         "per_test": {name: summary([r["tests"][name]["seconds"] for r in runs])
                                      for name in names},
                         "failures": failures},
        "ours": {"wall": ours["wall"], "grading": ours["grading"]},
        "ratio_wall": summary_ratio(ours["wall"], seconds),
        "ratio_grading": summary_ratio(ours["grading"], seconds),
    }
