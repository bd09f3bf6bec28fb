"""The similarity engine (autograder.similarity): what it extracts per task, what it takes out
(given code, the template, what the batch has in common), the winnowed fingerprints, the wrong
outputs, clusters, the CSV and JSON, the command and the gradebook's column. The disguised-copy
corpus and its figures are tests/test_similarity_corpus.py's and the bench's."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from reports_helpers import make_result
from test_speed import write_assignment

from autograder import batch, cli, config
from autograder.intake.notebook import Source
from autograder.reports import files
from autograder.results import SubmissionResult, TaskResult, TestRecord
from autograder.similarity import (
    Fragment,
    PairScore,
    SimilarityReport,
    compare,
    inputs,
    similar_to,
    similarity_csv,
    similarity_json,
)
from autograder.similarity.extract import task_pieces
from autograder.similarity.fingerprint import tokens, winnow

AUTODIFF = config.load("autodiff")
TASKS = """
given = ["Linear.__init__"]

[[tasks]]
name = "Linear"
points = 1
code = ["Linear"]

[[tasks]]
name = "ReLU"
points = 1
code = ["ReLU"]
"""
# Three ways to write one Linear layer (the given __init__ is the same in all); RELU is short.
INIT = """
    def __init__(self, n_in, n_out):
        self.W = np.random.randn(n_in, n_out) * 0.01
        self.b = np.zeros(n_out)
"""
LINEARS = {
    "plain": '''
class Linear:
    INIT
    def forward(self, x):
        """Affine map."""
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad, lr=0.1):
        # gradients of the parameters, then the input's
        grad_w = self.x.T @ grad
        grad_b = grad.sum(axis=0)
        grad_x = grad @ self.W.T
        self.W = self.W - lr * grad_w
        self.b = self.b - lr * grad_b
        return grad_x
''',
    "loops": '''
class Linear:
    INIT
    def forward(self, inputs):
        self.saved = inputs
        out = np.zeros((inputs.shape[0], self.W.shape[1]))
        for i in range(inputs.shape[0]):
            out[i] = np.dot(inputs[i], self.W) + self.b
        return out

    def backward(self, g, learning_rate=0.1):
        dx = np.dot(g, np.transpose(self.W))
        for row, grad_row in zip(self.saved, g):
            self.W -= learning_rate * np.outer(row, grad_row)
        self.b -= learning_rate * np.mean(g, axis=0) * len(g)
        return dx
''',
    "einsum": '''
class Linear:
    INIT
    def forward(self, batch):
        self.cache = batch.copy()
        return np.einsum("bi,io->bo", batch, self.W) + self.b[None, :]

    def backward(self, upstream, step=0.1):
        result = np.einsum("bo,io->bi", upstream, self.W)
        self.W -= step * np.einsum("bi,bo->io", self.cache, upstream)
        self.b -= step * upstream.sum(0)
        return result
''',
}
RELU = """
class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, grad):
        return grad * self.mask
"""


def disguised(code: str) -> str:
    """`code` as a copier hides it: names renamed consistently, comments and docstrings changed,
    the methods swapped."""
    for old, new in (("grad_w", "dW"), ("grad_b", "db"), ("grad_x", "dX"), ("self.x", "self.inp"),
                     ("lr", "eta"), ("# gradients of the parameters, then the input's", "# mine"),
                     ('"""Affine map."""', '"""Computes y = xW + b as in class."""')):
        code = code.replace(old, new)
    head, rest = code.split("\n    def forward")
    forward, backward = rest.split("\n    def backward")
    return f"{head}\n    def backward{backward.rstrip()}\n\n    def forward{forward.rstrip()}\n"


def package(root: Path, name: str, linear: str, relu: str = RELU) -> Path:
    folder = root / name / "modules"
    folder.mkdir(parents=True)
    code = "import numpy as np\n" + linear.replace("    INIT\n", INIT) + "\n" + relu
    (folder / "layers.py").write_text(code)
    return root / name


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> config.AssignmentSpec:
    return write_assignment(tmp_path / "assignments", monkeypatch, TASKS)


def batch_of(root: Path, linears: dict[str, str]) -> dict[str, Path]:
    return {name: package(root, name, code) for name, code in linears.items()}


def test_a_task_holds_its_classes_methods_and_helpers_without_the_given_ones() -> None:
    code = ("import numpy as np\n\n"
            "def helper(x):\n    return x * 2\n\n"
            "class Linear:\n    def __init__(self):\n        self.w = 1\n\n"
            "    def forward(self, x):\n        return helper(x)\n\n"
            "def unused():\n    pass\n\n"
            "answer = 3\n")
    pieces = task_pieces([Source("cell 4", code, line_offset=1)],
                         {"Linear": "Linear", "answer": "Answers"}, frozenset({"Linear.__init__"}))
    assert [(p.task, p.source.where, p.lines) for p in pieces] == [
        ("Linear", "cell 4", (4, 5)), ("Linear", "cell 4", (11, 12)), ("Answers", "cell 4", (17, 17))]
    assert pieces[1].text == "    def forward(self, x):\n        return helper(x)"


def test_renaming_comments_docstrings_and_reordering_leave_the_fingerprints_alike() -> None:
    original = LINEARS["plain"].replace("    INIT\n", INIT)
    prints = {fp.hash for fp in winnow(tokens(original))}
    copied = {fp.hash for fp in winnow(tokens(disguised(original)))}
    assert len(prints & copied) / len(prints) > 0.8
    assert "Affine" not in " ".join(t.text for t in tokens(original))  # docstring dropped


def test_winnowing_keeps_at_least_one_fingerprint_in_every_window() -> None:
    stream = tokens(RELU * 3)
    positions = [fp.first for fp in winnow(stream)]
    assert positions == sorted(positions) and len(positions) >= len(stream) // 8


def test_fingerprints_are_the_same_in_every_process() -> None:
    script = ("from autograder.similarity.fingerprint import tokens, winnow\n"
              f"print([fp.hash for fp in winnow(tokens({RELU!r}))])")
    runs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(runs) == 1


def test_a_disguised_copy_is_flagged_and_independent_solutions_are_not(spec, tmp_path) -> None:
    submissions = batch_of(tmp_path, {**LINEARS, "copier": disguised(LINEARS["plain"])})
    report = compare(spec, submissions)
    flagged = {(p.student_a, p.student_b, p.task) for p in report.pairs if p.flagged}
    assert flagged == {("copier", "plain", "Linear")}
    top = report.pairs[0]
    assert top.evidence.startswith(f"{top.code_score:.0%} of Linear's own fingerprints shared")
    assert all(f.where_a == f.where_b == "modules/layers.py" for f in top.fragments)


def test_a_short_task_alike_by_necessity_is_never_flagged_on_code_alone(spec, tmp_path) -> None:
    two = {name: LINEARS[name] for name in ("plain", "loops")}  # and the same ReLU
    (relu,) = [p for p in compare(spec, batch_of(tmp_path, two)).pairs if p.task == "ReLU"]
    assert relu.code_score == 1.0 and not relu.flagged
    assert "little own code, never flagged on code alone" in relu.evidence


def test_code_most_of_the_batch_shares_counts_for_no_pair(spec, tmp_path) -> None:
    everyone = {f"student{i}": LINEARS["plain"] for i in range(5)}
    report = compare(spec, batch_of(tmp_path, {**everyone, "other": LINEARS["loops"]}))
    assert report.pairs == ()
    few = compare(spec, batch_of(tmp_path / "few", {**LINEARS, "twin": LINEARS["loops"]}))
    assert [(p.student_a, p.student_b) for p in few.pairs if p.flagged] == [("loops", "twin")]


def test_the_template_and_given_code_alone_flag_nothing() -> None:
    untouched = {name: AUTODIFF.student_dir for name in ("ann", "bob", "cat")}
    assert compare(AUTODIFF, untouched).pairs == ()


def test_template_code_a_student_keeps_is_not_counted_as_theirs(tmp_path) -> None:
    copies = {}
    for name in ("ann", "bob"):
        shutil.copytree(AUTODIFF.student_dir / "modules", tmp_path / name / "modules")
        layers = tmp_path / name / "modules" / "layers.py"
        layers.write_text(layers.read_text() + f"\n\nclass Helper{name}:\n    pass\n")
        copies[name] = tmp_path / name
    assert compare(AUTODIFF, copies).pairs == ()


def result_with(student: str, tests: list[tuple[str, str, tuple[str, ...]]]) -> SubmissionResult:
    records = tuple(TestRecord(name, "Linear", outcome, visibility="private", outputs=outputs)  # type: ignore[arg-type]
                    for name, outcome, outputs in tests)
    return SubmissionResult(student, "made-up", (TaskResult("Linear", 0.0, 1.0, records),),
                            0.0, 1.0, 0.0)


def test_identical_wrong_outputs_tie_two_students_and_right_or_common_ones_do_not(
        spec, tmp_path) -> None:
    names = ["plain", "loops", "einsum", "d", "e", "f"]
    submissions = batch_of(tmp_path, {**LINEARS, **{n: LINEARS["plain"] for n in names[3:]}})
    results = {name: result_with(name, [("test_right", "passed", ("r",)),
                                        ("test_common_bug", "failed", ("c",))]) for name in names}
    for name in ("loops", "einsum"):
        results[name] = result_with(name, [("test_bias", "failed", ("x1", "x2")),
                                           ("test_shape", "failed", ("y",)),
                                           ("test_common_bug", "failed", ("c",))])
    report = compare(spec, submissions, results)
    behaviour = [p for p in report.pairs if p.behaviour_score]
    assert [(p.student_a, p.student_b, p.shared_wrong) for p in behaviour] == [
        ("einsum", "loops", ("test_bias", "test_shape"))]
    assert behaviour[0].flagged and "2 hidden tests failed with identical wrong outputs" in \
        behaviour[0].evidence


def test_right_values_a_failed_test_returned_before_it_failed_tie_nobody(spec, tmp_path) -> None:
    """Two Sigmoids that crash after a right ReLU: the ReLU's value is what the passing run
    returned too, and only a wrong value both returned ties them."""
    submissions = batch_of(tmp_path, LINEARS)
    passing = result_with("plain", [("test_activations", "passed", ("relu", "sigmoid"))])

    def crashed(extra: tuple[str, ...]) -> dict[str, SubmissionResult]:
        return {"plain": passing, **{name: result_with(name, [("test_activations", "failed",
                                                             ("relu", *extra))])
                                     for name in ("loops", "einsum")}}

    assert [p for p in compare(spec, submissions, crashed(())).pairs if p.behaviour_score] == []
    (tied,) = [p for p in compare(spec, submissions, crashed(("wrong",))).pairs if p.behaviour_score]
    assert (tied.student_a, tied.student_b, tied.shared_wrong) == ("einsum", "loops", ("test_activations",))


def test_three_students_linked_by_flagged_pairs_are_a_cluster(spec, tmp_path) -> None:
    ring = {"a": LINEARS["plain"], "b": disguised(LINEARS["plain"]), "c": LINEARS["plain"]}
    others = {f"x{i}": code for i, code in enumerate((LINEARS["loops"], LINEARS["einsum"]) * 8)}
    report = compare(spec, batch_of(tmp_path, {**ring, **others}))
    assert ("a", "b", "c") in report.clusters
    assert all(len(cluster) >= 3 for cluster in report.clusters)


def test_against_solutions_are_compared_with_the_batch_not_with_each_other(spec, tmp_path) -> None:
    batch_paths = batch_of(tmp_path / "batch", {"plain": LINEARS["plain"], "loops": LINEARS["loops"]})
    earlier = batch_of(tmp_path / "earlier", {"old/x": LINEARS["einsum"], "old/y": LINEARS["einsum"],
                                              "old/z": disguised(LINEARS["plain"])})
    report = compare(spec, batch_paths, against=earlier)
    assert [(p.student_a, p.student_b) for p in report.pairs if p.flagged] == [("plain", "old/z")]


def test_the_report_is_the_same_bytes_every_time(spec, tmp_path) -> None:
    submissions = batch_of(tmp_path, {**LINEARS, "copier": disguised(LINEARS["plain"])})
    first, second = compare(spec, submissions), compare(spec, dict(reversed(submissions.items())))
    assert similarity_json(first) == similarity_json(second)
    assert similarity_csv(first) == similarity_csv(second)


def test_the_json_holds_pairs_fragments_clusters_and_each_side_s_code(spec, tmp_path) -> None:
    report = compare(spec, batch_of(tmp_path, {**LINEARS, "copier": disguised(LINEARS["plain"])}))
    data = json.loads(similarity_json(report))
    assert set(data) == {"pairs", "clusters", "snippets"}
    assert data["pairs"][0]["fragments"][0].keys() == {"where_a", "lines_a", "where_b", "lines_b"}
    sides = {(s["student"], s["task"]) for s in data["snippets"]}
    assert {("copier", "Linear"), ("plain", "Linear")} <= sides
    assert any("def backward" in s["text"] for s in data["snippets"])


EVIL = "=HYPERLINK(\"http://x\")"


def hand_made_report() -> SimilarityReport:
    pair = PairScore(EVIL, "+bob", "Linear", 0.9, 0.9, 0.0, True, "-90% shared",
                     (Fragment("a.py", (1, 2), "b.py", (3, 4)),))
    return SimilarityReport((pair,), ())


def test_the_csv_shows_student_controlled_cells_as_text() -> None:
    rows = list(csv.reader(io.StringIO(similarity_csv(hand_made_report()))))
    assert rows[0] == ["student_a", "student_b", "task", "score", "code_score", "behaviour_score",
                       "flagged", "evidence"]
    assert rows[1] == [f"'{EVIL}", "'+bob", "Linear", "0.9000", "0.9000", "0.0000", "yes",
                       "'-90% shared"]


def test_the_gradebook_names_each_student_s_flagged_partners_and_tasks() -> None:
    pairs = (PairScore("ann", "bob", "Linear", 0.9, 0.9, 0, True, ""),
             PairScore("ann", "bob", "Dropout", 0.7, 0.7, 0, True, ""),
             PairScore("ann", "cat", "Linear", 0.3, 0.3, 0, False, ""))
    cells = similar_to(SimilarityReport(pairs, ()))
    assert cells == {"ann": "bob (Linear, Dropout)", "bob": "ann (Linear, Dropout)"}
    text = files.gradebook_csv(["Linear"], [make_result("ann"), make_result("cat")], None, cells)
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["ann"]["similar_to"] == "bob (Linear, Dropout)" and rows["cat"]["similar_to"] == ""


def test_a_similarity_table_is_read_with_defaults_and_checked(tmp_path, monkeypatch) -> None:
    spec = write_assignment(tmp_path, monkeypatch, "\n[similarity]\nthreshold = 0.7\n")
    assert spec.similarity == replace(config.SimilaritySpec(), threshold=0.7)
    for bad in ("threshold = 2", "min_fingerprints = 2.5", "share = 0.1", "floor = true"):
        with pytest.raises(config.ConfigError, match=r"similarity"):
            write_assignment(tmp_path / bad.split()[0], monkeypatch, f"\n[similarity]\n{bad}\n")


def test_the_command_writes_the_csv_and_json_with_stored_results(spec, tmp_path, capsys) -> None:
    submissions = tmp_path / "submissions"
    batch_of(submissions, {**LINEARS, "copier": disguised(LINEARS["plain"])})
    out = tmp_path / "out"
    (out / "loops").mkdir(parents=True)
    stored = result_with("loops", [("test_bias", "failed", ("x",))])
    (out / "loops" / "result.json").write_text(json.dumps({"key": "k", "result": stored.to_dict()}))
    earlier = tmp_path / "earlier"
    batch_of(earlier, {"old": LINEARS["einsum"]})
    assert cli.main(["similarity", str(submissions), "--assignment", "made-up", "--out", str(out),
                     "--against", str(earlier)]) == 0
    rows = list(csv.DictReader(io.StringIO((out / "similarity.csv").read_text())))
    assert {(r["student_a"], r["student_b"], r["flagged"]) for r in rows if r["task"] == "Linear"} >= {
        ("copier", "plain", "yes")}
    assert json.loads((out / "similarity.json").read_text())["pairs"]
    assert "code and behaviour" in capsys.readouterr().out


def test_a_graded_output_folder_as_against_brings_its_results_under_its_name(tmp_path) -> None:
    stored = result_with("ann", [("test_bias", "failed", ("x",))])
    (tmp_path / "fall" / "ann").mkdir(parents=True)
    (tmp_path / "fall" / "ann" / "result.json").write_text(
        json.dumps({"key": "k", "result": stored.to_dict()}))
    batch_of(tmp_path / "spring", {"bob": LINEARS["plain"]})
    paths, results = inputs.against([tmp_path / "fall", tmp_path / "spring"])
    assert paths == {"fall/ann": tmp_path / "fall" / "ann", "spring/bob": tmp_path / "spring" / "bob"}
    assert results == {"fall/ann": stored}


@pytest.mark.slow
def test_a_failing_similarity_step_costs_the_batch_nothing(tmp_path, monkeypatch) -> None:
    (tmp_path / "in").mkdir()
    shutil.copytree(AUTODIFF.student_dir, tmp_path / "in" / "ann")

    def broken(*args: object, **kwargs: object) -> SimilarityReport:
        raise RuntimeError("boom")

    monkeypatch.setattr(batch.similarity, "compare", broken)
    report = batch.grade_batch(tmp_path / "in", "autodiff", tmp_path / "out", 1, show_progress=False)
    assert [r.student for r in report.results] == ["ann"]
    assert report.notes and "boom" in report.notes[0] and "not affected" in report.notes[0]
    assert (tmp_path / "out" / "gradebook.csv").is_file()
    assert not (tmp_path / "out" / "similarity.csv").exists()
