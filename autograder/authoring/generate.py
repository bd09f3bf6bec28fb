"""Generate a student version from a reference solution: the solutions are the single source of truth.

In `.py` files and notebook code cells, a block between `# BEGIN SOLUTION` and `# END SOLUTION`
becomes `raise NotImplementedError` at the block's indentation, and a block between
`# BEGIN HIDDEN` and `# END HIDDEN` disappears. Notebook outputs are cleared. The assignment's
public tests are copied beside the code, so students can check themselves.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

BEGIN, END = "# BEGIN {}", "# END {}"
# The blocks a marker opens: a solution (stubbed) or hidden code (dropped).
BLOCKS = ("SOLUTION", "HIDDEN")
STUB = "raise NotImplementedError"


class MarkerError(Exception):
    """Markers are unbalanced or nested; the message names the file and line."""


def strip_solutions(text: str, where: str) -> str:
    """Replace solution blocks by stubs and drop hidden blocks."""
    output: list[str] = []
    open_kind: str | None = None
    opened_at = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.strip()
        begins = [k for k in BLOCKS if stripped == BEGIN.format(k)]
        ends = [k for k in BLOCKS if stripped == END.format(k)]
        if begins:
            if open_kind:
                raise MarkerError(f"{where}:{number}: {stripped} inside an open {open_kind} block")
            open_kind, opened_at = begins[0], number
            if open_kind == "SOLUTION":
                indent = line[: len(line) - len(line.lstrip())]
                output.append(f"{indent}{STUB}\n")
        elif ends:
            if open_kind != ends[0]:
                raise MarkerError(f"{where}:{number}: {stripped} without a matching BEGIN")
            open_kind = None
        elif open_kind is None:
            output.append(line)
    if open_kind:
        raise MarkerError(f"{where}:{opened_at}: # BEGIN {open_kind} is never closed")
    return "".join(output)


def student_notebook(source: Path) -> str:
    """The student's copy of a reference notebook: stubs in code cells, no outputs."""
    notebook = nbformat.read(source, as_version=4)
    for index, cell in enumerate(notebook.cells):
        cell.source = strip_solutions(cell.source, f"{source}, cell {index}")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def generate(solution_dir: Path, public_tests: Path, target: Path) -> list[Path]:
    """Write the student version of `solution_dir` into `target` (replaced); return its files."""
    if target.exists():
        shutil.rmtree(target)
    written = []
    for source in sorted(p for p in solution_dir.rglob("*") if p.is_file()):
        if "__pycache__" in source.parts:
            continue
        destination = target / source.relative_to(solution_dir)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".py":
            destination.write_text(strip_solutions(source.read_text(), str(source)))
        elif source.suffix == ".ipynb":
            destination.write_text(student_notebook(source))
        else:
            shutil.copyfile(source, destination)
        written.append(destination)
    for test in sorted(public_tests.glob("test_*.py")):
        destination = target / "tests" / test.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(test, destination)
        written.append(destination)
    return written
