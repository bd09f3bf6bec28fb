"""Notebook intake keeps exactly the definitions the tests need, from any notebook a student saves,
and the worker builds the `notebook` module from them one statement at a time."""

from __future__ import annotations

import json
import textwrap
import zipfile
from pathlib import Path, PurePosixPath

import nbformat
import numpy as np
import pytest

from autograder import config
from autograder.config import Limits
from autograder.failures import StudentError
from autograder.intake import IntakeError, given_prelude, prepare
from autograder.intake.notebook import (
    GIVEN_CELL,
    Statement,
    choose_notebook,
    given_statements,
    kept_statements,
    strip_ipython,
)
from autograder.runtime import notebook_module as runtime_notebook
from autograder.runtime.notebook_module import STATEMENTS_FILE, defined_names
from autograder.sandbox.session import Sandbox

NAME = "notebook.ipynb"


def write_notebook(path: Path, *sources: str, markdown: str = "# Homework") -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(markdown)]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(notebook))
    return path


def kept(path: Path, answers: frozenset[str] = frozenset()) -> tuple[list[dict], list[str]]:
    """The statements the worker runs (the file's entries with a source), and intake's notes."""
    bundle = prepare(path, notebook_name=NAME, answers=answers)
    try:
        entries = json.loads((bundle.root / STATEMENTS_FILE).read_text())
        return [e for e in entries if "source" in e], bundle.messages
    finally:
        bundle.cleanup()


def sources(statements: list[dict]) -> list[str]:
    return [s["source"] for s in statements]


def test_definitions_imports_and_constants_are_kept_and_side_effects_dropped(tmp_path):
    path = write_notebook(tmp_path / NAME,
                          "import numpy as np\nX, y = load_mnist()\nEPS = 1e-5",
                          "class Dense:\n    pass\n\nnet = Dense()\nnet.fit(X, y)\nplt.plot([1])",
                          "@decorate\ndef relu(x):\n    return np.maximum(x, 0)\nfor _ in range(9): pass")
    statements, messages = kept(path)
    assert sources(statements) == ["import numpy as np", "EPS = 1e-5", "class Dense:\n    pass",
                                   "@decorate\ndef relu(x):\n    return np.maximum(x, 0)"]
    assert [(s["cell"], s["line"]) for s in statements] == [(1, 1), (1, 3), (2, 1), (3, 1)]
    assert messages == []


def test_answer_names_are_kept_even_when_computed(tmp_path):
    path = write_notebook(tmp_path / NAME, "grad = -2 * (3 - 1) * 1.5\nother = 2 * 3")
    statements, _ = kept(path, answers=frozenset({"grad"}))
    assert sources(statements) == ["grad = -2 * (3 - 1) * 1.5"]


def test_statements_sharing_a_line_are_split(tmp_path):
    path = write_notebook(tmp_path / NAME, "import numpy as np; X = np.load('x.npy')")
    statements, _ = kept(path)
    assert sources(statements) == ["import numpy as np"]


@pytest.mark.parametrize("line", ["%matplotlib inline", "!pip install torch", "files = !ls",
                                  "np.dot?", "%time x = 1"])
def test_ipython_lines_become_pass(line):
    python = strip_ipython(f"import numpy as np\n{line}\nclass A:\n    pass")
    assert python is not None
    statements = kept_statements(python, 1, frozenset(), [])
    assert [s.source for s in statements] == ["import numpy as np", "class A:\n    pass"]


def test_valid_python_is_never_rewritten():
    source = 'HELP = """\n%d percent\n!important\n"""'
    assert strip_ipython(source) == source


def test_cell_magics_keep_timing_bodies_and_drop_other_languages(tmp_path):
    path = write_notebook(tmp_path / NAME, "%%time\nclass A:\n    pass",
                          "%%bash\npip install torch", "%%writefile x.py\nclass B:\n    pass")
    statements, messages = kept(path)
    assert sources(statements) == ["class A:\n    pass"]
    assert messages == ["code cell 2: a cell magic (%%bash), skipped",
                        "code cell 3: a cell magic (%%writefile), skipped"]


def test_a_syntax_error_costs_only_its_cell_and_says_where(tmp_path):
    path = write_notebook(tmp_path / NAME, "class A:\n    pass", "def f(:\n    pass",
                          "class B:\n    pass")
    statements, messages = kept(path)
    assert sources(statements) == ["class A:\n    pass", "class B:\n    pass"]
    assert len(messages) == 1
    assert "code cell 2: syntax error at line 1" in messages[0] and "skipped" in messages[0]


def test_a_deeply_nested_expression_is_skipped_not_fatal(tmp_path):
    path = write_notebook(tmp_path / NAME, "x = " + "(" * 200_000 + ")" * 200_000,
                          "class A:\n    pass")
    statements, messages = kept(path)
    assert sources(statements) == ["class A:\n    pass"]
    assert "code cell 1" in messages[0]


@pytest.mark.parametrize(("content", "expected"), [
    (b"this is not json {", "not valid JSON"),
    (b'{"name": "x"}', "not a Jupyter notebook"),
    (b"[1, 2, 3]", "not a Jupyter notebook"),
])
def test_files_that_are_not_notebooks_get_a_clear_message(tmp_path, content, expected):
    (tmp_path / NAME).write_bytes(content)
    with pytest.raises(IntakeError, match=expected):
        prepare(tmp_path / NAME, notebook_name=NAME)


def test_an_empty_notebook_says_nothing_was_found(tmp_path):
    statements, messages = kept(write_notebook(tmp_path / NAME))
    assert statements == []
    assert "no imports, functions or classes" in messages[0]


def test_nbformat_3_notebooks_are_upgraded(tmp_path):
    notebook = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "class A:\n    pass", "language": "python",
         "outputs": [], "metadata": {}}], "metadata": {}}]}
    (tmp_path / NAME).write_text(json.dumps(notebook))
    statements, _ = kept(tmp_path / NAME)
    assert sources(statements) == ["class A:\n    pass"]


def test_an_invalid_notebook_is_read_as_it_is(tmp_path):
    notebook = {"nbformat": 4, "nbformat_minor": 5, "cells": [
        {"cell_type": "code", "source": ["class A:\n", "    pass"], "bogus": True}]}
    (tmp_path / NAME).write_text(json.dumps(notebook))
    statements, messages = kept(tmp_path / NAME)
    assert sources(statements) == ["class A:\n    pass"]
    assert "not a valid notebook" in messages[0]


def test_non_utf8_bytes_are_replaced_and_reported(tmp_path):
    path = write_notebook(tmp_path / NAME, "class A:\n    label = 'caf\u00e9'")
    path.write_bytes(path.read_bytes().replace("\u00e9".encode(), b"\xe9"))
    statements, messages = kept(path)
    assert sources(statements) == ["class A:\n    label = 'caf\ufffd'"]
    assert "not UTF-8" in messages[0]


def test_the_expected_notebook_is_chosen_over_others(tmp_path):
    write_notebook(tmp_path / "sub" / "scratch.ipynb", "class Scratch:\n    pass")
    write_notebook(tmp_path / "sub" / "deep" / NAME, "class Graded:\n    pass")
    write_notebook(tmp_path / "sub" / ".ipynb_checkpoints" / NAME, "class Old:\n    pass")
    statements, messages = kept(tmp_path / "sub")
    assert sources(statements) == ["class Graded:\n    pass"]
    assert messages == []


def test_a_differently_named_notebook_is_graded_with_a_note(tmp_path):
    write_notebook(tmp_path / "sub" / "homework_ivanov.ipynb", "class A:\n    pass")
    statements, messages = kept(tmp_path / "sub")
    assert sources(statements) == ["class A:\n    pass"]
    assert messages == []
    write_notebook(tmp_path / "sub" / "other.ipynb", "class B:\n    pass")
    statements, messages = kept(tmp_path / "sub")
    assert sources(statements) == ["class A:\n    pass"]
    assert "no notebook named notebook.ipynb; graded homework_ivanov.ipynb" in messages[0]


def choose(folder: Path, handed_out: dict[str, bytes]) -> tuple[str, list[str]]:
    """The name of the notebook intake grades in `folder`, and its notes."""
    files = {PurePosixPath(p.name): p.read_bytes() for p in folder.glob("*.ipynb")}
    messages: list[str] = []
    chosen, _ = choose_notebook(files, NAME, messages, handed_out)
    return chosen.name, messages


def test_a_russian_edition_handed_in_alone_is_graded_without_a_note(tmp_path):
    write_notebook(tmp_path / "notebook.ru.ipynb", "class A:\n    pass")
    write_notebook(tmp_path / "scratch.ipynb", "class B:\n    pass")
    assert choose(tmp_path, {}) == ("notebook.ru.ipynb", [])


def test_the_edition_written_in_is_graded_beside_the_other_as_handed_out(tmp_path):
    stub = "class A:\n    def f(self):\n        raise NotImplementedError"
    handed_out = {name: write_notebook(tmp_path / "handed-out" / name, stub,
                                       markdown=markdown).read_bytes()
                  for name, markdown in ((NAME, "# Task"), ("notebook.ru.ipynb", "# Задание"))}
    submission = tmp_path / "submission"
    write_notebook(submission / NAME, stub, markdown="# Task")
    write_notebook(submission / "notebook.ru.ipynb", stub.replace("raise NotImplementedError",
                                                                  "return 1"))
    name, messages = choose(submission, handed_out)
    assert name == "notebook.ru.ipynb"
    assert messages == ["notebook.ipynb is the notebook as handed out; graded notebook.ru.ipynb, "
                        "the one you wrote in"]
    write_notebook(submission / NAME, stub.replace("raise NotImplementedError", "return 2"))
    name, messages = choose(submission, handed_out)  # both written in: the expected one, said so
    assert name == NAME and messages == ["graded notebook.ipynb (of notebook.ipynb, notebook.ru.ipynb)"]
    write_notebook(submission / "notebook.ru.ipynb", stub)
    assert choose(submission, handed_out) == (NAME, [])  # the Russian one as handed out


def test_both_editions_as_handed_out_grade_the_expected_one(tmp_path):
    stub = "class A:\n    pass"
    handed_out = {name: write_notebook(tmp_path / name, stub).read_bytes()
                  for name in (NAME, "notebook.ru.ipynb")}
    assert choose(tmp_path, handed_out)[0] == NAME


def test_a_zipped_notebook_is_read(tmp_path):
    notebook = write_notebook(tmp_path / NAME, "class A:\n    pass")
    with zipfile.ZipFile(tmp_path / "sub.zip", "w") as archive:
        archive.write(notebook, f"top/{NAME}")
    statements, _ = kept(tmp_path / "sub.zip")
    assert sources(statements) == ["class A:\n    pass"]


@pytest.mark.parametrize("name", ["notebook.py", "notebook.txt", "notebook.pdf"])
def test_a_file_of_the_wrong_kind_is_refused_clearly(tmp_path, name):
    (tmp_path / name).write_text("class A:\n    pass\n")
    with pytest.raises(IntakeError, match="the notebook itself"):
        prepare(tmp_path / name, notebook_name=NAME)


def test_a_folder_without_a_notebook_names_what_was_found(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notebook.ipynb.txt").write_text("{}")
    with pytest.raises(IntakeError, match="no Jupyter notebook"):
        prepare(tmp_path / "sub", notebook_name=NAME)


@pytest.fixture
def notebook_module(tmp_path):
    """Build the `notebook` module in a real worker from the given cells."""
    sandboxes = []

    def build(*cells: str, prelude: tuple[Statement, ...] = ()):
        bundle = prepare(write_notebook(tmp_path / NAME, *cells), notebook_name=NAME,
                         prelude=prelude)
        sandbox = Sandbox(bundle.root, Limits())
        sandboxes.append((sandbox, bundle))
        return sandbox.student_for("task").module("notebook")

    yield build
    for sandbox, bundle in sandboxes:
        sandbox.close()
        bundle.cleanup()


def test_cells_run_out_of_order_still_define_everything(notebook_module):
    module = notebook_module("class Dense(Layer):\n    scale = SCALE",
                             "class Layer:\n    pass", "SCALE = 2")
    assert module.Dense.scale == 2


def missing_message(module, name: str) -> str:
    with pytest.raises(StudentError) as caught:
        getattr(module, name).attribute()
    return str(caught.value)


def test_a_failing_statement_costs_only_what_depends_on_it(notebook_module):
    module = notebook_module("import helpers_left_at_home", "import numpy as np\n\ndef relu(x):\n"
                             "    return np.maximum(x, 0)", "class Broken(Missing):\n    pass")
    assert module.relu(-3.0) == 0.0
    message = missing_message(module, "helpers_left_at_home")
    assert "your notebook defines no 'helpers_left_at_home'" in message
    assert "code cell 1, line 1: ModuleNotFoundError" in message
    assert "code cell 3, line 1: NameError: name 'Missing' is not defined" in missing_message(
        module, "Broken")


def test_a_missing_name_is_explained_by_failures_that_matter_not_by_absent_packages(
        notebook_module):
    module = notebook_module("import matplotlib.pyplot as plt\nimport torch",
                             "class Broken(Missing):\n    pass")
    message = missing_message(module, "Dense")
    assert "NameError: name 'Missing' is not defined" in message
    assert "matplotlib" not in message and "torch" not in message


def test_a_renamed_class_gets_the_name_it_was_given_as_a_hint(notebook_module):
    module = notebook_module("import torch", "class PRelu:\n    pass")
    message = missing_message(module, "PReLU")
    assert "did you mean 'PRelu'?" in message
    assert "torch" not in message


def test_a_100_mb_notebook_of_outputs_keeps_its_code(tmp_path):
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("class A:\n    pass")
    cell.outputs = [nbformat.v4.new_output("stream", text="x" * (100 * 2**20))]
    notebook.cells = [cell]
    (tmp_path / NAME).write_text(nbformat.writes(notebook))
    assert (tmp_path / NAME).stat().st_size > 100 * 2**20
    statements, _ = kept(tmp_path / NAME)
    assert sources(statements) == ["class A:\n    pass"]


def test_a_zip_bomb_is_refused_without_being_inflated(tmp_path):
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open(NAME, "w", force_zip64=True) as member:
        for _ in range(300):
            member.write(b"\0" * 2**20)
    assert (tmp_path / "bomb.zip").stat().st_size < 2**20
    with pytest.raises(IntakeError, match="no Jupyter notebook"):
        prepare(tmp_path / "bomb.zip", notebook_name=NAME)


def test_a_duplicated_cell_defines_the_class_once_and_the_last_copy_wins(notebook_module):
    module = notebook_module("class A:\n    value = 1", "class A:\n    value = 1",
                             "class A:\n    value = 2")
    assert module.A.value == 2


def test_a_failure_names_the_right_line_of_a_cell_with_several_statements(notebook_module):
    module = notebook_module("import numpy as np\n\ndef first():\n    raise ValueError('boom')\n\n"
                             "def second():\n    return 1")
    with pytest.raises(StudentError) as caught:
        module.first()
    assert "raise ValueError('boom')" in str(caught.value)


def test_top_level_helpers_are_there_for_the_code_that_reads_them(notebook_module):
    module = notebook_module("import math\nimport numpy as np",
                             "FLOAT = np.float64\nerf = np.vectorize(math.erf)\n"
                             "h1 = 1 * 0.45 + 0 * -0.12\npositive = lambda x: x > 0",
                             "class GELU:\n    def forward(self, x):\n        return (0.5 * x * "
                             "(1 + erf(x / math.sqrt(2)))).astype(FLOAT) + h1 * positive(x)")
    assert module.GELU().forward(np.array([0.0, 1.0])).tolist() == pytest.approx(
        [0.0, 0.8413447 + 0.45])


def test_a_name_only_a_statement_the_grader_does_not_run_defines_says_which_and_why(
        notebook_module):
    module = notebook_module("class Net:\n    def forward(self, x):\n        return x * SCALE",
                             "SCALE = 2.0\nmodel = Net()\nfor epoch in range(10 ** 9):\n"
                             "    model.forward(epoch)")
    assert module.Net().forward(3.0) == 6.0
    message = missing_message(module, "model")
    assert ("model is defined in code cell 2 by a statement the grader does not run (a call to "
            "Net, which builds an object of a class of the notebook)") in message
    assert "defines no" not in message and "Hint:" in message
    assert "(a loop)" in missing_message(module, "epoch")


def test_a_class_in_a_cell_with_a_syntax_error_is_explained_by_the_error(notebook_module):
    module = notebook_module("import numpy as np", "class Dense:\n    def forward(self, x)\n"
                             "        return x", "class ReLU:\n    pass")
    assert module.ReLU is not None
    message = missing_message(module, "Dense")
    assert "Dense is defined in code cell 2, which has a syntax error at line 2: expected ':'" in (
        message)
    assert "defines no" not in message and "Hint: fix the error" in message


def test_a_computation_that_overruns_costs_only_the_names_it_defines(notebook_module):
    module = notebook_module("import numpy as np\nFAST = np.float64(1.0)\nSLOW = count(10 ** 12)",
                             "def count(n):\n    total = 0\n    for i in range(n):\n"
                             "        total += i\n    return total",
                             "class Layer:\n    fast = FAST\n\ndef slow():\n    return SLOW")
    assert module.Layer.fast == 1.0
    with pytest.raises(StudentError) as caught:
        module.slow()
    assert "NameError" in str(caught.value)
    message = missing_message(module, "SLOW")
    assert "code cell 1, line 3: stopped after 2 s" in message


def test_the_notebooks_computations_share_one_budget(monkeypatch, tmp_path):
    """In-process (on the main thread, as in the worker), with the budget shrunk: a computation
    past the notebook's budget is not run, and the rest of the notebook still is."""
    monkeypatch.setattr(runtime_notebook, "STATEMENT_SECONDS", 0.2)
    monkeypatch.setattr(runtime_notebook, "NOTEBOOK_SECONDS", 0.3)
    spin = "import time\nstart = time.monotonic()\nwhile time.monotonic() < start + 5:\n    pass"
    statements = [{"cell": 1, "line": 1, "source": f"def spin():\n{textwrap.indent(spin, '    ')}"},
                  {"cell": 2, "line": 1, "source": "A = spin()", "timed": True},
                  {"cell": 3, "line": 1, "source": "B = spin()", "timed": True},
                  {"cell": 4, "line": 1, "source": "C = spin()", "timed": True},
                  {"cell": 5, "line": 1, "source": "class D:\n    pass"}]
    namespace: dict = {}
    failures = runtime_notebook.run_statements(namespace, statements, str(tmp_path))
    assert "D" in namespace and not {"A", "B", "C"} & set(namespace)
    first, second, third = (f.text for f in failures)
    assert first == ("code cell 2, line 1: stopped after 0.2 s of CPU time (the grader gives a top-level "
                     "computation 0.2 s, and all of them 0.3 s): compute it inside the function or "
                     "class that needs it")
    assert second.startswith("code cell 3, line 1: stopped after 0.")  # what was left: about 0.1 s
    assert third == ("code cell 4, line 1: not run: the notebook's top-level computations used up "
                     "their 0.3 s")


TEMPLATE = ("%matplotlib inline\nimport matplotlib.pyplot as plt\nimport numpy as np",
            "class Layer:\n    kind = 'given'\n\n    def forward(self, x):\n        return x",
            "class Sequential:\n    def __init__(self, layers):\n        self.layers = layers",
            "class Linear(Layer):\n    def __init__(self, n):\n        self.W = np.zeros(n)\n\n"
            "    def forward(self, x):\n        raise NotImplementedError",
            "def loss(logits):\n    return np.log(np.exp(logits).sum())\n\nlinear = Linear(3)")
GIVEN = ("Layer", "Sequential", "Linear.__init__", "loss")


def prelude_of(tmp_path: Path) -> list[Statement]:
    template = write_notebook(tmp_path / "template" / NAME, *TEMPLATE)
    return given_statements(template.read_bytes(), template.name, GIVEN)


def test_the_given_prelude_holds_the_whole_given_definitions_and_the_imports_they_read(tmp_path):
    statements = prelude_of(tmp_path)
    assert [defined_names(s.source) for s in statements] == [
        {"np"}, {"Layer"}, {"Sequential"}, {"loss"}]
    assert {s.cell for s in statements} == {GIVEN_CELL}
    lines = [s.line for s in statements]
    assert lines == sorted(set(lines)) and lines[0] == 1  # one after another: no shared lines


def test_a_notebook_naming_the_given_container_differently_grades_on_the_kits_copy(
        tmp_path, notebook_module):
    module = notebook_module("import numpy as np",
                             "class SomeNetwork:\n    def __init__(self, layers):\n"
                             "        self.layers = layers",
                             "class ReLU(Layer):\n    def forward(self, x):\n"
                             "        return np.maximum(x, 0)",
                             prelude=tuple(prelude_of(tmp_path)))
    network = module.Sequential([module.ReLU()])
    assert module.ReLU().forward(-1.0) == 0.0 and network.layers is not None
    assert module.loss(np.zeros(2)) == pytest.approx(np.log(2))


def test_the_students_own_copy_of_given_code_replaces_the_kits(tmp_path, notebook_module):
    module = notebook_module("class Layer:\n    kind = 'student'",
                             "class Dense(Layer):\n    pass", prelude=tuple(prelude_of(tmp_path)))
    assert module.Layer.kind == "student" and module.Dense.kind == "student"


@pytest.mark.parametrize("assignment", [name for name in config.available()
                                        if config.load(name).notebook])
def test_each_notebook_assignments_prelude_defines_exactly_its_whole_given_names(assignment):
    spec = config.load(assignment)
    statements = given_prelude(spec)
    defined = set().union(*(defined_names(s.source) for s in statements)) if statements else set()
    imports = {n for s in statements if s.source.startswith(("import ", "from "))
               for n in defined_names(s.source)}
    assert defined - imports == {g for g in spec.given if "." not in g}
    assert all(s.cell == GIVEN_CELL for s in statements)
