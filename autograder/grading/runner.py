"""Grade one submission: intake, a pytest session against its sandbox, scoring."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from autograder import intake
from autograder.config import AssignmentSpec
from autograder.grading import speed
from autograder.grading.plugin import GradingPlugin
from autograder.intake import scan
from autograder.results import Finding, SpeedCheck, SubmissionResult, TaskResult, TestRecord
from autograder.sandbox.session import Sandbox
from autograder.scoring import policy

PYTEST_ARGS = [
    "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:warnings",
    "--assert=plain",  # failure messages come from the checks, never from the test's source
    "--import-mode=importlib", "-q", "--no-header",
]
PYTEST_INI = Path(__file__).with_name("pytest.ini")


@contextlib.contextmanager
def _quiet():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def run_tests(spec: AssignmentSpec, code_root: Path, test_dirs: list[Path],
              only_tasks: frozenset[str] = frozenset()
              ) -> tuple[list[TestRecord], list[str], str, dict[str, float]]:
    """Run the given test folders against the code in `code_root`; return records, internal
    errors (for the instructor), the isolation mode used and each task's worker time."""
    sandbox = Sandbox(code_root, spec.limits, spec.package)
    sandbox.isolation.hide(spec.solution_dir, spec.test_dirs["private"])
    plugin = GradingPlugin(sandbox, [t.name for t in spec.tasks], spec.test_dirs["public"],
                           only_tasks, spec.robustness_deducts)
    args = [str(d) for d in test_dirs if d.is_dir()] + PYTEST_ARGS
    args += ["--rootdir", str(spec.directory), "-c", str(PYTEST_INI)]
    try:
        with _quiet():
            exit_code = pytest.main(args, plugins=[plugin])
    finally:
        sandbox.close()
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        plugin.internal_errors.append(f"pytest exited with {exit_code!r}")
    return (list(plugin.records.values()), plugin.internal_errors, sandbox.isolation.description,
            sandbox.busy_seconds)


def _busy_seconds(spec: AssignmentSpec, test_dirs: list[Path], code_root: Path,
                  only_tasks: frozenset[str]) -> dict[str, float]:
    return run_tests(spec, code_root, test_dirs, only_tasks)[3]


def scored_tasks(spec: AssignmentSpec, records: list[TestRecord],
                 seconds: Mapping[str, float]) -> tuple[TaskResult, ...]:
    """The tasks' points under the assignment's policy, with their worker times."""
    return tuple(replace(task, worker_seconds=round(seconds.get(task.name, 0.0), 4))
                 for task in policy.score_tasks(spec, records))


def grade_submission(path: Path, spec: AssignmentSpec, *, student: str,
                     test_dirs: list[Path] | None = None, only_tasks: frozenset[str] = frozenset()
                     ) -> tuple[SubmissionResult, list[str]]:
    """Grade one submission, raw: no late penalty, which depends on the course offering's deadlines
    and is applied when the result is reported (policy.reported); never raises for anything the
    submission does.

    `test_dirs` defaults to the public and private tests; `only_tasks`, if given, limits the run
    to those tasks (a student's self-check of one task). Only a grading with every test is timed
    against the reference (see `speed`), when the assignment's [speed] table asks for it."""
    started = time.perf_counter()
    internal: list[str] = []
    isolation = ""
    intake_seconds = speed_seconds = 0.0
    fingerprint = ""
    findings: tuple[Finding, ...] = ()
    slow: tuple[SpeedCheck, ...] = ()
    tasks = scored_tasks(spec, [], {})
    dirs = test_dirs or list(spec.test_dirs.values())
    try:
        bundle = intake.prepare_for(path, spec)
    except intake.IntakeError as exc:
        messages = [str(exc)]
    else:
        messages, fingerprint = bundle.messages, bundle.fingerprint
        findings = scan.scan_submission(bundle, spec)
        intake_seconds = time.perf_counter() - started
        try:
            records, internal, isolation, seconds = run_tests(spec, bundle.root, dirs, only_tasks)
            tasks = scored_tasks(spec, records, seconds)
            if spec.speed.flag_ratio and test_dirs is None and speed.reference_submission(spec).exists():
                timed = time.perf_counter()
                measure = functools.partial(_busy_seconds, spec, dirs)
                slow = speed.find_slow(spec, tasks, bundle.root,
                                       functools.partial(speed.reference_seconds, spec, measure), measure)
                speed_seconds = time.perf_counter() - timed
        finally:
            bundle.cleanup()
    tasks = speed.deducted(tasks, slow)
    raw = round(sum(t.points for t in tasks), 2)
    result = SubmissionResult(
        student=student, assignment=spec.name, tasks=tasks, raw=raw, multiplier=1.0, final=raw,
        isolation=isolation, intake_messages=tuple(messages), fingerprint=fingerprint,
        timings={"total": round(time.perf_counter() - started, 3),
                 "intake": round(intake_seconds, 3), "speed": round(speed_seconds, 3)},
        findings=findings, slow=slow,
    )
    return result, internal


def worker_count(requested: int | None) -> int:
    return max(1, requested or os.cpu_count() or 1)
