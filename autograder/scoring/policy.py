"""Points per task (all-or-nothing or the fraction of tests passed), the score they add up to, and
the late penalty.

`score` is the one place where a score is assembled: the speed deductions come off the tasks'
points, raw is their sum, and final is raw under the late multiplier. A result is graded and
stored raw (multiplier 1); the late penalty is applied when it is reported (`reported`, through
`score` again), under the deadlines of the course offering, so that other deadlines never need a
re-grade."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from autograder.config import COURSE_FILE, AssignmentSpec, Deadlines
from autograder.results import SpeedCheck, SubmissionResult, TaskResult, TestRecord

NO_DEADLINES = "no deadlines set"


@dataclass(frozen=True)
class Score:
    """What a submission's points add up to."""

    tasks: tuple[TaskResult, ...]  # their points after the speed deductions
    raw: float
    multiplier: float
    final: float


def score_tasks(spec: AssignmentSpec, records: Iterable[TestRecord],
                worker_seconds: Mapping[str, float] | None = None) -> tuple[TaskResult, ...]:
    """Each task's points under the assignment's policy, from its requirement tests only (a
    finding is reported, never scored), with its worker time; a task with no such test earns
    nothing."""
    seconds = worker_seconds or {}
    by_task: dict[str, list[TestRecord]] = {task.name: [] for task in spec.tasks}
    for record in records:
        by_task[record.task].append(record)
    results = []
    for task in spec.tasks:
        tests = tuple(by_task[task.name])
        scored = [t for t in tests if t.counts]
        passed = sum(t.passed for t in scored)
        if not scored:
            fraction = 0.0
        elif spec.policy == "all_or_nothing":
            fraction = float(passed == len(scored))
        else:
            fraction = passed / len(scored)
        results.append(TaskResult(task.name, round(task.points * fraction, 2), task.points, tests,
                                  worker_seconds=round(seconds.get(task.name, 0.0), 4)))
    return tuple(results)


def score(tasks: tuple[TaskResult, ...], slow: tuple[SpeedCheck, ...] = (), multiplier: float = 1.0,
          *, raw: float | None = None) -> Score:
    """The score of `tasks`: the points `slow` deducts taken off them, raw (their sum) and final
    (raw under the late `multiplier`, 1 when graded). A stored result, reported again, passes its
    own `raw`: its tasks carry their deductions already."""
    taken = {check.task: check.deducted for check in slow}
    tasks = tuple(replace(task, points=round(task.points - taken.get(task.name, 0.0), 2))
                  for task in tasks)
    if raw is None:
        raw = round(sum(task.points for task in tasks), 2)
    return Score(tasks, raw, round(multiplier, 6), final_score(raw, multiplier))


def minutes_late(deadlines: Deadlines, submitted_at: datetime | None) -> float:
    if submitted_at is None or deadlines.soft is None:
        return 0.0
    return max(0.0, (submitted_at - deadlines.soft).total_seconds() / 60)


def late_multiplier(deadlines: Deadlines, submitted_at: datetime | None, base: float) -> float:
    """base^(t/1440) for t minutes after the soft deadline; zero after the hard deadline."""
    if submitted_at is not None and deadlines.hard is not None and submitted_at > deadlines.hard:
        return 0.0
    return math.pow(base, minutes_late(deadlines, submitted_at) / 1440)


def final_score(raw: float, multiplier: float) -> float:
    """The course rounds the penalised score to two digits."""
    return round(raw * multiplier, 2)


def reported(result: SubmissionResult, deadlines: Deadlines, submitted_at: datetime | None,
             base: float) -> SubmissionResult:
    """`result`, graded raw, with the late penalty under `deadlines` for a submission handed in at
    `submitted_at` (None: unknown, so no penalty)."""
    late = score(result.tasks, (), late_multiplier(deadlines, submitted_at, base), raw=result.raw)
    return replace(result, multiplier=late.multiplier, final=late.final,
                   late_minutes=round(minutes_late(deadlines, submitted_at), 2))


def lateness_label(result: SubmissionResult, deadlines: Deadlines) -> str:
    """How late a reported result is, in words, for the gradebook."""
    if not deadlines.is_set:
        return NO_DEADLINES
    if result.lateness_unknown:
        return "time unknown: no penalty"
    if result.multiplier == 0:
        return "after the hard deadline"
    return f"{result.late_minutes / 60:.1f} hours late" if result.late_minutes else "on time"


def all_past_hard_deadline(results: Iterable[SubmissionResult], deadlines: Deadlines) -> bool:
    """Whether every submission whose time is known came after the hard deadline: most likely
    another term's deadlines, which zero the whole class."""
    timed = [r for r in results if not r.lateness_unknown]
    return deadlines.hard is not None and bool(timed) and all(r.multiplier == 0 for r in timed)


def all_past_warning(deadlines: Deadlines) -> str:
    """What the terminal and the instructor's page say when `all_past_hard_deadline`."""
    hard = deadlines.hard.isoformat() if deadlines.hard else ""
    return (f"Every submission is past the hard deadline ({hard}), so every final score is 0. If "
            f"these are another term's deadlines, set this term's in {COURSE_FILE} beside the "
            "submissions or with --soft-deadline / --hard-deadline and grade again: nothing is "
            "graded anew, the stored results are only reported again.")


def deadlines_sentence(deadlines: Deadlines) -> str:
    """The deadlines a batch was reported under, for the terminal and the instructor's page."""
    if not deadlines.is_set:
        return (f"{NO_DEADLINES}: no late penalty (set them in {COURSE_FILE} beside the "
                "submissions, or with --soft-deadline / --hard-deadline)")
    parts = [f"{label} {moment.isoformat()}" for label, moment in
             (("soft deadline", deadlines.soft), ("hard deadline", deadlines.hard)) if moment]
    return ", ".join(parts)
