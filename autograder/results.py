"""What grading produces: plain records of tests, tasks and submissions, shared by every room."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from autograder import N_

Outcome = Literal["passed", "failed", "error", "timeout", "crash", "grader-error"]
# A requirement's failure costs its task points; a finding's (a probe beyond what the course
# requires: extreme inputs, what it only advises) is reported and costs nothing (see scoring).
Kind = Literal["requirement", "finding"]
# How a failure says the student has not written the code yet (failures.StudentError, answers)
NOT_IMPLEMENTED = N_("is not implemented yet")


@dataclass(frozen=True)
class TestRecord:
    """One test's outcome. `message` is student-facing: never a grader traceback or test source."""

    __test__ = False  # a record, not a pytest test class

    name: str
    task: str
    outcome: Outcome
    message: str = ""
    visibility: Literal["public", "private"] = "private"
    seconds: float = 0.0
    kind: Kind = "requirement"
    # for a finding: the course's own sentence it rests on, quoted ("" when the course is silent)
    advice: str = ""
    # the digests (autograder.digest) of the values the student's code returned to the test, in
    # order, the first `sandbox.proxy.MAX_OUTPUTS`: the similarity report's behaviour signal, for the
    # instructor only
    outputs: tuple[str, ...] = ()

    @property
    def counts(self) -> bool:
        """Whether this test's outcome decides points."""
        return self.kind == "requirement"

    @property
    def is_finding(self) -> bool:
        """A failed probe beyond what the course requires, of code that exists (a probe of a
        method not written yet finds nothing about it)."""
        return not self.counts and not self.passed and NOT_IMPLEMENTED not in self.message

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass(frozen=True)
class TaskResult:
    name: str
    points: float
    max_points: float
    tests: tuple[TestRecord, ...]
    # wall time of the worker's answers to this task's tests' requests (Sandbox.busy_seconds)
    worker_seconds: float = field(default=0.0, compare=False)

    @property
    def graded(self) -> tuple[TestRecord, ...]:
        """The tests whose outcomes decide the task's points."""
        return tuple(t for t in self.tests if t.counts)

    @property
    def findings(self) -> tuple[TestRecord, ...]:
        """The failed tests that cost nothing: probes beyond what the course requires."""
        return tuple(t for t in self.tests if t.is_finding)

    @property
    def passed(self) -> int:
        """How many of the graded tests passed."""
        return sum(t.passed for t in self.graded)

    @property
    def grader_errors(self) -> int:
        return sum(t.outcome == "grader-error" for t in self.tests)


@dataclass(frozen=True)
class Finding:
    """What the static scan (intake.scan) noticed in the code: a fact for the instructor, never by
    itself a deduction. `task` is the task whose code holds it, "" for the submission at large."""

    kind: str
    task: str
    where: str  # a file of the package, or "cell 3" of a notebook
    line: int
    construct: str  # the student's own line of code


# What each kind of `Finding` means, in words for the student (feedback) and the instructor
# (flags). INTEGRITY_FLAGS are the static scan's findings (intake.scan), listed as integrity flags;
# SPEED_HINTS are its hints for slow code (grading.batch_loops), which flag nothing. (Unrelated to
# `TestRecord.kind`, which says whether a test's failure costs points.)
INTEGRITY_FLAGS = {
    "forbidden-import": N_("uses a library that graded code may not use (it would compute the answer)"),
    "escape": N_("leaves plain Python and NumPy (processes, sockets, C calls, dynamic imports or code)"),
    "monkeypatch": N_("changes NumPy, SciPy, math or Python's built-ins for all code, not only yours"),
    "grader-internals": N_("reaches into the grader, the interpreter's internals or files outside "
                           "your submission"),
    "unscanned": N_("more code than the scan reads: the largest files or cells were not scanned"),
}
SPEED_HINTS = {
    "batch-loop": N_("a Python loop over the samples of a batch: one NumPy expression over the "
                     "whole batch is usually many times faster"),
}


@dataclass(frozen=True)
class SpeedCheck:
    """A task whose tests took the student's code far longer than the reference's (grading.speed).
    `ratio` is measured (it varies from run to run); `threshold` is the configured ratio it passed."""

    task: str
    ratio: float = field(compare=False)
    threshold: float
    timings: int
    deducted: float = 0.0


@dataclass(frozen=True)
class SubmissionResult:
    student: str
    assignment: str
    tasks: tuple[TaskResult, ...]
    raw: float
    multiplier: float
    final: float
    late_minutes: float = 0.0
    isolation: str = ""
    intake_messages: tuple[str, ...] = ()
    # a hash of the code graded (from intake): equal fingerprints mean identical code
    fingerprint: str = ""
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    findings: tuple[Finding, ...] = ()
    slow: tuple[SpeedCheck, ...] = ()
    # the submission time could not be known (a bad manifest.csv row): no late penalty applied,
    # the instructor is told (grading.roster)
    lateness_unknown: bool = False

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.tasks)

    @property
    def grader_errors(self) -> int:
        return sum(t.grader_errors for t in self.tasks)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        """The inverse of `to_dict` (how a resumed batch reads back what it stored); a field an
        older result.json lacks (`TestRecord.outputs`) takes its default."""
        return _rebuild(cls, data)


@dataclass(frozen=True)
class EntryConflict:
    """Entries of a submissions folder that name one student (`alice.zip` beside `alice/`, or two
    Unicode spellings of one name): only the newest, `graded`, is graded (grading.roster)."""

    student: str
    graded: str
    ignored: tuple[str, ...]

    @property
    def sentence(self) -> str:
        others, count = ", ".join(self.ignored), len(self.ignored) + 1
        return N_(f"{count} entries of the submissions folder are named after "
                  f"{self.student}: {self.graded} was graded (the newest), not {others}")


@dataclass(frozen=True)
class ManifestProblem:
    """What in `manifest.csv` could not be used, at its line (1 is the header; 0, the file could
    not be read at all). `student` is the student the row names, if any; `lateness_unknown` says
    that that student's submission time (with no `student`, everyone's) is not known."""

    line: int
    message: str
    student: str = ""
    lateness_unknown: bool = False

    @property
    def sentence(self) -> str:
        return (N_(f"manifest.csv line {self.line}: {self.message}") if self.line
                else N_(f"manifest.csv: {self.message}"))


def _rebuild(hint: Any, value: Any) -> Any:
    """`value`, read back from JSON, as the type `hint` names: dataclasses and tuples of them."""
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        return hint(**{f.name: _rebuild(hints[f.name], value[f.name])
                       for f in dataclasses.fields(hint) if f.name in value})
    if typing.get_origin(hint) is tuple:
        return tuple(_rebuild(typing.get_args(hint)[0], item) for item in value)
    return value
