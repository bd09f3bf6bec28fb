"""Grade one submission: intake, a pytest session against its sandbox, scoring."""

from __future__ import annotations

import contextlib
import io
import os
import time
from datetime import datetime
from pathlib import Path

import pytest

from autograder import intake
from autograder.config import AssignmentSpec
from autograder.grading.plugin import GradingPlugin
from autograder.results import SubmissionResult, TestRecord
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
              only_tasks: frozenset[str] = frozenset()) -> tuple[list[TestRecord], list[str], str]:
    """Run the given test folders against the code in `code_root`; return records, internal
    errors (for the instructor) and the isolation mode used."""
    sandbox = Sandbox(code_root, spec.limits, spec.package)
    sandbox.isolation.hide(spec.solution_dir, spec.test_dirs["private"])
    plugin = GradingPlugin(sandbox, [t.name for t in spec.tasks], spec.test_dirs["public"],
                           only_tasks)
    args = [str(d) for d in test_dirs if d.is_dir()] + PYTEST_ARGS
    args += ["--rootdir", str(spec.directory), "-c", str(PYTEST_INI)]
    try:
        with _quiet():
            exit_code = pytest.main(args, plugins=[plugin])
    finally:
        sandbox.close()
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        plugin.internal_errors.append(f"pytest exited with {exit_code!r}")
    return list(plugin.records.values()), plugin.internal_errors, sandbox.isolation.description


def grade_submission(path: Path, spec: AssignmentSpec, *, student: str,
                     submitted_at: datetime | None = None, test_dirs: list[Path] | None = None,
                     only_tasks: frozenset[str] = frozenset()
                     ) -> tuple[SubmissionResult, list[str]]:
    """Grade one submission; never raises for anything the submission does.

    `test_dirs` defaults to the public and private tests; `only_tasks`, if given, limits the run
    to those tasks (a student's self-check of one task)."""
    started = time.perf_counter()
    records: list[TestRecord] = []
    internal: list[str] = []
    isolation = ""
    intake_seconds = 0.0
    fingerprint = ""
    try:
        bundle = intake.prepare(path, spec.package, spec.notebook, spec.answers)
    except intake.IntakeError as exc:
        messages = [str(exc)]
    else:
        messages, fingerprint = bundle.messages, bundle.fingerprint
        intake_seconds = time.perf_counter() - started
        try:
            records, internal, isolation = run_tests(
                spec, bundle.root, test_dirs or list(spec.test_dirs.values()), only_tasks)
        finally:
            bundle.cleanup()
    tasks = policy.score_tasks(spec, records)
    raw = round(sum(t.points for t in tasks), 2)
    multiplier = policy.late_multiplier(spec.deadlines, submitted_at, spec.late_base)
    result = SubmissionResult(
        student=student, assignment=spec.name, tasks=tasks, raw=raw,
        multiplier=round(multiplier, 6), final=policy.final_score(raw, multiplier),
        late_minutes=round(policy.minutes_late(spec.deadlines, submitted_at), 2),
        isolation=isolation, intake_messages=tuple(messages), fingerprint=fingerprint,
        timings={"total": round(time.perf_counter() - started, 3),
                 "intake": round(intake_seconds, 3)},
    )
    return result, internal


def worker_count(requested: int | None) -> int:
    return max(1, requested or os.cpu_count() or 1)
