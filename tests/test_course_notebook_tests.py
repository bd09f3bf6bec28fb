"""The courses' own in-notebook tests, run on our reference notebooks: the conventions the kit
grades by (per-sample Jacobians of shape (batch, out, in), W flattened row by row, grad_W of the
shape of W, ...) are the seeds' own, checked with the seeds' own code, so that a student who passes
the course's tests is graded on the same interface."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import config
from autograder.intake.notebook import notebook_statements

# Which code cells of each reference notebook are the course's tests, kept there verbatim.
COURSE_TESTS = {
    # seed 001: numerical_diff_net / numerical_diff_layer / numerical_grad_b / numerical_grad_W,
    # each call prints "Test PASSED" or "Something went wrong!"
    "ownpackage": ("test_net(", "test_layer(", "test_grad_b()", "test_grad_W()"),
    # seed 004: the shape asserts and the finite-difference check of ReLU after each class
    "engine": ("assert ",),
}
SEED_001_TEST_CALLS = 7  # CrossEntropy, Softmax, ReLU, DenseLayer, Network, grad_b, grad_W
SEED_004_ASSERTS = 10  # 2 on Sequential of identity layers, 4 on Linear, 4 on ReLU


def reference_definitions(spec: config.AssignmentSpec) -> dict[str, object]:
    """The reference's imports, functions and classes, as intake keeps them for the worker (which
    skips a failing statement: here only the imports of the ungraded Keras and PyTorch demos)."""
    return notebook_definitions(spec, spec.solution_dir)


def notebook_definitions(spec: config.AssignmentSpec, folder: Path) -> dict[str, object]:
    """`reference_definitions` of the notebook in `folder` (a sample's, say)."""
    namespace: dict[str, object] = {}
    data = (folder / spec.notebook).read_bytes()
    for statement in notebook_statements(data, spec.notebook, spec.answers, []):
        try:
            exec(compile(statement.source, spec.notebook, "exec"), namespace)
        except ImportError:
            continue
    return namespace


def course_test_cells(spec: config.AssignmentSpec, markers: tuple[str, ...]) -> list[str]:
    notebook = nbformat.read(spec.solution_dir / spec.notebook, as_version=4)
    return [cell.source for cell in notebook.cells
            if cell.cell_type == "code" and any(marker in cell.source for marker in markers)]


@pytest.mark.parametrize("assignment", sorted(COURSE_TESTS))
def test_the_courses_own_notebook_tests_pass_on_the_reference(assignment, capsys) -> None:
    spec = config.load(assignment)
    namespace = reference_definitions(spec)
    cells = course_test_cells(spec, COURSE_TESTS[assignment])
    asserts = sum(isinstance(node, ast.Assert) for cell in cells for node in ast.walk(ast.parse(cell)))
    np.random.seed(0)
    for cell in cells:
        exec(compile(cell, spec.notebook, "exec"), namespace)
    printed = capsys.readouterr().out
    assert "Something went wrong" not in printed, printed
    if assignment == "ownpackage":
        assert printed.count("Test PASSED") == SEED_001_TEST_CALLS, printed
    else:
        assert asserts == SEED_004_ASSERTS, cells
