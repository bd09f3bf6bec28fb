"""The student versions are generated from the solutions, and the committed ones are up to date."""

from __future__ import annotations

import filecmp
from pathlib import Path

import nbformat
import pytest

from autograder import config
from autograder.authoring.generate import MarkerError, generate, strip_solutions

SOLVED = """\
def f(x):
    \"\"\"Doubles x.\"\"\"
    # BEGIN SOLUTION
    y = 2 * x
    return y
    # END SOLUTION

# BEGIN HIDDEN
SECRET = 42
# END HIDDEN
"""


def test_solution_block_becomes_a_stub_at_its_indentation() -> None:
    student = strip_solutions(SOLVED, "f.py")
    assert '    """Doubles x."""\n    raise NotImplementedError\n' in student
    assert "2 * x" not in student


def test_hidden_block_disappears() -> None:
    assert "SECRET" not in strip_solutions(SOLVED, "f.py")


@pytest.mark.parametrize("text, problem", [
    ("# BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n# END SOLUTION\n", "without a matching BEGIN"),
    ("# BEGIN SOLUTION\n# BEGIN HIDDEN\n# END HIDDEN\n# END SOLUTION\n", "inside an open"),
])
def test_unbalanced_markers_are_reported_with_file_and_line(text: str, problem: str) -> None:
    with pytest.raises(MarkerError, match=f"f.py:\\d+: .*{problem}"):
        strip_solutions(text, "f.py")


def test_notebook_cells_are_stubbed_and_outputs_cleared(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(SOLVED, execution_count=3)
    cell.outputs = [nbformat.v4.new_output("stream", text="hi")]
    notebook.cells = [nbformat.v4.new_markdown_cell("# Task"), cell]
    solutions = tmp_path / "solution"
    solutions.mkdir()
    nbformat.write(notebook, solutions / "work.ipynb")
    generate(solutions, tmp_path / "no-tests", tmp_path / "student")
    student = nbformat.read(tmp_path / "student" / "work.ipynb", as_version=4)
    code = student.cells[1]
    assert "raise NotImplementedError" in code.source and "2 * x" not in code.source
    assert code.outputs == [] and code.execution_count is None


@pytest.mark.parametrize("name", config.available())
def test_committed_student_version_matches_generation(name: str, tmp_path: Path) -> None:
    spec = config.load(name)
    generate(spec.solution_dir, spec.test_dirs["public"], tmp_path / name)
    comparison = filecmp.dircmp(tmp_path / name, spec.student_dir, ignore=["__pycache__"])
    stale = _differences(comparison)
    assert not stale, f"assignments/{name} is stale ({stale}); run `make assignments`"


def _differences(comparison: filecmp.dircmp) -> list[str]:
    found = comparison.left_only + comparison.right_only
    _, mismatch, errors = filecmp.cmpfiles(comparison.left, comparison.right,
                                           comparison.common_files, shallow=False)
    found += mismatch + errors
    for sub in comparison.subdirs.values():
        found += _differences(sub)
    return found
