"""Nothing a worker can import or read answers a graded task: the kit's known-good losses and
layers stay in the grader (`testing.known_good`), and the worker reaches them only as grader
functions, which compute in the grader. A submission that imports the kit's own modules gets an
ImportError in the worker, and the scan files the import under the task whose name it binds.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder import config
from autograder.grading.runner import grade_submission
from autograder.sandbox import isolation

SITE_KIT = Path(isolation.__file__).parents[1] / "runtime"  # the kit's part of the worker's site


def normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def graded_names() -> dict[str, str]:
    """Every class, function and answer some task grades, normalised -> "assignment: Name"."""
    names = {}
    for assignment in config.available():
        for task in config.load(assignment).tasks:
            for entry in task.code:
                subject = entry.split(".")[0]  # "Softmax.grad_x": the class is what is graded
                names[normalised(subject)] = f"{assignment}: {entry}"
    return names


def runtime_definitions() -> list[tuple[str, str]]:
    """(file:line, name) of every class and function the kit puts in the worker's site folder."""
    found = []
    for path in sorted(SITE_KIT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found.append((f"{path.name}:{node.lineno}", node.name))
    return found


def test_every_assignment_names_what_its_tasks_grade():
    names = graded_names()
    assert {"softmaxcrossentropywithlogits", "crossentropy", "tanh", "mseloss", "denselayer",
            "linear"} <= set(names)


def test_no_class_or_function_in_the_workers_site_folder_is_named_after_a_graded_name():
    """A graded name inside a runtime name (`softmax_crossentropy`, `Tanh`, `HalfSquaredError`
    would all be caught) means the runtime computes what a task grades."""
    graded = graded_names()
    clashes = [f"{where} {name} looks like {graded[key]}"
               for where, name in runtime_definitions()
               for key in graded if len(key) >= 4 and key in normalised(name)]
    assert not clashes, "\n".join(clashes)


def test_the_known_good_losses_and_projection_live_only_in_the_grader():
    source = "\n".join(path.read_text() for path in SITE_KIT.rglob("*.py"))
    for computation in ("log_softmax", "np.tanh", "exp(", "** 2, axis=1", "matrix.T"):
        assert computation not in source, f"the worker's runtime computes {computation!r}"


SEMINAR = config.load("seminar")
IMPORTING_THE_KIT = ("from autograder.runtime.probes.sgd_layers import "
                     "softmax_crossentropy_with_logits, grad_softmax_crossentropy_with_logits")


@pytest.mark.sandbox
def test_a_notebook_importing_the_loss_from_the_kits_runtime_loses_that_task_only(tmp_path):
    """The issue's attack: a seminar notebook whose loss cell only imports the functions from the
    kit's worker runtime. The import fails in the worker, the loss task scores 0 saying why, the
    scan files the import under that task, and the other tasks keep their points."""
    book = nbformat.read(SEMINAR.solution_dir / SEMINAR.notebook, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code" and "def softmax_crossentropy_with_logits" in cell.source:
            cell.source = IMPORTING_THE_KIT
    submission = tmp_path / "attacker.ipynb"
    nbformat.write(book, submission)
    graded = grade_submission(submission, SEMINAR, student="attacker",
                              only_tasks=frozenset({"Softmax cross-entropy", "ReLU"}))
    result = graded.result
    assert not graded.internal_errors
    points = {task.name: task.points for task in result.tasks}
    assert points["Softmax cross-entropy"] == 0
    assert points["ReLU"] == 1.0
    messages = " ".join(t.message for task in result.tasks for t in task.tests
                        if task.name == "Softmax cross-entropy")
    assert "is the grader's own code, not available to submissions" in messages
    filed = {(f.kind, f.task) for f in result.findings}
    assert ("grader-internals", "Softmax cross-entropy") in filed


@pytest.mark.sandbox
def test_the_workers_own_modules_cannot_be_imported_by_a_submission(tmp_path):
    """Every module of the kit in the worker's site folder refuses a submission's import, though the
    worker itself runs on them."""
    modules = sorted(".".join(("autograder", "runtime", *p.relative_to(SITE_KIT).with_suffix("").parts))
                     .removesuffix(".__init__") for p in SITE_KIT.rglob("*.py"))
    package = tmp_path / "attacker"
    shutil.copytree(config.load("autodiff").solution_dir, package)
    attempts = "".join(f"    try:\n        import {name}\n        reached.append({name!r})\n"
                       f"    except ImportError:\n        pass\n" for name in modules)
    layers = package / "modules" / "layers.py"
    layers.write_text(layers.read_text() + "\n\ndef reachable_kit_modules():\n    reached = []\n"
                      + attempts + "    return reached\n")
    from autograder.sandbox.session import Sandbox

    spec = config.load("autodiff")
    sandbox = Sandbox(package, spec.limits, spec.package)
    try:
        reached = sandbox.student_for("probe").module("modules.layers").reachable_kit_modules()
    finally:
        sandbox.close()
    assert reached == []
