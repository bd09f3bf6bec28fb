"""The pytest plugin that connects an assignment's tests to one submission's sandbox (any that keeps
the sandbox contract: a worker process when grading, the student's own process in a self-check).

Tests ask for the `student` fixture (the student's code, through a worker for the test's task) and
`rng` (a generator seeded from the test's name); a `task` marker ties each test to its task. The
plugin records every outcome as a student-facing message; exceptions that are not the submission's
doing are grader errors, kept for the instructor and never shown as tracebacks.

Markers say what a test may cost (the fairness rule, README "Grading"): a test marked
`robustness(advice=...)` probes beyond what the course requires (extreme inputs, what the course
only advises); its failure is a finding that costs nothing unless the assignment's
`[robustness] deduct = true`. A hidden test names the public test whose property it extends,
`extends("test_name")`, or is marked `answer` (a hidden answer value, whose form a public test
checks); tests/test_fairness_markers.py holds every assignment to it.

Each record also keeps the digests of the values the student's code returned to the test
(`TestRecord.outputs`, from the worker's `OutputLog`): what the similarity report compares.
"""

from __future__ import annotations

import traceback
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder import N_
from autograder.failures import GradingFailure, TaskAborted, WorkerTimeout
from autograder.results import Kind, Outcome, TestRecord
from autograder.sandbox.contract import SandboxContract, Student
from autograder.sandbox.proxy import OutputLog

GRADER_ERROR_MESSAGE = ("the grader itself failed on this test (not your fault); "
                        "the instructor has been told")
MARKERS = (
    "task(name): the graded task this test belongs to",
    "robustness(advice=''): a probe beyond what the course requires; its failure is a finding, "
    "costing points only where the assignment's [robustness] deduct = true (advice: the course's "
    "sentence it rests on, quoted)",
    "extends(public_test): a hidden test's public counterpart, which checks the same property",
    "answer: a hidden answer value; a public test checks its form",
)
# The output log of the worker a test's `student` came from (a test without one received nothing).
OUTPUT_LOG = pytest.StashKey[OutputLog]()


def test_seed(item: pytest.Item) -> int:
    """A seed that depends only on the test's file name and name, so every run draws the same."""
    return zlib.crc32(f"{Path(str(item.fspath)).name}::{item.name}".encode())


def task_of(item: pytest.Item) -> str:
    marker = item.get_closest_marker("task")
    if marker is None or not marker.args:
        raise LookupError(f"test {item.nodeid} has no @pytest.mark.task(...) marker")
    return str(marker.args[0])


def test_kind(item: pytest.Item, robustness_deducts: bool) -> tuple[Kind, str]:
    """Whether the test decides points, and the course's advice it rests on."""
    marker = item.get_closest_marker("robustness")
    if marker is None:
        return "requirement", ""
    return ("requirement" if robustness_deducts else "finding"), str(marker.kwargs.get("advice", ""))


def classify(exc: BaseException) -> tuple[Outcome, str]:
    """The outcome and the student-facing message for an exception a test raised."""
    if isinstance(exc, GradingFailure):
        return exc.kind, str(exc)  # type: ignore[return-value]
    if isinstance(exc, AssertionError):
        return "failed", str(exc) or "a check of this test failed"
    return "grader-error", GRADER_ERROR_MESSAGE


class GradingPlugin:
    """Fixtures, task ordering and outcome records for one submission."""

    def __init__(self, sandbox: SandboxContract, task_order: list[str], public_dir: Path,
                 only_tasks: frozenset[str] = frozenset(), robustness_deducts: bool = False) -> None:
        self.sandbox = sandbox
        self.robustness_deducts = robustness_deducts
        self.task_order = task_order
        self.only_tasks = only_tasks
        self.public_dir = public_dir.resolve()
        self.records: dict[str, TestRecord] = {}
        self.internal_errors: list[str] = []
        self.aborted: dict[str, str] = {}

    def pytest_configure(self, config: pytest.Config) -> None:
        for marker in MARKERS:
            config.addinivalue_line("markers", marker)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.internal_errors.append(f"collecting {report.nodeid}: {report.longreprtext}")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Group tests by task, in the order of the assignment, so each task gets one worker;
        keep only the selected tasks when some were asked for."""
        rank = {name: i for i, name in enumerate(self.task_order)}
        for item in items:
            task = task_of(item)
            if task not in rank:
                raise LookupError(f"{item.nodeid} is marked with unknown task {task!r}")
        if self.only_tasks:
            items[:] = [item for item in items if task_of(item) in self.only_tasks]
        items.sort(key=lambda item: rank[task_of(item)])

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> Student:
        task = task_of(request.node)
        if task in self.aborted:
            reason = self.aborted[task]
            raise TaskAborted(N_(f"not run: {reason}"))
        student = self.sandbox.student_for(task)
        student.seed(test_seed(request.node))
        student.worker.outputs.clear()  # the worker may have served the task's earlier tests
        request.node.stash[OUTPUT_LOG] = student.worker.outputs
        return student

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        return np.random.default_rng(test_seed(request.node))

    @pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
    def pytest_failure_report(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
        """A failure's report carries its student-facing message, not pytest's traceback: that
        one reads and formats the source of every frame, ~50 ms a failure, for nobody to see."""
        excinfo = call.excinfo
        if excinfo is None or isinstance(excinfo.value, (pytest.skip.Exception, BaseExceptionGroup)):
            return None
        return pytest.TestReport(item.nodeid, item.location, dict.fromkeys(item.keywords, 1),
                                 "failed", classify(excinfo.value)[1], call.when,
                                 duration=call.duration, start=call.start, stop=call.stop,
                                 user_properties=item.user_properties)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and report.failed):
            self.record(item, call, report.passed)

    def record(self, item: pytest.Item, call: pytest.CallInfo, passed: bool) -> None:
        task = task_of(item)
        if passed:
            result, message = "passed", ""
        else:
            exc = call.excinfo.value if call.excinfo else AssertionError()
            result, message = classify(exc)
            if result == "grader-error":
                self.internal_errors.append(
                    f"{item.nodeid}:\n" + "".join(traceback.format_exception(exc)))
            if isinstance(exc, WorkerTimeout):
                self.aborted[task] = N_(f"an earlier test of {task} timed out")
        visibility = "public" if Path(str(item.fspath)).resolve().is_relative_to(
            self.public_dir) else "private"
        kind, advice = test_kind(item, self.robustness_deducts)
        log = item.stash.get(OUTPUT_LOG, None)
        self.records[item.nodeid] = TestRecord(
            name=item.name, task=task, outcome=result, message=message,
            visibility=visibility, seconds=round(call.duration, 4), kind=kind, advice=advice,
            outputs=tuple(log.digests) if log is not None else ())
