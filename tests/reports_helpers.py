"""A small hand-made grading result for the report tests: two tasks, public and hidden tests, a
failure with shapes, largest error and hint, and text that needs escaping."""

from __future__ import annotations

import ast
from pathlib import Path

from autograder.results import SubmissionResult, TaskResult, TestRecord

SHAPE_MESSAGE = ("Linear.forward(x) output for x of shape (4, 3): does not match torch.nn.Linear "
                 "(shape (4, 2)). Largest error at index [1, 0]: got 2.5, expected 1.5\n"
                 "  Hint: y = x @ W.T + b, with W of shape (out_features, in_features).")


def record(name: str, task: str, outcome: str = "passed", message: str = "",
           visibility: str = "public") -> TestRecord:
    return TestRecord(name=name, task=task, outcome=outcome, message=message,  # type: ignore[arg-type]
                      visibility=visibility, seconds=0.25)  # type: ignore[arg-type]


def make_result(student: str = "alice", *, fingerprint: str = "") -> SubmissionResult:
    linear = TaskResult("Linear", 0.0, 1.0, (
        record("test_linear[bias]", "Linear", "failed", SHAPE_MESSAGE),
        record("test_linear[no-bias]", "Linear"),
        record("test_linear_float64", "Linear", "failed", "<student Linear> & co: no grad_weight",
               "private"),
    ))
    dropout = TaskResult("Dropout", 1.5, 1.5, (
        record("test_dropout[0.5]", "Dropout"), record("test_dropout_rate", "Dropout", visibility="private"),
    ))
    return SubmissionResult(student=student, assignment="autodiff", tasks=(linear, dropout), raw=1.5,
                            multiplier=0.85, final=1.28, late_minutes=1440.0,
                            isolation="bubblewrap", fingerprint=fingerprint,
                            intake_messages=("modules/x.py: a symbolic link, ignored",))


def statement_lines(path: Path) -> set[str]:
    """The first line of every statement of a test file (a continuation line of a call, such as
    `nb_epoch=1, learning_rate=0.1)`, also appears in messages that describe the call)."""
    lines = path.read_text().splitlines()
    return {lines[node.lineno - 1].strip() for node in ast.walk(ast.parse("\n".join(lines)))
            if isinstance(node, ast.stmt)} - {""}
