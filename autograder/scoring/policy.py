"""Points per task (all-or-nothing or the fraction of tests passed) and the late penalty."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from autograder.config import AssignmentSpec, Deadlines
from autograder.results import TaskResult, TestRecord


def score_tasks(spec: AssignmentSpec, records: Iterable[TestRecord]) -> tuple[TaskResult, ...]:
    """Each task's points under the assignment's policy, from its requirement tests only (a
    finding is reported, never scored); a task with no such test earns nothing."""
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
        results.append(TaskResult(task.name, round(task.points * fraction, 2), task.points, tests))
    return tuple(results)


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
