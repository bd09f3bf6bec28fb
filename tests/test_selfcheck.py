"""The student's self-check: the in-process stand-in for the worker behaves like the worker, and
`check(...)` in a notebook or a script (and `autograder check` in a shell) runs the public tests and
says that only they ran."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from autograder import config
from autograder.authoring.samples import write_samples
from autograder.failures import StudentError, WorkerTimeout
from autograder.grading import runner
from autograder.intake.notebook import notebook_statements
from autograder.reports.check_table import PUBLIC_ONLY
from autograder.sandbox.contract import SandboxContract, Student
from autograder.sandbox.in_process import InProcessSandbox, InProcessWorker
from autograder.selfcheck import NotebookNamespace, _given_code, check, checker

STUDENT_CODE = textwrap.dedent("""
    import numpy as np

    class Scale:
        def __init__(self, factor):
            self.factor = factor
            self.weight = np.ones(3)

        def forward(self, x):
            x *= self.factor          # changes its input in place
            return x

        def fail(self):
            raise ValueError("bad shapes (2, 3) and (4,)")

        def spin(self):
            while True:
                pass

        def wait(self, seconds):
            import time
            time.sleep(seconds)
            return "woke"
""")


def in_process_student(root: Path, module: str, code: str, call_seconds: float) -> Iterator[Student]:
    """A student whose package `modules` holds `module`.py with `code`, answered in this
    process; the package is forgotten afterwards."""
    (root / "modules").mkdir()
    (root / "modules" / "__init__.py").write_text("")
    (root / "modules" / f"{module}.py").write_text(code)
    sys.path.insert(0, str(root))
    try:
        yield Student(InProcessWorker(root, {}, call_seconds=call_seconds))
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == "modules" or n.startswith("modules.")]:
            del sys.modules[name]


@pytest.fixture
def student(tmp_path: Path) -> Iterator[Student]:
    yield from in_process_student(tmp_path, "scale", STUDENT_CODE, call_seconds=0.5)


def test_arrays_are_copies_both_ways_as_with_the_sandboxed_worker(student) -> None:
    scale = student.module("modules.scale").Scale(2.0)
    x = np.arange(3.0)
    assert np.array_equal(scale.forward(x), [0.0, 2.0, 4.0])
    assert np.array_equal(x, [0.0, 1.0, 2.0])  # the student's in-place change stayed with them
    weight = scale.weight
    weight[:] = 7.0
    assert np.array_equal(scale.weight, np.ones(3))


def test_the_students_exception_becomes_a_failure_naming_their_line(student) -> None:
    scale = student.module("modules.scale").Scale(2.0)
    with pytest.raises(StudentError) as caught:
        scale.fail()
    message = str(caught.value)
    assert "raised ValueError: bad shapes (2, 3) and (4,)" in message
    assert "modules/scale.py" in message and 'raise ValueError("bad shapes' in message


def test_a_call_that_never_returns_is_stopped_at_the_deadline(student) -> None:
    with pytest.raises(WorkerTimeout, match="did not finish within 0.5 s of CPU time"):
        student.module("modules.scale").Scale(1.0).spin()


def test_a_call_s_limit_counts_its_cpu_time_as_the_worker_does(student) -> None:
    scale = student.module("modules.scale").Scale(1.0)
    assert scale.wait(0.8) == "woke"  # past its 0.5 s, but waiting: what a busy machine does to it
    with pytest.raises(WorkerTimeout, match=r"did not finish within 5 s: it waited"):
        scale.wait(100)


def test_a_notebook_name_not_defined_yet_says_to_run_its_cell() -> None:
    notebook = NotebookNamespace({"Dense": dict})
    assert notebook.Dense is dict
    with pytest.raises(AttributeError, match="defines no 'ReLU' yet: run the cell"):
        _ = notebook.ReLU


def test_a_given_class_the_notebook_names_differently_comes_from_the_kits_copy() -> None:
    """An earlier edition of the engine notebook calls the course's container SomeNetwork: the
    self-check, like grading, falls back on the kit's copy of the given Sequential."""
    notebook = NotebookNamespace({"SomeNetwork": object}, _given_code(config.load("engine")))
    assert notebook.Sequential.__name__ == "Sequential" and notebook.SomeNetwork is object
    mine = NotebookNamespace({"Sequential": dict}, _given_code(config.load("engine")))
    assert mine.Sequential is dict  # the student's own definition wins


def test_the_assignment_is_chosen_by_task_and_by_where_the_code_is(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir()
    assert config.choose(None, tmp_path, ("Dropout",)).name == "autodiff"
    with pytest.raises(config.ConfigError, match="has no task Dense"):
        config.choose("autodiff", tmp_path, ("Dense",))
    with pytest.raises(config.ConfigError, match="cannot tell which assignment"):
        config.choose(None, tmp_path / "elsewhere", ("Dropout",))
    with pytest.raises(config.ConfigError, match="no assignment named"):
        checker("no-such-assignment")


@pytest.mark.parametrize("name", config.available())
def test_every_assignments_student_folder_and_notebook_tell_which_assignment_they_are(name) -> None:
    """All notebook assignments hand in `notebook.ipynb` (the autodiff folder has one too, beside
    `modules/`): the names a notebook defines tell them apart, on disk and in a running kernel."""
    spec = config.load(name)
    assert config.guess(spec.student_dir).name == name
    if spec.notebook:
        assert config.guess(spec.student_dir / spec.notebook).name == name
        kernel = {name for statement in notebook_statements(
            (spec.student_dir / spec.notebook).read_bytes(), spec.notebook, spec.answers, [])
            for name in top_level_names(statement.source)}
        assert config.guess(Path("/nonexistent"), defined=kernel).name == name


def top_level_names(source: str) -> set[str]:
    """The names a statement binds in a kernel's namespace, as Python reads them."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


def test_both_sandboxes_keep_the_sandbox_contract_and_the_kit_has_one_pytest_session(tmp_path) -> None:
    """Self-check and grading differ only in the sandbox they pass to `runner.run_tests`, the one
    place the kit calls `pytest.main` (the sandboxed `Sandbox` is checked in test_worker.py)."""
    assert isinstance(InProcessSandbox(InProcessWorker(tmp_path, {}, call_seconds=1.0)), SandboxContract)
    callers = []
    for path in sorted((config.REPO_ROOT / "autograder").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                callers += [(path.name, function.name) for node in ast.walk(function)
                            if isinstance(node, ast.Attribute) and node.attr == "main"
                            and isinstance(node.value, ast.Name) and node.value.id == "pytest"]
    assert callers == [("runner.py", runner.run_tests.__name__)]


# ---- as students run it --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("selfcheck-samples")
    write_samples(config.load("autodiff"), folder)
    return folder


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(config.REPO_ROOT)})


def test_check_in_a_script_shows_the_broken_task_and_says_only_public_tests_ran(samples) -> None:
    run = run_python("from autograder.selfcheck import check\nprint(check('Linear', 'Dropout'))",
                     samples / "raises-in-linear")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert any(line.startswith("Linear") and "0 / 2" in line and "expected 32 input features" in line
               for line in lines), run.stdout
    assert any(line.startswith("Dropout") and "4 / 4" in line for line in lines), run.stdout
    assert PUBLIC_ONLY in run.stdout and "all tests passed" not in run.stdout


@pytest.mark.sandbox
def test_the_self_check_scores_what_grading_with_the_public_tests_scores(samples) -> None:
    folder, tasks = samples / "raises-in-linear", frozenset({"Linear", "Dropout"})
    try:
        mine = check(*tasks, path=folder).result
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == "modules" or n.startswith("modules.")]:
            del sys.modules[name]
    spec = config.load("autodiff")
    graded = runner.grade_submission(folder, spec, student="self-check",
                                     test_dirs=[spec.test_dirs["public"]], only_tasks=tasks).result

    def outcomes(result):
        return [(t.name, t.points, [(r.name, r.outcome) for r in t.tests]) for t in result.tasks]

    assert outcomes(mine) == outcomes(graded)
    assert (mine.raw, mine.multiplier, mine.final) == (graded.raw, graded.multiplier, graded.final) == (
        1.0, 1.0, 1.0)


def test_public_tests_passing_is_never_reported_as_all_tests_passing(samples) -> None:
    """softmax-without-max-shift passes every public test (its overflow at +-1000 is a finding)."""
    run = run_python("from autograder.selfcheck import check\nr = check('Activations')\n"
                     "print(r.passed)\nprint(r)", samples / "softmax-without-max-shift")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("True\n")
    assert "every one of the 4 public tests passed. " + PUBLIC_ONLY in run.stdout


def test_a_task_using_torch_passes_here_but_the_check_says_it_will_score_0_when_graded(samples):
    """This process has torch; the grader's worker has only inert stand-ins for it."""
    run = run_python("from autograder.selfcheck import check\nr = check('Activations', 'Linear')\n"
                     "print(r.passed)\nprint(r)", samples / "torch-used-in-sigmoid")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("False\n")
    activations = next(line for line in run.stdout.splitlines() if line.startswith("Activations"))
    assert "this will score 0 when graded" in activations and "activations.py, line" in activations
    assert "to fix: Activations." in run.stdout


def test_an_unused_torch_import_passes_the_self_check_as_it_passes_grading(samples) -> None:
    run = run_python("from autograder.selfcheck import check\nprint(check('Linear').passed)",
                     samples / "unused-torch-import")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "True\n"


def engine_reference_cells() -> list[str]:
    """The engine reference notebook as a student would have run it: its definitions, cell by cell."""
    spec = config.load("engine")
    data = (spec.solution_dir / spec.notebook).read_bytes()
    return [s.source for s in notebook_statements(data, spec.notebook, spec.answers, [])]


def test_check_in_a_notebook_tests_the_classes_defined_in_it_right_now(tmp_path) -> None:
    cells = [*engine_reference_cells(),
             "from autograder.selfcheck import checker\ncheck = checker('engine')",
             "check('ReLU', 'Linear')",
             "class ReLU(ReLU):\n    def forward(self, x):\n        return x  # forgot the max",
             "check('ReLU')",
             "import torch\nclass ReLU(ReLU):\n    def forward(self, x):\n"
             "        return torch.relu(torch.from_numpy(x)).numpy()",
             "check('ReLU')"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    first, second, third = (cell.outputs[0]["data"] for cell in notebook.cells[-5::2])
    assert 'class="autograder-check"' in first["text/html"]
    assert "every one of the" in first["text/plain"] and PUBLIC_ONLY in first["text/plain"]
    assert "&#10008;</span> ReLU" in second["text/html"]  # the cross: what the student sees
    assert "to fix: ReLU" in second["text/plain"] and "negative values" in second["text/plain"]
    assert "to fix: ReLU" in third["text/plain"]  # torch works here; the grader has none
    assert "this will score 0 when graded" in third["text/plain"]


def test_autograder_check_dot_in_the_folder_holding_modules_checks_the_autodiff_package(tmp_path) -> None:
    """The README's command, in the autodiff student folder (which holds a notebook too)."""
    folder = tmp_path / "hw1"
    shutil.copytree(config.load("autodiff").student_dir, folder)
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "check", ".", "--task", "Dropout"],
                         cwd=folder, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(config.REPO_ROOT)})
    assert run.returncode == 1 and not run.stderr, run.stdout + run.stderr  # the stubs fail
    assert "0 of 4 public tests passed; to fix: Dropout." in " ".join(run.stdout.split()), run.stdout


def test_autograder_check_grades_a_notebook_file_from_the_shell(tmp_path) -> None:
    spec = config.load("engine")
    mine = tmp_path / "my_notebook.ipynb"
    mine.write_bytes((spec.solution_dir / spec.notebook).read_bytes())
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "check", str(mine),
                          "--assignment", "engine", "--task", "ReLU"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ReLU" in run.stdout and "public tests" in run.stdout.lower()
    assert "predicts your grade, except for bugs that only the hidden tests'" in " ".join(run.stdout.split())
