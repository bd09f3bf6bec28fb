"""The Russian notebooks (`notebook.ru.ipynb`) are their English twins in Russian: the same code
cells in the same order, AST-equal once comments and docstrings are set aside (the courses' own
code carries Russian comments), with the same solution markers, in the reference and in the
student version; graded, the Russian reference earns full marks and the untouched Russian student
version zero, as the English ones do."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder import config
from autograder.authoring.samples import load_samples, write_sample
from autograder.batch import grade_folder
from autograder.intake.notebook import strip_ipython

RUSSIAN = ".ru.ipynb"
MARKER = re.compile(r"^\s*# (BEGIN|END) (SOLUTION|HIDDEN)\s*$", re.MULTILINE)
CYRILLIC = re.compile("[А-Яа-яЁё]")


def english_notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if not p.name.endswith(RUSSIAN))


def russian_of(english: Path) -> Path:
    return english.with_name(english.name.removesuffix(".ipynb") + RUSSIAN)


# Every pair of an English notebook and its Russian edition, in the solutions and in the
# generated student versions, as (assignment, version, path relative to the version's folder).
PAIRS = [(name, version, english.relative_to(folder))
         for name in config.available()
         for version, folder in (("solution", config.load(name).solution_dir),
                                 ("student", config.load(name).student_dir))
         for english in english_notebooks(folder) if russian_of(english).is_file()]


def version_dir(name: str, version: str) -> Path:
    spec = config.load(name)
    return spec.solution_dir if version == "solution" else spec.student_dir


def code_cells(path: Path) -> list[str]:
    return [cell.source for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "code"]


def without_docstrings(source: str) -> str:
    """The cell's code as Python reads it, docstrings dropped (comments never reach the AST)."""
    tree = ast.parse(strip_ipython(source) or "")
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:]
    return ast.dump(tree)


def test_the_comparison_sets_comments_and_docstrings_aside_but_no_code() -> None:
    english = 'def f(x):\n    """Doubles x."""\n    return 2 * x  # twice\n'
    russian = 'def f(x):\n    """Удваивает x."""\n    return 2 * x  # дважды\n'
    assert without_docstrings(russian) == without_docstrings(english)
    assert without_docstrings(english.replace("2 * x", "3 * x")) != without_docstrings(english)
    assert without_docstrings(english.replace("(x)", "(y)")) != without_docstrings(english)


@pytest.mark.parametrize("name", config.available())
def test_every_notebook_of_a_solution_and_of_its_student_version_has_a_russian_edition(
        name: str) -> None:
    spec = config.load(name)
    missing = [str(english) for folder in (spec.solution_dir, spec.student_dir)
               for english in english_notebooks(folder) if not russian_of(english).is_file()]
    assert not missing, (f"no Russian edition of {missing}: write solutions/{name}/"
                         "notebook.ru.ipynb, then `make assignments`")


@pytest.mark.parametrize("name, version, notebook", PAIRS)
def test_russian_code_cells_are_the_english_ones_comments_and_docstrings_aside(
        name: str, version: str, notebook: Path) -> None:
    english = code_cells(version_dir(name, version) / notebook)
    russian = code_cells(russian_of(version_dir(name, version) / notebook))
    assert len(russian) == len(english), "not the same number of code cells"
    for index, (en, ru) in enumerate(zip(english, russian, strict=True)):
        assert without_docstrings(ru) == without_docstrings(en), f"code cell {index} differs"


@pytest.mark.parametrize("name, version, notebook", PAIRS)
def test_russian_code_cells_carry_the_english_solution_markers(name: str, version: str,
                                                               notebook: Path) -> None:
    english = code_cells(version_dir(name, version) / notebook)
    russian = code_cells(russian_of(version_dir(name, version) / notebook))
    assert [MARKER.findall(ru) for ru in russian] == [MARKER.findall(en) for en in english]


@pytest.mark.parametrize("name, version, notebook", PAIRS)
def test_every_markdown_cell_of_a_russian_notebook_is_in_russian(name: str, version: str,
                                                                 notebook: Path) -> None:
    cells = nbformat.read(russian_of(version_dir(name, version) / notebook), as_version=4).cells
    english = [index for index, cell in enumerate(cells)
               if cell.cell_type == "markdown" and not CYRILLIC.search(cell.source)]
    assert not english, f"markdown cells without a Russian word: {english}"


def test_samples_are_handed_in_as_students_of_the_english_edition_hand_them_in(tmp_path) -> None:
    """`make grade`'s samples keep their scores and notes: the Russian notebook stays out."""
    spec = config.load("engine")
    write_sample(spec, load_samples(spec)[0], tmp_path / "sample")
    assert [p.name for p in (tmp_path / "sample").glob("*.ipynb")] == [spec.notebook]


GRADED = sorted({name for name, _, _ in PAIRS if config.load(name).notebook})


@pytest.mark.slow
@pytest.mark.parametrize("name", GRADED)
def test_russian_reference_earns_full_marks_and_untouched_russian_notebook_zero(
        name: str, tmp_path: Path) -> None:
    """Handed in alone, as a student of the Russian edition hands it in, or in the folder handed
    out, beside the English notebook left as it was."""
    spec = config.load(name)
    submissions = tmp_path / "submissions"
    (submissions / "beside-english").mkdir(parents=True)
    shutil.copyfile(russian_of(spec.solution_dir / spec.notebook), submissions / "reference.ipynb")
    shutil.copyfile(russian_of(spec.student_dir / spec.notebook), submissions / "untouched.ipynb")
    shutil.copyfile(russian_of(spec.solution_dir / spec.notebook),
                    russian_of(submissions / "beside-english" / spec.notebook))
    shutil.copyfile(spec.student_dir / spec.notebook, submissions / "beside-english" / spec.notebook)
    results = {r.student: r for r in grade_folder(submissions, name, tmp_path / "grades", jobs=2,
                                                   show_progress=False)}
    for solved in ("reference", "beside-english"):
        assert results[solved].raw == spec.max_points + spec.bonus_points, [
            f"{solved}: {t.task}/{t.name}: {t.message[:200]}" for task in results[solved].tasks
            for t in task.tests if not t.passed]
    untouched = results["untouched"]
    assert untouched.raw == 0.0
    messages = [t.message for task in untouched.tasks for t in task.tests]
    assert messages and all("not implemented yet" in m or "not run" in m for m in messages)
