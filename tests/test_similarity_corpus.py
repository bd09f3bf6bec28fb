"""The similarity report proven on a corpus whose copies are known (tests/similarity_corpus.py):
copies rank above independent work, a partial copy is flagged on what was copied only, independent
solutions, the template and a common bug flag nothing, and shared wrong numbers count only when few
in the batch share them."""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

import nbformat
import pytest
import similarity_corpus as corpus

from autograder import config, similarity
from autograder.batch import grade_batch
from autograder.grading.runner import grade_submission
from autograder.results import SubmissionResult

SPEC = config.load("autodiff")
COPIED_TASKS = {"Linear", "BatchNormalization", "Dropout"}


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return corpus.write_bases(SPEC, tmp_path_factory.mktemp("bases"))


def test_a_disguise_changes_the_text_and_keeps_the_code_valid(bases: dict[str, Path], tmp_path: Path) -> None:
    copy = corpus.disguise(bases["reference"], tmp_path / "copy", seed=1)
    for original in corpus._package_files(bases["reference"]):
        disguised = (copy / "modules" / original.name).read_text()
        assert disguised != original.read_text()
        names = {n.name for n in ast.parse(disguised).body if isinstance(n, ast.ClassDef)}
        assert names == {n.name for n in ast.parse(original.read_text()).body if isinstance(n, ast.ClassDef)}


def test_a_disguise_is_the_same_for_the_same_seed(bases: dict[str, Path], tmp_path: Path) -> None:
    first = corpus.disguise(bases["alpha"], tmp_path / "first", seed=5)
    second = corpus.disguise(bases["alpha"], tmp_path / "second", seed=5)
    assert all((first / "modules" / p.name).read_text() == (second / "modules" / p.name).read_text()
               for p in corpus._package_files(first))


def test_each_transform_applies_somewhere() -> None:
    source = ("import numpy as np\n\n\ndef f(a, b):\n    c = a @ b\n    return np.dot(c ** 2, b)\n\n\n"
              "def g(x):\n    '''Doc.'''\n    return x * x + 1\n")
    seen = {corpus.disguise_source(source, random.Random(seed)) for seed in range(40)}
    assert any(text.count("np.dot(") == 2 for text in seen)  # a @ b -> np.dot(a, b)
    assert any(text.count(" @ ") == 2 for text in seen)  # np.dot(a, b) -> a @ b
    assert any("**" not in text.split("def g")[0] for text in seen)  # c ** 2 -> c * c
    assert any("**" in text.split("def g")[1] for text in seen)  # x * x -> x ** 2
    assert any(re.search(r"return \w+\n", text) for text in seen)  # a temporary split off
    assert any(text.count(" = ") == 0 for text in seen)  # the temporary c inlined
    assert any("(a, b)" not in text for text in seen)  # parameters renamed
    assert all("Doc." not in text for text in seen)


def test_a_disguised_copy_and_a_partial_copy_grade_as_their_originals(
        bases: dict[str, Path], tmp_path: Path) -> None:
    partial = corpus.partial_copy(bases["beta"], bases["gamma"], COPIED_TASKS, SPEC, tmp_path / "p", 3)
    graded = grade_submission(partial, SPEC, student="partial")
    assert graded.result.raw == 10.0, [t for t in graded.result.tasks if t.points < t.max_points]


# ---- the report on the corpus: grades a batch -------------------------------------------------


@pytest.fixture(scope="module")
def graded(bases: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[dict[str, Path], dict[str, SubmissionResult]]:
    """Every submission the tests compare, graded once: independent work, disguised and partial
    copies, the template twice, and the common bug written four ways."""
    folder = tmp_path_factory.mktemp("corpus")
    entries = {name: bases[name] for name in ("reference", "untouched", *corpus.STYLES)}
    entries["untouched-2"] = bases["untouched"]
    entries["bn-reference"] = bases["batchnorm-unbiased-variance"]
    for seed, name in enumerate(("reference", "alpha")):
        entries[f"{name}~copy"] = corpus.disguise(bases[name], folder / "made" / f"{name}~copy", seed)
    entries["partial"] = corpus.partial_copy(bases["beta"], bases["gamma"], COPIED_TASKS, SPEC,
                                             folder / "made" / "partial", 11)
    for style in corpus.STYLES:
        entries[f"bn-{style}"] = corpus.with_common_bug(bases[style], folder / "made" / f"bn-{style}")
    batch = folder / "batch"
    batch.mkdir()
    for name, path in entries.items():
        (batch / name).symlink_to(path, target_is_directory=True)
    report = grade_batch(batch, "autodiff", folder / "out", jobs=2, show_progress=False)
    return {name: batch / name for name in entries}, {r.student: r for r in report.results}


def _compare(graded: tuple[dict[str, Path], dict[str, SubmissionResult]], names: list[str]
             ) -> similarity.SimilarityReport:
    paths, results = graded
    return similarity.compare(SPEC, {n: paths[n] for n in names}, {n: results[n] for n in names})


def _pair_scores(report: similarity.SimilarityReport) -> dict[frozenset[str], float]:
    scores: dict[frozenset[str], float] = {}
    for pair in report.pairs:
        key = frozenset((pair.student_a, pair.student_b))
        scores[key] = max(scores.get(key, 0.0), pair.score)
    return scores


@pytest.mark.slow
def test_every_copied_pair_ranks_above_every_independent_pair(graded) -> None:
    names = ["reference", "alpha", "beta", "gamma", "reference~copy", "alpha~copy", "untouched"]
    scores = _pair_scores(_compare(graded, names))
    copied = {frozenset(("reference", "reference~copy")), frozenset(("alpha", "alpha~copy"))}
    everyone = {frozenset((a, b)) for a in names for b in names if a < b}
    assert min(scores.get(pair, 0.0) for pair in copied) > max(
        scores.get(pair, 0.0) for pair in everyone - copied), scores


@pytest.mark.slow
def test_a_partial_copy_is_flagged_on_the_copied_tasks_only(graded) -> None:
    report = _compare(graded, ["reference", "alpha", "beta", "partial", "untouched"])
    flagged = {(frozenset((p.student_a, p.student_b)), p.task) for p in report.pairs if p.flagged}
    # Dropout, a few lines, scores 0.4 (below the flag) with this engine: a short copied task is
    # listed, not flagged; what is flagged is the copied pair on copied tasks only
    assert {(frozenset(("beta", "partial")), task) for task in ("Linear", "BatchNormalization")
            } <= flagged <= {(frozenset(("beta", "partial")), task) for task in COPIED_TASKS}


@pytest.mark.slow
def test_independent_solutions_written_differently_are_not_flagged(graded) -> None:
    report = _compare(graded, ["reference", *corpus.STYLES])
    assert [p for p in report.pairs if p.flagged] == []


@pytest.mark.slow
def test_the_template_alone_flags_nothing(graded) -> None:
    report = _compare(graded, ["untouched", "untouched-2", "reference", "alpha"])
    assert [p for p in report.pairs if p.flagged] == []


@pytest.mark.slow
def test_a_common_bug_written_differently_is_not_flagged(graded) -> None:
    names = ["bn-reference", *(f"bn-{style}" for style in corpus.STYLES), "untouched"]
    report = _compare(graded, names)
    assert [p for p in report.pairs if p.flagged] == []
    assert all(p.behaviour_score == 0 for p in report.pairs if p.task == "BatchNormalization")


@pytest.mark.slow
def test_the_same_wrong_numbers_count_only_when_few_share_them(graded) -> None:
    pair = frozenset(("bn-reference", "bn-alpha"))

    def behaviour(names: list[str]) -> float:
        rows = [p for p in _compare(graded, names).pairs
                if frozenset((p.student_a, p.student_b)) == pair and p.task == "BatchNormalization"]
        return max((p.behaviour_score for p in rows), default=0.0)

    few = behaviour(["bn-reference", "bn-alpha", "beta", "gamma", "untouched", "alpha~copy"])
    many = behaviour(["bn-reference", "bn-alpha", "bn-beta", "bn-gamma", "untouched", "alpha~copy"])
    assert few > 0 and many == 0, (few, many)


def _disguised_notebook(source: Path, target: Path, seed: int) -> Path:
    """`source` with every code cell that parses disguised as a package file is."""
    notebook = nbformat.read(source, as_version=4)
    rng = random.Random(seed)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            try:
                cell.source = corpus.disguise_source(cell.source, rng)
            except SyntaxError:  # a cell with a magic line stays as it is
                continue
    nbformat.write(notebook, target)
    return target


def test_notebooks_are_compared_cell_by_cell_like_packages(tmp_path: Path) -> None:
    notebooks = config.load("ownpackage")  # seven tasks of notebook code, most of them long
    reference = notebooks.solution_dir / "notebook.ipynb"
    batch = {"ref": reference, "copy": _disguised_notebook(reference, tmp_path / "copy.ipynb", seed=3),
             "template": notebooks.student_dir / "notebook.ipynb"}
    report = similarity.compare(notebooks, batch)
    flagged = [p for p in report.pairs if p.flagged]
    assert {(p.student_a, p.student_b) for p in flagged} == {("copy", "ref")}, report.pairs
    assert len({p.task for p in flagged}) >= len(notebooks.tasks) // 2, [p.task for p in flagged]
    assert all(f.where_a.startswith("cell ") and f.where_b.startswith("cell ")
               for p in flagged for f in p.fragments), flagged[0].fragments
