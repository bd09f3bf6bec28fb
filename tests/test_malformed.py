"""Malformed submissions, graded end to end in one batch: each gets a clear message and exactly the
points the rest of it earns, and the batch writes a result for every one.

Each is the "lecture" reference notebook damaged in one way a real hand-in is damaged.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder import config
from autograder.batch import grade_folder
from autograder.results import SubmissionResult

pytestmark = [pytest.mark.sandbox,  # graded in both isolation modes (make test forces the fallback)
              pytest.mark.slow]
ASSIGNMENT = "lecture"
SPEC = config.load(ASSIGNMENT)
FULL = sum(task.points for task in SPEC.tasks)
PRELU = next(task.points for task in SPEC.tasks if task.name == "PReLU")
REFERENCE = SPEC.solution_dir / SPEC.notebook


def reference() -> nbformat.NotebookNode:
    return nbformat.read(REFERENCE, as_version=4)


def defining(notebook: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The code cell that defines class `name`."""
    return next(c for c in notebook.cells if c.cell_type == "code" and f"class {name}" in c.source)


def notebook_bytes(notebook: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(notebook).encode()


def edited(edit: Callable[[nbformat.NotebookNode], None]) -> bytes:
    notebook = reference()
    edit(notebook)
    return notebook_bytes(notebook)


def zipped(members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open(SPEC.notebook, "w", force_zip64=True) as member:
        for _ in range(300):
            member.write(b"\0" * 2**20)
    return buffer.getvalue()


def reorder(notebook: nbformat.NotebookNode) -> None:
    notebook.cells.reverse()


def duplicate(notebook: nbformat.NotebookNode) -> None:
    notebook.cells = [copy for cell in notebook.cells
                      for copy in (cell, nbformat.from_dict({**cell, "id": f"{cell.id}-again"}))]


def delete_prelu(notebook: nbformat.NotebookNode) -> None:
    notebook.cells.remove(defining(notebook, "PReLU"))


def rename_prelu(notebook: nbformat.NotebookNode) -> None:
    cell = defining(notebook, "PReLU")
    cell.source = cell.source.replace("class PReLU", "class PRelu")


def break_prelu_cell(notebook: nbformat.NotebookNode) -> None:
    defining(notebook, "PReLU").source += "\n\ndef unfinished(:\n    pass\n"


def add_magics(notebook: nbformat.NotebookNode) -> None:
    for name in ("Sigmoid", "PReLU"):
        cell = defining(notebook, name)
        cell.source = "%matplotlib inline\n!pip install torch\n" + cell.source
    notebook.cells.insert(0, nbformat.v4.new_code_cell("%%bash\necho hello"))


def huge_outputs(notebook: nbformat.NotebookNode) -> None:
    defining(notebook, "Sigmoid").outputs = [
        nbformat.v4.new_output("stream", text=("loss: 0.1" + " " * 90 + "\n") * 2**20)]


def non_utf8() -> bytes:
    notebook = reference()
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell("Ivanov's caf\u00e9 homework"))
    return notebook_bytes(notebook).replace("caf\u00e9".encode(), b"caf\xe9")


@dataclass(frozen=True)
class Malformed:
    """A submission's file name, what makes its bytes (or a folder's files) when the batch is
    written, its score and a message part."""

    entry: str
    content: Callable[[], bytes | dict[str, bytes]]
    expected: float
    message: str  # found in the intake messages, or in a failed test's message if it starts "test:"


CORPUS = {
    "not-json": Malformed("not-json.ipynb", lambda: b"print('hello')\n", 0.0, "not valid JSON"),
    "json-not-a-notebook": Malformed("json-not-a-notebook.ipynb", lambda: b'{"cells": "none"}', 0.0,
                                     "not a valid notebook"),
    "nbformat-3": Malformed("nbformat-3.ipynb", lambda: nbformat.writes(
        nbformat.convert(reference(), 3)).encode(), FULL, ""),
    "empty-notebook": Malformed("empty-notebook.ipynb", lambda: notebook_bytes(nbformat.v4.new_notebook()),
                                0.0, "no imports, functions or classes"),
    "cells-reordered": Malformed("cells-reordered.ipynb", lambda: edited(reorder), FULL, ""),
    "cells-duplicated": Malformed("cells-duplicated.ipynb", lambda: edited(duplicate), FULL, ""),
    "cell-deleted": Malformed("cell-deleted.ipynb", lambda: edited(delete_prelu), FULL - PRELU,
                              "test:PReLU"),
    "class-renamed": Malformed("class-renamed.ipynb", lambda: edited(rename_prelu), FULL - PRELU,
                               "test:PReLU"),
    "syntax-error-in-one-cell": Malformed("syntax-error-in-one-cell.ipynb", lambda: edited(break_prelu_cell),
                                          FULL - PRELU, "syntax error"),
    "magics-and-shell-escapes": Malformed("magics-and-shell-escapes.ipynb", lambda: edited(add_magics), FULL,
                                          ""),
    "non-utf8-bytes": Malformed("non-utf8-bytes.ipynb", non_utf8, FULL, "not UTF-8"),
    "100mb-of-outputs": Malformed("100mb-of-outputs.ipynb", lambda: edited(huge_outputs), FULL, ""),
    "zip-with-nested-folders": Malformed("zip-with-nested-folders.zip", lambda: zipped(
        {"ivanov/hw2/final/notebook.ipynb": REFERENCE.read_bytes()}), FULL, ""),
    "zip-with-a-symlink": Malformed("zip-with-a-symlink.zip", lambda: zipped(
        {"notebook.ipynb": REFERENCE.read_bytes()}, {"answers.ipynb": "/etc/shadow"}), FULL,
        "a symbolic link, ignored"),
    "zip-with-path-traversal": Malformed("zip-with-path-traversal.zip", lambda: zipped(
        {"notebook.ipynb": REFERENCE.read_bytes(), "../../../tmp/escaped.ipynb": b"{}"}), FULL,
        "a path outside the archive, ignored"),
    "zip-bomb": Malformed("zip-bomb.zip", zip_bomb, 0.0, "over the size limits"),
    "wrong-extension": Malformed("wrong-extension.txt", lambda: REFERENCE.read_bytes(), 0.0,
                                 "or the notebook itself"),
    "renamed-notebook-in-a-folder": Malformed("renamed-notebook-in-a-folder", lambda: {
        "HW2_Ivanov_final.ipynb": REFERENCE.read_bytes(),
        "scratch.ipynb": notebook_bytes(nbformat.v4.new_notebook())}, FULL,
        "graded HW2_Ivanov_final.ipynb"),
    "a-folder-without-a-notebook": Malformed("a-folder-without-a-notebook", lambda: {
        "solution.py": b"class PReLU:\n    pass\n"}, 0.0, "no Jupyter notebook"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, SubmissionResult], Path]:
    folder = tmp_path_factory.mktemp("malformed") / "submissions"
    for case in CORPUS.values():
        target = folder / case.entry
        content = case.content()
        if isinstance(content, dict):
            for name, data in content.items():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                (target / name).write_bytes(data)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    out = folder.parent / "grades"
    results = grade_folder(folder, ASSIGNMENT, out, jobs=2, use_file_times=False,
                           show_progress=False)
    return {r.student: r for r in results}, out


def test_the_corpus_covers_at_least_fifteen_kinds_of_damage():
    assert len(CORPUS) >= 15
    assert len(CORPUS["100mb-of-outputs"].content()) > 100 * 2**20


@pytest.mark.parametrize("name", list(CORPUS))
def test_a_malformed_submission_earns_what_the_rest_of_it_earns_with_a_clear_message(graded, name):
    results, out = graded
    case = CORPUS[name]
    result = results[name]
    assert result.grader_errors == 0
    assert result.raw == pytest.approx(case.expected), (result.intake_messages, [
        (t.name, test.message) for t in result.tasks for test in t.tests if not test.passed])
    if case.message.startswith("test:"):
        task = next(t for t in result.tasks if t.name == case.message.removeprefix("test:"))
        assert task.points == 0 and all(case.message[5:] in t.message for t in task.tests
                                        if not t.passed)
    elif case.message:
        assert any(case.message in message for message in result.intake_messages), \
            result.intake_messages
    feedback = (out / name / "feedback.md").read_text()
    assert f"{result.raw:g}" in feedback


def test_the_gradebook_has_a_row_for_every_malformed_submission(graded):
    _, out = graded
    rows = (out / "gradebook.csv").read_text().splitlines()[1:]
    assert sorted(row.split(",")[0] for row in rows) == sorted(CORPUS)

