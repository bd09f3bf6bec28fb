"""What of a notebook runs (issue 12 §2), on small notebooks: besides imports, definitions, lambdas,
literal constants and answers, intake keeps, in notebook order, each top-level assignment that kept
code reads, transitively, when it calls only builtins, numpy, math, scipy and the notebook's own
functions and lambdas; it leaves out loops, `with` blocks, bare expressions, data loads and objects
built from the notebook's classes, and says why for every name they define."""

from __future__ import annotations

import pytest

from autograder.intake.notebook import Statement, Unrun, parse_cell, read_notebook, select
from autograder.runtime.notebook_module import defined_names


def selected(*cells: str, answers: frozenset[str] = frozenset()) -> list[Statement | Unrun]:
    statements = []
    for number, cell in enumerate(cells, start=1):
        parsed = parse_cell(cell, number, [])
        assert not isinstance(parsed, Unrun), parsed
        statements += parsed
    return select(statements, answers)


def kept_sources(*cells: str, answers: frozenset[str] = frozenset()) -> list[str]:
    return [s.source for s in selected(*cells, answers=answers) if isinstance(s, Statement)]


def why_left_out(name: str, *cells: str) -> str:
    """The `why` of the last statement left out that defines `name` (as the worker reports it)."""
    left_out = [s for s in selected(*cells) if isinstance(s, Unrun) and name in s.defines]
    assert left_out, f"{name} was kept"
    return left_out[-1].why


HELPERS = ("import math\nimport numpy as np",
           "FLOAT = np.float64\nerf = np.vectorize(math.erf)\nh1 = 1 * 0.45 + 0 * -0.12\n"
           "positive = lambda x: x > 0\nunused = np.ones(3) * 2",
           "class GELU:\n    def forward(self, x):\n"
           "        return (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(FLOAT)\n\n"
           "    def backward(self, grad):\n        return grad * positive(self.x) + h1")


def test_top_level_helpers_that_graded_code_reads_are_kept_in_notebook_order() -> None:
    assert kept_sources(*HELPERS) == [
        "import math", "import numpy as np", "FLOAT = np.float64", "erf = np.vectorize(math.erf)",
        "h1 = 1 * 0.45 + 0 * -0.12", "positive = lambda x: x > 0", HELPERS[2]]


def test_a_computation_nothing_kept_reads_is_left_out_and_says_so() -> None:
    assert "unused = np.ones(3) * 2" not in kept_sources(*HELPERS)
    assert "only when a function, class or answer of the notebook reads" in why_left_out(
        "unused", *HELPERS)


def test_only_computations_are_timed() -> None:
    timed = {s.source: s.timed for s in selected(*HELPERS) if isinstance(s, Statement)}
    assert [source for source, is_timed in timed.items() if is_timed] == [
        "FLOAT = np.float64", "erf = np.vectorize(math.erf)", "h1 = 1 * 0.45 + 0 * -0.12"]


def test_what_a_kept_helper_reads_is_kept_too_across_cells_and_out_of_order() -> None:
    cells = ("import numpy as np\nclass Dense:\n    scale = SCALE", "BASE = np.sqrt(2.0)",
             "SCALE = BASE / 10\nSCALE *= 2", "OTHER = BASE + 1")
    assert kept_sources(*cells) == [
        "import numpy as np", "class Dense:\n    scale = SCALE", "BASE = np.sqrt(2.0)",
        "SCALE = BASE / 10", "SCALE *= 2"]


def test_names_local_to_a_function_are_not_read_from_the_notebook() -> None:
    """`x` is Linear.forward's parameter: the notebook's `x = np.random.random(...)` stays out."""
    cells = ("import numpy as np", "class Linear:\n    def forward(self, x):\n        return x * 2",
             "x = np.random.random(size=(3, 5))")
    assert kept_sources(*cells) == ["import numpy as np", cells[1]]


def test_answers_pull_in_the_worked_steps_they_read() -> None:
    cells = ("h1 = 1 * 0.45 + 0 * -0.12\nh2 = max(h1, 0.0)\nxor_forward = {'h2': h2}",)
    assert kept_sources(*cells, answers=frozenset({"xor_forward"})) == [
        "h1 = 1 * 0.45 + 0 * -0.12", "h2 = max(h1, 0.0)", "xor_forward = {'h2': h2}"]


READER = "import numpy as np\nfrom keras.datasets import mnist\n\ndef normalise(x):\n    return x / STATS"


@pytest.mark.parametrize(("definition", "reason"), [
    ("for image in range(3):\n    STATS = image", "(a loop)"),
    ("while True:\n    STATS = 1\n    break", "(a loop)"),
    ("with open('stats.txt') as f:\n    STATS = float(f.read())", "(a `with` block)"),
    ("if True:\n    STATS = 255.0", "(an `if` block)"),
    ("try:\n    STATS = 255.0\nexcept ValueError:\n    pass", "(a `try` block)"),
    ("STATS = np.load('stats.npy')", "(a data load: np.load)"),
    ("STATS = mnist.load_data()", "(a call to mnist.load_data)"),
    ("STATS = open('stats.txt').read()", "(a call to open)"),
    ("STATS = fetch_stats()", "(a call to fetch_stats)"),
    ("class Net:\n    pass\n\nSTATS = Net()", "(a call to Net, which builds an object of a class of "
                                                "the notebook)"),
    ("class Net:\n    pass\n\ndef build():\n    return Net()\n\nSTATS = build()",
     "(a call to build, which makes a call to Net, which builds an object of a class of the "
     "notebook)"),
    ("def load():\n    return np.loadtxt('stats.csv')\n\nSTATS = load()",
     "(a call to load, which makes a data load: np.loadtxt)"),
    ("for _ in range(3):\n    train_x = np.ones(3)\nSTATS = train_x.max()",
     "(it reads train_x, which a statement the grader does not run defines)"),
    ("(X, y), _ = mnist.load_data()\nX = X.reshape(len(X), -1)\nX /= 255\nSTATS = X.std()",
     "(it reads X, which a statement the grader does not run defines)"),
])
def test_loops_blocks_data_loads_and_objects_of_the_notebooks_classes_never_run(
        definition: str, reason: str) -> None:
    sources = kept_sources(READER, definition)
    assert not any("STATS" in defined_names(source) for source in sources), sources
    why = why_left_out("STATS", READER, definition)
    assert why.startswith("is defined in code cell 2 by a statement the grader does not run "
                          f"{reason}."), why
    assert "Hint:" in why


def test_a_training_loop_a_plot_and_a_download_at_the_top_level_never_run() -> None:
    cells = ("import urllib.request\nimport matplotlib.pyplot as plt\nimport numpy as np",
             "class Net:\n    def forward(self, x):\n        return x\n\n"
             "def predict(x):\n    return np.argmax(network.forward(x), axis=-1)\n\n"
             "def show():\n    return figure, history",
             "path, _ = urllib.request.urlretrieve('https://example.org/mnist.npz')",
             "network = Net()\nhistory = []\nfor epoch in range(10 ** 9):\n"
             "    history.append(network.forward(epoch))",
             "figure = plt.figure(figsize=[6, 6])\nplt.plot(history)\nplt.show()")
    assert kept_sources(*cells) == [*cells[0].splitlines(), *cells[1].split("\n\n"),
                                    "history = []"]
    assert "(a call to urllib.request.urlretrieve)" in why_left_out("path", *cells)
    assert "(a call to Net, which builds" in why_left_out("network", *cells)
    assert "(a loop)" in why_left_out("epoch", *cells)
    assert "(a call to plt.figure)" in why_left_out("figure", *cells)


def test_a_lambda_is_kept_like_a_function_whoever_reads_it() -> None:
    assert kept_sources("relu = lambda x: x * (x > 0)") == ["relu = lambda x: x * (x > 0)"]


def test_a_cell_with_a_syntax_error_names_what_it_defines_and_the_error() -> None:
    cell = ("import numpy as np\n\nclass Dense:\n    def forward(self, x)\n        return x\n\n"
            "def relu(x):\n    return x\n\nEPS = 1e-8")
    messages: list[str] = []
    unparsed = parse_cell(cell, 9, messages)
    assert isinstance(unparsed, Unrun)
    assert unparsed.defines == ("Dense", "EPS", "relu")
    assert unparsed.why.startswith("is defined in code cell 9, which has a syntax error at line 4: "
                                   "expected ':'.")
    assert messages == ["code cell 9: syntax error at line 4: expected ':'. This cell was "
                        "skipped; the rest of the notebook was graded."]


def test_the_worker_gets_what_runs_and_what_does_not(tmp_path) -> None:
    """One reading of a notebook gives the statements in notebook order, then the cells that do
    not parse; a statement that defines nothing (a bare expression) is not listed at all."""
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "import numpy as np\nprint(np.pi)", "class A(:\n    pass", "for i in range(2):\n    pass")])
    entries, _ = read_notebook(nbformat.writes(notebook).encode(), "n.ipynb", frozenset(), [])
    assert [(type(e).__name__, e.cell) for e in entries] == [
        ("Statement", 1), ("Unrun", 3), ("Unrun", 2)]


def test_a_graded_class_in_a_cell_with_a_syntax_error_is_reported_with_the_cell_and_the_error(
        graded_samples) -> None:
    """The engine sample whose Linear cell lacks a colon: every failure of Linear says where and
    what the error is, never that the notebook defines no Linear."""
    result = graded_samples["engine"].results["syntax-error-in-linear-cell"]
    failed = [test.message for task in result.tasks if task.name == "Linear"
              for test in task.tests if not test.passed]
    assert failed
    for message in failed:
        assert ("Linear is defined in code cell 4, which has a syntax error at line 16: "
                "expected ':'") in message
        assert "defines no" not in message and "Hint: fix the error" in message
