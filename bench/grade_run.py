"""One `autograder grade` command, timed from outside and split with what it writes.

The grader records, per submission, `timing.json`: `total` (intake and tests) and `intake`. The
rest is measured from outside: the command's wall time, and when each submission's files appeared
(the grading process hands its result back and the grader writes the files at once), so that
  startup = first submission's grading start - launch  (interpreter, imports, the pool, torch)
  reports = exit - last submission's files              (feedback pages, gradebook, instructor page)
and the time until the first sandboxed worker appeared (~ the first test).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.memory import ProcessTreeMonitor


@dataclass(frozen=True)
class GradeRun:
    wall: float
    startup: float
    intake: float  # summed over the submissions
    tests: float  # summed over the submissions
    reports: float
    to_first_worker: float | None
    memory_mib: dict[str, float]
    raw: dict[str, float]  # student -> raw score, from gradebook.csv


def _finished_at(folder: Path) -> float:
    """When the grader started writing a submission's files (its oldest file; dot files such as
    a lock are written when its grading starts, so they do not count)."""
    return min(p.stat().st_mtime for p in folder.iterdir() if not p.name.startswith("."))


def grade(submissions: Path, assignment: str, out: Path, jobs: int, env: dict[str, str],
          extra: Sequence[str] = ()) -> GradeRun:
    """Grade `submissions` as an instructor would (`autograder grade ... -j jobs`, then `extra`
    options such as `--cluster ADDRESS`) into the fresh folder `out`; raise if the grader
    reported an error of its own."""
    command = [sys.executable, "-m", "autograder.cli", "grade", str(submissions),
               "--assignment", assignment, "--out", str(out), "-j", str(jobs), "--quiet", *extra]
    launched = time.time()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    with ProcessTreeMonitor(process.pid) as monitor:
        output, _ = process.communicate()
    exited = time.time()
    if process.returncode != 0:
        tail = output.decode(errors="replace")[-3000:]
        raise RuntimeError(f"autograder grade exited with {process.returncode} on {submissions}:\n{tail}")
    timings = {folder: json.loads((folder / "timing.json").read_text())
               for folder in out.iterdir() if (folder / "timing.json").is_file()}
    finished = {folder: _finished_at(folder) for folder in timings}
    with open(out / "gradebook.csv", newline="") as stream:
        raw = {row["student"]: float(row["raw"]) for row in csv.DictReader(stream)}
    return GradeRun(
        wall=exited - launched,
        startup=min(finished[f] - t["total"] for f, t in timings.items()) - launched,
        intake=sum(t["intake"] for t in timings.values()),
        tests=sum(t["total"] - t["intake"] for t in timings.values()),
        reports=exited - max(finished.values()),
        to_first_worker=None if monitor.first_worker_at is None else monitor.first_worker_at - launched,
        memory_mib=monitor.peaks_mib(),
        raw=raw,
    )
