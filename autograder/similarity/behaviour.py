"""The behaviour signal: the tests a student failed, each with the digests of what the student's
code returned to it (`TestRecord.outputs`). Two students who fail the same test with the same
wrong numbers most likely share the code that computed them; passing agrees by necessity, and a
test not written yet (or one that recorded no output) says nothing."""

from __future__ import annotations

from dataclasses import dataclass

from autograder.results import NOT_IMPLEMENTED, SubmissionResult


@dataclass(frozen=True)
class WrongOutput:
    """One failed test of a task with what the code returned to it, in order."""

    test: str
    visibility: str
    outputs: tuple[str, ...]


def wrong_outputs(result: SubmissionResult) -> dict[str, set[WrongOutput]]:
    """Per task, the failed tests that recorded outputs."""
    wrong: dict[str, set[WrongOutput]] = {}
    for task in result.tasks:
        for test in task.tests:
            if not test.passed and test.outputs and NOT_IMPLEMENTED not in test.message:
                wrong.setdefault(task.name, set()).add(
                    WrongOutput(test.name, test.visibility, test.outputs))
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
