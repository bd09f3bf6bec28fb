"""The behaviour signal: the tests a student failed, each with the digests of what the student's
code returned to it (`TestRecord.outputs`). Two students who fail the same test with the same
wrong numbers most likely share the code that computed them; passing agrees by necessity, and a
test not written yet (or one that recorded no output) says nothing. A failed test also records the
right values its code returned before the failure (the ReLU's output in a test whose Sigmoid
crashed): whatever some run that passed the test returned is taken out first, so that only the
wrong values are compared."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from autograder.results import NOT_IMPLEMENTED, SubmissionResult


@dataclass(frozen=True)
class WrongOutput:
    """One failed test of a task with what the code returned to it, in order."""

    test: str
    visibility: str
    outputs: tuple[str, ...]


def right_outputs(results: Iterable[SubmissionResult]) -> dict[tuple[str, str], set[str]]:
    """Per (task, test), every output digest a run that passed the test returned: right values,
    or at least values a passing solution gives, which tie nobody."""
    right: dict[tuple[str, str], set[str]] = {}
    for result in results:
        for task in result.tasks:
            for test in task.tests:
                if test.passed:
                    right.setdefault((task.name, test.name), set()).update(test.outputs)
    return right


def wrong_outputs(result: SubmissionResult, right: Mapping[tuple[str, str], set[str]]
                  ) -> dict[str, set[WrongOutput]]:
    """Per task, the failed tests that recorded outputs, each with those no passing run of the
    test returned (`right`); a failed test left with none says nothing."""
    wrong: dict[str, set[WrongOutput]] = {}
    for task in result.tasks:
        for test in task.tests:
            if test.passed or NOT_IMPLEMENTED in test.message:
                continue
            passing = right.get((task.name, test.name), set())
            outputs = tuple(digest for digest in test.outputs if digest not in passing)
            if outputs:
                wrong.setdefault(task.name, set()).add(WrongOutput(test.name, test.visibility, outputs))
    return wrong


def behaviour_score(shared: int) -> float:
    """How strongly `shared` identical wrong outputs (none common in the batch) tie two students:
    one is a hint (0.4), two are strong (0.64), three and more nearly certain."""
    return 1 - 0.6 ** shared


def tests_sentence(shared: list[WrongOutput]) -> str:
    """"3 hidden tests failed with identical wrong outputs", counting each kind of test."""
    counts = {kind: sum(w.visibility == kind for w in shared) for kind in ("public", "private")}
    kinds = " and ".join(f"{count} {'hidden' if kind == 'private' else kind}"
                         for kind, count in counts.items() if count)
    return f"{kinds} test{'s' if len(shared) > 1 else ''} failed with identical wrong outputs"
