"""Slow code: each task's time in the worker, against the reference solution's on the same tests.

The autodiff course warns that inefficient code may lose points. A task's time is the wall time
of the worker's answers to its tests' requests (`Sandbox.busy_seconds`; workers are forked from a
warm zygote, so this is the student's code at work, not a start), measured by the grader, so the
worker cannot make itself look fast. The reference is graded the same way (the
same tests with the same seeds, the same kind of worker), task by task and only for a task whose
time could pass the flag ratio, once per grading process; never in a student's worker: it must stay
invisible to student code.

Timing noise must never change a score. A task is timed only where the reference spends long
enough on it to be timed (`min_reference_seconds`); the ratios are generous (10x, say); noise only
ever adds time, so when a first timing passes the flag ratio the task's tests run again, up to
`timings` runs in all, and the least time counts; the reference's single timing can only err high,
which makes ratios err low. The [speed] table of assignment.toml sets all of it (config.SpeedSpec).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from autograder import intake
from autograder.config import AssignmentSpec
from autograder.results import SpeedCheck, TaskResult

# Runs the tests of the given tasks against the code in a folder; returns each task's worker time.
Measure = Callable[[Path, frozenset[str]], Mapping[str, float]]
UNTIMED_OUTCOMES = frozenset({"timeout", "crash", "grader-error"})
_reference_times: dict[tuple[str, str, str], float] = {}


def reference_submission(spec: AssignmentSpec) -> Path:
    return spec.solution_dir / spec.notebook if spec.notebook else spec.solution_dir


def reference_seconds(spec: AssignmentSpec, measure: Measure, task: str) -> float:
    """The worker time of one task's tests on the reference, measured once per grading process
    (keyed by the reference's code, so an edited reference is timed again)."""
    bundle = intake.prepare_for(reference_submission(spec), spec)
    try:
        key = (spec.name, bundle.fingerprint, task)
        if key not in _reference_times:
            _reference_times[key] = measure(bundle.root, frozenset({task})).get(task, 0.0)
        return _reference_times[key]
    finally:
        bundle.cleanup()


def find_slow(spec: AssignmentSpec, tasks: tuple[TaskResult, ...], code_root: Path,
              reference: Callable[[str], float], measure: Measure) -> tuple[SpeedCheck, ...]:
    """The tasks (among those that earned points and ran without timeouts or crashes) whose least
    time over the timings stays at or beyond the flag ratio, with the points to take off
    (`policy.score` takes them). The
    reference is timed only for a task that took long enough to pass the flag ratio against any
    reference worth timing."""
    speed = spec.speed
    checks = []
    for task in tasks:
        if (task.points <= 0 or task.worker_seconds < speed.flag_ratio * speed.min_reference_seconds
                or any(t.outcome in UNTIMED_OUTCOMES for t in task.tests)):
            continue
        baseline = reference(task.name)
        if baseline < speed.min_reference_seconds:
            continue
        times = [task.worker_seconds]
        while min(times) >= speed.flag_ratio * baseline and len(times) < speed.timings:
            times.append(measure(code_root, frozenset({task.name})).get(task.name, 0.0))
        ratio = min(times) / baseline
        if ratio < speed.flag_ratio:
            continue
        deduct = bool(speed.deduct_ratio) and ratio >= speed.deduct_ratio
        checks.append(SpeedCheck(
            task.name, round(ratio, 2), speed.deduct_ratio if deduct else speed.flag_ratio,
            len(times), min(task.points, round(task.max_points * speed.deduct_fraction, 2))
            if deduct else 0.0))
    return tuple(checks)

