"""Grade one submission: intake, a pytest session against its sandbox, scoring.

`run_tests` is the one pytest session of the kit: grading passes it a sandboxed worker per task
(`sandbox.session.Sandbox`), the student's self-check an in-process one (`selfcheck`); the tests
cannot tell them apart, and the records they produce are scored alike (`scoring.policy`)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder import config, intake
from autograder.config import AssignmentSpec
from autograder.grading import speed
from autograder.grading.batch_loops import BatchLoops
from autograder.grading.plugin import GradingPlugin
from autograder.intake import scan
from autograder.results import Finding, SpeedCheck, SubmissionResult, TestRecord
from autograder.sandbox.contract import SandboxContract
from autograder.sandbox.session import Sandbox
from autograder.scoring import policy

PYTEST_ARGS = [
    "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:warnings",
    "-p", "no:autograder",  # the student's `pytest` entry point (autograder.student_pytest)
    "--assert=plain",  # failure messages come from the checks, never from the test's source
    "--import-mode=importlib", "-q", "--no-header",
]
PYTEST_INI = Path(__file__).with_name("pytest.ini")
# What the static scan looks for besides integrity flags, in grading and the self-check alike.
SCAN_HINTS: tuple[scan.HintRule, ...] = (BatchLoops,)


@dataclass(frozen=True)
class PytestRun:
    """What one pytest session found: a record per test, the grader's own errors (for the
    instructor), the isolation the code ran under and each task's worker time."""

    records: list[TestRecord]
    internal_errors: list[str]
    isolation: str
    busy_seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Graded:
    """One submission graded: its raw result, and the grader's own errors on it, which only the
    instructor sees (`grader-errors.log`); none when all went well."""

    result: SubmissionResult
    internal_errors: list[str]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def forget_other_assignments_tests(spec: AssignmentSpec) -> None:
    """Drop from `sys.modules` what pytest imported from another assignment's folder.

    pytest's importlib mode names a test module by its path under the rootdir, the assignment's
    folder: `tests.public.test_linear` in autodiff and in engine alike, and it reuses a module of
    that name if one is imported. A process that grades one assignment after another (a Dask
    worker of a long-lived cluster) would run autodiff's `test_linear` on an engine notebook. The
    current assignment's modules stay: a process grading many of its submissions imports them once."""
    others, own = (f"{folder}{os.sep}" for folder in (config.ASSIGNMENTS_DIR, spec.directory))
    tops = {folder.relative_to(spec.directory).parts[0] for folder in spec.test_dirs.values()}

    def elsewhere(module: object) -> bool:
        found = vars(module)
        places = [found.get("__file__"), *(found.get("__path__") or ())]  # a namespace: its folders
        return any(isinstance(place, str) and place.startswith(others)
                   and not place.startswith(own) for place in places)

    # all found first: a namespace package's folders are computed from its parent's, still there
    stale = [name for name, module in list(sys.modules.items())
             if name.partition(".")[0] in tops | {"conftest"} and elsewhere(module)]
    for name in stale:
        del sys.modules[name]


def run_tests(spec: AssignmentSpec, sandbox: SandboxContract, test_dirs: list[Path],
              only_tasks: frozenset[str] = frozenset()) -> PytestRun:
    """Run the given test folders (of `only_tasks`, all when empty) against the student's code in
    `sandbox`, which is closed at the end: the kit's only call of `pytest.main`."""
    plugin = GradingPlugin(sandbox, [t.name for t in spec.tasks], spec.test_dirs["public"],
                           only_tasks, spec.robustness_deducts)
    args = [str(d) for d in test_dirs if d.is_dir()] + PYTEST_ARGS
    args += ["--rootdir", str(spec.directory), "-c", str(PYTEST_INI)]
    forget_other_assignments_tests(spec)
    try:
        with _quiet():
            exit_code = pytest.main(args, plugins=[plugin])
    finally:
        sandbox.close()
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        plugin.internal_errors.append(f"pytest exited with {exit_code!r}")
    return PytestRun(list(plugin.records.values()), plugin.internal_errors,
                     sandbox.isolation.description, sandbox.busy_seconds)


def run_sandboxed(spec: AssignmentSpec, code_root: Path, test_dirs: list[Path],
                  only_tasks: frozenset[str] = frozenset()) -> PytestRun:
    """`run_tests` against the code in `code_root`, in a sandbox that sees neither the reference
    solution nor the private tests."""
    sandbox = Sandbox(code_root, spec.limits, spec.package)
    sandbox.isolation.hide(spec.solution_dir, spec.test_dirs["private"])
    return run_tests(spec, sandbox, test_dirs, only_tasks)


def grade_submission(path: Path, spec: AssignmentSpec, *, student: str,
                     test_dirs: list[Path] | None = None, only_tasks: frozenset[str] = frozenset()
                     ) -> Graded:
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
    tasks = policy.score_tasks(spec, [])
    dirs = test_dirs or list(spec.test_dirs.values())
    try:
        bundle = intake.prepare_for(path, spec)
    except intake.IntakeError as exc:
        messages = [str(exc)]
    else:
        messages, fingerprint = bundle.messages, bundle.fingerprint
        findings = scan.scan_submission(bundle, spec, hints=SCAN_HINTS)
        intake_seconds = time.perf_counter() - started
        try:
            run = run_sandboxed(spec, bundle.root, dirs, only_tasks)
            internal, isolation = run.internal_errors, run.isolation
            tasks = policy.score_tasks(spec, run.records, run.busy_seconds)
            if spec.speed.flag_ratio and test_dirs is None and speed.reference_submission(spec).exists():
                timed = time.perf_counter()

                def measure(code_root: Path, tasks_timed: frozenset[str]) -> dict[str, float]:
                    return run_sandboxed(spec, code_root, dirs, tasks_timed).busy_seconds

                slow = speed.find_slow(spec, tasks, bundle.root,
                                       lambda task: speed.reference_seconds(spec, measure, task), measure)
                speed_seconds = time.perf_counter() - timed
        finally:
            bundle.cleanup()
    score = policy.score(tasks, slow)
    result = SubmissionResult(
        student=student, assignment=spec.name, tasks=score.tasks, raw=score.raw,
        multiplier=score.multiplier, final=score.final,
        isolation=isolation, intake_messages=tuple(messages), fingerprint=fingerprint,
        timings={"total": round(time.perf_counter() - started, 3),
                 "intake": round(intake_seconds, 3), "speed": round(speed_seconds, 3)},
        findings=findings, slow=slow,
    )
    return Graded(result, internal)


def worker_count(requested: int | None) -> int:
    return max(1, requested or os.cpu_count() or 1)
