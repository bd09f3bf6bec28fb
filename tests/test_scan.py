"""The static scan (autograder.intake.scan): what it reports, under which task, and what it leaves
alone (the references, the untouched student versions and honest notebook habits)."""

from __future__ import annotations

import ast
import csv
import io
import re
import shutil
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
from reports_helpers import make_result
from rich.console import Console
from test_hostile import ANCHOR, ATTACKS, plant
from test_speed import write_assignment

from autograder import config
from autograder.grading.runner import SCAN_HINTS, grade_submission
from autograder.intake import notebook as notebook_intake
from autograder.intake import prepare_for, scan
from autograder.reports import feedback, files, flags, gradescope, terminal
from autograder.results import INTEGRITY_FLAGS, Finding

AUTODIFF = config.load("autodiff")
SEMINAR = config.load("seminar")
ACTIVATIONS = "modules/activations.py"
# hostile attack -> the kind the scan must report, under Activations (whose Sigmoid holds it)
SEEN_ATTACKS = {
    "patch-allclose": "monkeypatch", "patch-builtins": "monkeypatch", "open-socket": "escape",
    "raw-ctypes-socket": "escape", "segfault": "escape", "fork-bomb": "escape", "os-exit": "escape",
    "daemon-left-behind": "escape", "code-when-touched": "escape", "import-torch": "forbidden-import",
    "read-private-tests": "grader-internals", "read-reference": "grader-internals",
    "read-other-submission": "grader-internals", "fake-results-file": "grader-internals",
    "edit-grader-files": "grader-internals",
}
# attacks that only show when they run: nothing in their code is one of the scan's constructs
UNSEEN_ATTACKS = ("infinite-loop", "sleep-forever", "allocate-50gb", "huge-return",
                  "deeply-nested-return", "lying-ndarray-subclass", "lying-array-protocol")


def hostile(tmp_path: Path, name: str) -> tuple[Path, range]:
    """The autodiff reference with attack `name` planted as tests/test_hostile.py plants it, and
    the lines of activations.py the attack occupies."""
    target = tmp_path / name
    shutil.copytree(AUTODIFF.solution_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
    source = target / "modules" / "activations.py"
    attack = ATTACKS[name][0]
    constants = (f"OTHER = {str(tmp_path / 'honest' / 'modules' / 'layers.py')!r}\n"
                 f"OUT = {str(tmp_path)!r}\n") if "OTHER" in attack or "OUT" in attack else ""
    text = source.read_text()
    first = text[:text.index(ANCHOR)].count("\n") + constants.count("\n") + 1
    planted = plant(attack)
    source.write_text(constants + text.replace(ANCHOR, planted, 1))
    return target, range(first, first + planted.count("\n"))


def write_notebook(folder: Path, cells: list[str]) -> Path:
    """A notebook of code cells, named as the seminar asks."""
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path = folder / SEMINAR.notebook
    nbformat.write(book, path)
    return path


# A seminar notebook as students write them: magics, shell escapes, plots, tqdm and scikit-learn,
# a torch and a Keras comparison, a download helper, the kit's own self-check, the Colab test.
HONEST_CELLS = [
    "%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
    "from sklearn.model_selection import train_test_split\nfrom tqdm import tqdm\n"
    "from IPython.display import clear_output\nimport sys, os\nsys.path.append('..')\n"
    "np.random.seed(42)\nif 'google.colab' in sys.modules:\n    print('on Colab')\n"
    "os.makedirs('data', exist_ok=True)",
    "!pip install tqdm",
    "import torch\nx = torch.randn(3)\nprint(torch.relu(x))",
    "exercise1_table = [[1.0, 2.0], [3.0, 4.0]]",
    "class Layer:\n    def forward(self, input):\n        return input\n",
    "class ReLU(Layer):\n    def forward(self, input):\n        return np.maximum(input, 0)\n\n"
    "    def backward(self, input, grad_output):\n        return grad_output * (input > 0)\n",
    "class Dense(Layer):\n    def __init__(self, input_units, output_units, learning_rate=0.1):\n"
    "        self.weights = np.random.randn(input_units, output_units) * 0.01\n"
    "        self.biases = np.zeros(output_units)\n        self.learning_rate = learning_rate\n\n"
    "    def forward(self, input):\n        return input @ self.weights + self.biases\n\n"
    "    def describe(self, seen):\n        return f'{seen}/total' + ' ' + str(seen) + '/epoch'\n",
    "import gzip\nfrom urllib.request import urlretrieve\n\n"
    "def load_mnist(filename='train-images-idx3-ubyte.gz'):\n    if not os.path.exists(filename):\n"
    "        urlretrieve('https://ossci-datasets.s3.amazonaws.com/mnist/' + filename, filename)\n"
    "    with gzip.open(filename, 'rb') as f:\n        return np.frombuffer(f.read(), np.uint8, offset=16)\n",
    "def iterate_minibatches(inputs, targets, batchsize, shuffle=False):\n"
    "    indices = np.random.permutation(len(inputs)) if shuffle else np.arange(len(inputs))\n"
    "    for start in tqdm(range(0, len(inputs) - batchsize + 1, batchsize)):\n"
    "        yield inputs[indices[start:start + batchsize]], targets[indices[start:start + batchsize]]\n",
    "%%time\nlog = []\nfor epoch in range(3):\n    for x, y in iterate_minibatches(X_train, y_train, 32):\n"
    "        network.train(x, y)\n    clear_output()\n    plt.plot(log)\n    plt.show()",
    "def get_keras_model():\n    import keras\n    model = keras.Sequential([keras.layers.Dense(10)])\n"
    "    return model\n",
    "from autograder.selfcheck import check\nfrom autograder.datasets import load_mnist as kit_mnist\n"
    "check('Dense')",
]



def scanned(path: Path, spec: config.AssignmentSpec) -> tuple[Finding, ...]:
    """The findings in `path`, scanned as the grader scans it: in the code intake read."""
    bundle = prepare_for(path, spec)
    try:
        return scan.scan_submission(bundle, spec, hints=SCAN_HINTS)
    finally:
        bundle.cleanup()

@pytest.mark.parametrize("assignment", config.available())
def test_the_reference_and_the_untouched_student_version_have_no_finding(assignment) -> None:
    spec = config.load(assignment)
    for root in (spec.solution_dir, spec.student_dir):
        path = root / spec.notebook if spec.notebook else root
        assert scanned(path, spec) == (), path


@pytest.mark.parametrize("name", sorted(SEEN_ATTACKS))
def test_a_hostile_attack_is_reported_under_the_task_whose_code_holds_it(tmp_path, name) -> None:
    path, lines = hostile(tmp_path, name)
    found = scanned(path, AUTODIFF)
    mine = [f for f in found if f.kind == SEEN_ATTACKS[name] and f.task == "Activations"
            and f.where == ACTIVATIONS and f.line in lines]
    assert mine, found
    assert {f.task for f in found} <= {"Activations", ""}, found  # Linear's code is clean


@pytest.mark.parametrize("name", UNSEEN_ATTACKS)
def test_an_attack_that_shows_only_when_run_leaves_no_finding(tmp_path, name) -> None:
    path, _ = hostile(tmp_path, name)
    assert scanned(path, AUTODIFF) == ()


def test_a_path_constant_outside_the_submission_is_reported_where_it_is_and_where_it_is_opened(
        tmp_path) -> None:
    path, lines = hostile(tmp_path, "read-other-submission")
    found = {(f.task, f.line) for f in scanned(path, AUTODIFF)}
    assert ("", 1) in found  # OTHER = '/.../honest/modules/layers.py', a module-level constant
    assert any(task == "Activations" and line in lines for task, line in found)


def test_an_honest_notebook_has_no_finding(tmp_path) -> None:
    assert scanned(write_notebook(tmp_path, HONEST_CELLS), SEMINAR) == ()


def with_cells(*extra: str, replace_cell: tuple[int, str] | None = None) -> list[str]:
    cells = list(HONEST_CELLS)
    if replace_cell:
        cells[replace_cell[0]] = replace_cell[1]
    return cells + list(extra)


DENSE = HONEST_CELLS.index(next(c for c in HONEST_CELLS if c.startswith("class Dense")))
RELU = HONEST_CELLS.index(next(c for c in HONEST_CELLS if c.startswith("class ReLU")))
LAST = len(HONEST_CELLS) + 1  # the number of a cell added at the end
# (cells, expected (kind, task, cell number, line))
NOTEBOOK_CASES = {
    "torch-in-a-task-method": (
        with_cells(replace_cell=(DENSE, HONEST_CELLS[DENSE].replace(
            "return input @ self.weights + self.biases",
            "return torch.nn.functional.linear(torch.tensor(input), torch.tensor(self.weights.T))"
            ".numpy() + self.biases"))),
        ("forbidden-import", "Dense", DENSE + 1, 8)),
    "numpy-patched-in-a-scratch-cell": (
        with_cells("np.allclose = lambda *a, **k: True\nprint('ok')"),
        ("monkeypatch", "", LAST, 1)),
    "a-helper-of-a-task-runs-a-process": (
        with_cells("import subprocess\n\ndef run(command):\n    return subprocess.check_output(command)\n",
                   replace_cell=(RELU, HONEST_CELLS[RELU].replace(
                       "return np.maximum(input, 0)", "run(['true'])\n        return np.maximum(input, 0)"))),
        ("escape", "ReLU", LAST, 4)),
    "frames-of-the-caller": (
        with_cells(replace_cell=(RELU, HONEST_CELLS[RELU].replace(
            "return np.maximum(input, 0)",
            "caller = sys._getframe(1).f_globals\n        return np.maximum(input, 0)"))),
        ("grader-internals", "ReLU", RELU + 1, 3)),
    "the-grader-imported": (
        with_cells("from autograder.grading import plugin"), ("grader-internals", "", LAST, 1)),
    "a-module-replaced": (
        with_cells("import types\nsys.modules['numpy'] = types.ModuleType('numpy')"),
        ("grader-internals", "", LAST, 2)),
    "private-tests-read-in-a-task": (
        with_cells(replace_cell=(DENSE, HONEST_CELLS[DENSE].replace(
            "return input @ self.weights + self.biases",
            "open('../tests/private/test_dense_strict.py').read()\n"
            "        return input @ self.weights + self.biases"))),
        ("grader-internals", "Dense", DENSE + 1, 8)),
    "an-answer-computed-by-eval": (
        with_cells(replace_cell=(3, "exercise1_table = eval('[[1.0, 2.0], [3.0, 4.0]]')")),
        ("escape", "Exercise 1", 4, 1)),
    "a-patch-under-a-cell-magic": (
        with_cells("%%time\nimport builtins\nbuiltins.abs = lambda x: 0"), ("monkeypatch", "", LAST, 3)),
    "a-patch-after-a-blank-line-and-magics": (
        with_cells("\n%%time\n!ls\nimport math\nmath.pi = 3"), ("monkeypatch", "", LAST, 5)),
}


@pytest.mark.parametrize("case", sorted(NOTEBOOK_CASES))
def test_a_notebook_construct_is_reported_under_its_task_cell_and_line(tmp_path, case) -> None:
    cells, (kind, task, cell, line) = NOTEBOOK_CASES[case]
    found = scanned(write_notebook(tmp_path, cells), SEMINAR)
    assert [(f.kind, f.task, f.where, f.line) for f in found] == [(kind, task, f"cell {cell}", line)]
    assert found[0].construct == cells[cell - 1].splitlines()[line - 1].strip()


def test_the_torch_demos_of_a_notebook_are_left_alone_but_not_in_a_package(tmp_path) -> None:
    """A notebook may compare with torch outside the tasks' code; a package is graded throughout."""
    demo = "import torch\n\ndef torch_relu(x):\n    return torch.relu(torch.tensor(x)).numpy()\n"
    assert scan.scan_sources([scan.Source("cell 1", demo)], {}, is_notebook=True) == ()
    found = scan.scan_sources([scan.Source("modules/extra.py", demo)], {}, is_notebook=False)
    assert {(f.kind, f.task, f.line) for f in found} == {("forbidden-import", "", 1),
                                                       ("forbidden-import", "", 4)}


def test_a_method_a_task_names_belongs_to_it_rather_than_to_its_class_task() -> None:
    code = ("import os\n\nclass Network:\n    def fit(self, x):\n        os.system('ls')\n\n"
            "    def grad_x(self, x):\n        os.system('ls')\n")
    found = scan.scan_sources([scan.Source("cell 1", code)],
                              {"Network": "Training", "Network.grad_x": "Gradients"}, is_notebook=True)
    assert {(f.task, f.line) for f in found} == {("Training", 5), ("Gradients", 8)}


def test_a_helper_is_a_name_the_task_reads_not_a_local_variable_of_the_same_name() -> None:
    helper = "import torch\n\ndef loss(y):\n    return torch.mean(y)\n"
    local = "class XORNet:\n    def fit(self, y):\n        loss = y.mean()\n        return loss\n"
    called = "class XORNet:\n    def fit(self, y):\n        return loss(y)\n"
    owners = {"XORNet": "XOR network"}
    assert scan.scan_sources([scan.Source("cell 1", helper), scan.Source("cell 2", local)], owners,
                             is_notebook=True) == ()
    found = scan.scan_sources([scan.Source("cell 1", helper), scan.Source("cell 2", called)], owners,
                              is_notebook=True)
    assert [(f.kind, f.task, f.where, f.line) for f in found] == [
        ("forbidden-import", "XOR network", "cell 1", 4)]


BATCH_LOOPS = """
class Layer:
    def __init__(self, sizes):
        for size in sizes:
            pass

    def forward(self, x):
        for i in range(x.shape[0]):
            pass

    def backward(self, x, grad):
        return np.array([g * 2 for g in grad]).reshape(grad.shape)

    def per_sample(self, x):
        n = len(x)
        for i in range(n):
            pass
        for row in x:
            pass
        return x.T

    def counted(self, x):
        i = 0
        while i < x.shape[0]:
            i += 1

    def fine(self, x, params, grads):
        for layer in self.layers:
            x = layer(x)
        for p, g in zip(params, grads):
            p -= g
        for start in range(0, len(x), 32):
            pass
        for j in range(self.w.shape[0]):
            pass
        return x.reshape(-1)
"""


def test_python_loops_over_the_samples_of_a_batch_are_hints_in_task_code_only() -> None:
    found = scan.scan_sources([scan.Source("modules/layers.py", BATCH_LOOPS)], {"Layer": "Layers"},
                              is_notebook=False, hints=SCAN_HINTS)
    assert sorted((f.kind, f.line) for f in found) == [
        ("batch-loop", 8), ("batch-loop", 12), ("batch-loop", 16), ("batch-loop", 18),
        ("batch-loop", 24)]
    assert scan.scan_sources([scan.Source("modules/layers.py", BATCH_LOOPS)], {},
                             is_notebook=False, hints=SCAN_HINTS) == ()
    assert scan.scan_sources([scan.Source("modules/layers.py", BATCH_LOOPS)], {"Layer": "Layers"},
                             is_notebook=False) == ()  # a hint grading asks for, not a scan rule


def test_code_that_does_not_parse_is_skipped_and_the_rest_still_scanned(tmp_path) -> None:
    path, _ = hostile(tmp_path, "patch-allclose")
    (path / "modules" / "layers.py").write_text("def broken(:\n")
    (path / "modules" / "criterions.py").write_bytes(b"x = '\xff'\nimport ctypes\n")
    found = {(f.kind, f.where) for f in scanned(path, AUTODIFF)}
    assert found == {("monkeypatch", ACTIVATIONS), ("escape", "modules/criterions.py")}


def test_code_nested_as_deep_as_python_parses_is_still_scanned() -> None:
    deep = "+".join(["x"] * 2900)  # about as deep as Python's parser goes
    code = f"import numpy as np\nnp.allclose = {deep}\n\nclass Layer:\n    def forward(self, x):\n" \
           f"        import torch\n        return {deep}\n"
    found = scan.scan_sources([scan.Source("modules/layers.py", code)], {"Layer": "Layers"},
                              is_notebook=False)
    assert [(f.kind, f.task, f.line) for f in found] == [("monkeypatch", "", 2),
                                                         ("forbidden-import", "Layers", 6)]


def test_more_code_than_the_scan_reads_is_a_finding_and_the_smaller_files_are_still_scanned(
        monkeypatch) -> None:
    monkeypatch.setattr(scan, "MAX_SCAN_CHARS", 1000)
    padding = scan.Source("modules/padding.py", "x = 1\n" * 400)
    attack = scan.Source("modules/layers.py", "import numpy as np\nnp.allclose = None\n")
    found = scan.scan_sources([padding, attack], {}, is_notebook=False)
    assert [(f.kind, f.where, f.construct) for f in found] == [
        ("unscanned", "modules/padding.py", "1 file(s) or cell(s), 2400 characters"),
        ("monkeypatch", "modules/layers.py", "np.allclose = None")]


def test_a_submission_intake_cannot_read_has_no_finding(tmp_path) -> None:
    (tmp_path / "not-a-zip.zip").write_text("hello")
    for path, spec in ((tmp_path / "not-a-zip.zip", AUTODIFF), (tmp_path, SEMINAR)):
        graded = grade_submission(path, spec, student="s")
        assert graded.result.findings == () and graded.result.intake_messages
        assert not graded.internal_errors


def defined_names(spec: config.AssignmentSpec) -> set[str]:
    """Every top-level name and Class.method the reference defines."""
    if spec.notebook:
        texts = [notebook_intake.strip_ipython(cell) or "" for cell in notebook_intake.read_cells(
            (spec.solution_dir / spec.notebook).read_bytes(), spec.notebook, [])]
    else:
        texts = [p.read_text() for p in (spec.solution_dir / spec.package).glob("*.py")]
    names = set()
    for text in texts:
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
                names |= {f"{node.name}.{m.name}" for m in node.body if isinstance(m, ast.FunctionDef)}
    return names


@pytest.mark.parametrize("assignment", config.available())
def test_every_name_a_task_lists_as_its_code_is_defined_by_the_reference(assignment) -> None:
    spec = config.load(assignment)
    listed = {name for task in spec.tasks for name in task.code}
    assert listed and listed <= defined_names(spec), listed - defined_names(spec)


def test_a_code_list_that_is_not_a_list_of_names_is_refused(tmp_path, monkeypatch) -> None:
    with pytest.raises(config.ConfigError, match=r"tasks\[1\]\.code must be a list of names"):
        write_assignment(tmp_path, monkeypatch, '\n[[tasks]]\nname = "B"\npoints = 1\ncode = "Linear"\n')


def test_findings_reach_the_feedback_the_flags_and_the_gradebook() -> None:
    result = replace(make_result(), findings=(
        Finding("monkeypatch", "Linear", "modules/layers.py", 12, "np.allclose = lambda *a: `True`"),
        Finding("batch-loop", "Dropout", "modules/layers.py", 40, "for row in input:"),
        Finding("escape", "", "modules/base.py", 3, "import subprocess")))
    markdown = feedback.feedback_markdown(result)
    linear = markdown[markdown.index("## Linear"):markdown.index("## Dropout")]
    assert "modules/layers.py, line 12: `` np.allclose = lambda *a: `True` ``" in linear
    assert INTEGRITY_FLAGS["monkeypatch"] in linear and feedback.FINDINGS_CAVEAT in linear
    assert "Hint: modules/layers.py, line 40" in markdown[markdown.index("## Dropout"):]
    assert markdown.index("import subprocess") < markdown.index("## Linear")  # the submission's
    html = feedback.feedback_html(result)
    assert "np.allclose = lambda *a: `True`" in html and html.count('class="notice-finding"') == 2
    assert "Noticed: modules/layers.py, line 12" in gradescope.gradescope_json(result)
    kinds = {(f.kind, f.detail) for f in flags.integrity_flags([result])}
    assert ("monkeypatch", "Linear: modules/layers.py, line 12: np.allclose = lambda *a: `True`") in kinds
    assert not any(kind == "batch-loop" for kind, _ in kinds)  # a hint, not an integrity flag
    row = next(csv.DictReader(io.StringIO(files.gradebook_csv(["Linear", "Dropout"], [result]))))
    assert row["integrity"] == ("Linear: monkeypatch at modules/layers.py:12 | "
                                "submission: escape at modules/base.py:3")
    console = Console(record=True, width=200)
    console.print(terminal.gradebook_table("t", ["Linear", "Dropout"], [result]))
    assert "2 scan finding(s)" in console.export_text()  # the hint does not count


@pytest.mark.sandbox
def test_a_graded_submission_carries_its_findings_into_its_files(tmp_path) -> None:
    path, _ = hostile(tmp_path, "patch-builtins")
    graded = grade_submission(path, AUTODIFF, student="patcher", only_tasks=frozenset({"Activations"}))
    result, internal = graded.result, graded.internal_errors
    assert not internal
    assert [(f.kind, f.task) for f in result.findings] == [("monkeypatch", "Activations")] * 2
    files.write_submission(tmp_path / "out", AUTODIFF, result, internal)
    files.write_class(tmp_path / "out", AUTODIFF, [result])
    text = (tmp_path / "out" / "patcher" / "feedback.md").read_text()
    assert re.search(r"Noticed: modules/activations\.py, line \d+: `builtins\.abs = lambda x: 0`", text)
    gradebook = (tmp_path / "out" / "gradebook.csv").read_text()
    assert "Activations: monkeypatch at modules/activations.py" in gradebook
    assert "builtins.abs = lambda x: 0" in (tmp_path / "out" / "index.html").read_text()


@pytest.mark.parametrize(("sample", "task"), [("unused-torch-import", ""),
                                              ("torch-used-in-sigmoid", "Activations")])
def test_an_import_of_torch_is_reported_used_or_not(graded_samples, sample, task) -> None:
    """The worker's stand-ins make an unused import cost nothing; the scan still reports it, under
    the task whose code uses the library when one does."""
    result = graded_samples["autodiff"].results[sample]
    assert any(f.kind == "forbidden-import" and f.task == task for f in result.findings), \
        result.findings
