"""The seminar's exercise 1 as students hand it in: a markdown table filled in by hand, read into
`exercise1_table` by intake (autograder/intake/answer_table.py) when no code cell assigns it."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from autograder import config
from autograder.intake import prepare_for
from autograder.intake.answer_table import find_table, read_cell, split_row, table_statements
from autograder.intake.notebook import Source
from autograder.runtime.notebook_module import STATEMENTS_FILE

SPEC = config.load("seminar")
TABLE = SPEC.answer_tables[0]
# The seminar's own cell (seed 000), filled in: 12 header cells, a 10-cell delimiter row, a 13-cell
# last row.
DERIVATIVES = [("L", "z"), ("\\sigma", "s"), ("L", "\\alpha"), ("L", "\\beta")]
SEED_HEADER = ("| $x_1$ | $x_2$ | y | s | z | L | "
               + "".join(f"$\\frac{{\\partial {f}}}{{ \\partial {x}}}$ | " for f, x in DERIVATIVES)
               + "$\\alpha$ | $\\beta$ |")
SEED_CELL = "\n".join([
    "** Упражнение 1 **", "",
    "Сделайте три шага градиентного спуска и заполните таблицу при:",
    "$ \\alpha_0 = 0.5 $<br> $ \\beta_0 = 1 $", "", "",
    SEED_HEADER,
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    "| 1 | 2 | 3 | 2,5 | $0{,}924$ | 2,15 | −2,08 | 0,0702 | $-\\frac{0,292}{2}$ | $-0{,}292$ "
    "| 0,646 | 1,29 |",
    "| 1 | 2 | 3 | 3,23 | 0,962 | $\\approx 2{,}08$ | -2,04 | $3{,}66 \\cdot 10^{-2}$ | −0,0747 "
    "| −0,149 | 0,721 | 1,44 |",
    "| 1 | 2 | 3 | 3,6 | 0,973 | 2,05 | −2,03 | 0,0263 | −0,0534 | −0,107 | 0,774 | 1,55 | |",
])
READ = [[1.0, 2.0, 3.0, 2.5, 0.924, 2.15, -2.08, 0.0702, -0.146, -0.292, 0.646, 1.29],
        [1.0, 2.0, 3.0, 3.23, 0.962, 2.08, -2.04, 0.0366, -0.0747, -0.149, 0.721, 1.44],
        [1.0, 2.0, 3.0, 3.6, 0.973, 2.05, -2.03, 0.0263, -0.0534, -0.107, 0.774, 1.55]]
EMPTY_ROWS = "\n".join(["| 1 | 2 | 3 |" + "  |" * 9] * 3)
KIT_CELL = ("**Exercise 1** (2 points)\n\n| $x_1$ | $x_2$ | y | s |\n| --- | --- | --- | --- |\n"
            + EMPTY_ROWS)


def notebook(*cells: tuple[str, str]) -> bytes:
    made = nbformat.v4.new_notebook()
    made.cells = [nbformat.v4.new_markdown_cell(text) if kind == "markdown"
                  else nbformat.v4.new_code_cell(text) for kind, text in cells]
    return nbformat.writes(made).encode()


def close_to_read(rows: object) -> bool:
    return (isinstance(rows, list) and [len(row) for row in rows] == [12] * 3
            and [x for row in rows for x in row] == pytest.approx([x for row in READ for x in row]))


def read(*cells: tuple[str, str]) -> tuple[dict[str, object], list[str]]:
    """What the worker would define from the notebook's tables, and intake's notes."""
    messages: list[str] = []
    code = [Source(f"cell {n}", text) for n, text in
            enumerate((text for kind, text in cells if kind == "code"), start=1)]
    namespace: dict[str, object] = {}
    for statement in table_statements(notebook(*cells), [TABLE], code, messages):
        exec(statement.source, namespace)  # noqa: S102 - literals the kit wrote
    namespace.pop("__builtins__", None)
    return namespace, messages


@pytest.mark.parametrize("text, number", [
    ("2,5", 2.5), ("$0{,}924$", 0.924), ("−2,08", -2.08), ("$-\\frac{0,292}{2}$", -0.146),
    ("$\\dfrac{1}{4}$", 0.25), ("$3{,}66 \\cdot 10^{-2}$", 0.0366), ("1.45e-1", 0.145),
    ("$\\approx 2{,}08$", 2.08), ("z = 0.924", 0.924), ("**0.924**", 0.924), ("`0,07`", 0.07),
    ("$\\frac{1}{1+e^{-2,5}}$", 0.9241418), ("-0.5 - 0.1455", -0.6455),
])
def test_a_cell_reads_as_the_number_a_student_types_by_hand(text, number):
    assert read_cell(text) == pytest.approx(number)


@pytest.mark.parametrize("text", ["2,5,1", "—", "n/a", "(-8)^{0.5}", "10^{10^{10}}", "1/0",
                                  "__import__('os')", "x" * 200])
def test_a_cell_that_is_no_number_keeps_its_text_and_nothing_is_run(text):
    assert read_cell(text) == text[:120]


def test_an_empty_cell_reads_as_none_so_the_check_says_fill_it_in():
    assert read_cell("  ") is None


def test_the_seminars_rows_of_13_cells_and_escaped_pipes_split_into_their_columns():
    assert split_row("| 1 | 2 | 3 |  |  |  |  |  |  |  |  |  | |", 12) == ["1", "2", "3"] + [""] * 9
    assert split_row("| a \\| b | 2 |", 2) == ["a \\| b", "2"]
    assert split_row("| 1 | 2 | 3 |", 2) == ["1", "2", "3"]  # a cell too many is kept: reported


def test_the_seminars_own_malformed_table_is_read_under_its_russian_heading():
    namespace, messages = read(("markdown", SEED_CELL), ("code", "import numpy as np"))
    assert list(namespace) == ["exercise1_table"] and close_to_read(namespace["exercise1_table"])
    assert messages == ["no code cell assigns exercise1_table: graded the table under "
                        "'Упражнение 1' (markdown cell 1) as exercise1_table"]


def test_a_table_in_the_markdown_cell_after_the_heading_is_read_but_not_past_a_code_cell():
    table = SEED_CELL[SEED_CELL.index("| $x_1$"):]
    assert close_to_read(read(("markdown", "### Exercise 1"), ("markdown", table))[0]["exercise1_table"])
    assert read(("markdown", "### Exercise 1"), ("code", "x = 1"), ("markdown", table)) == ({}, [])


def test_the_heading_must_be_the_exercises_own():
    table = SEED_CELL[SEED_CELL.index("| $x_1$"):]
    assert read(("markdown", f"**Exercise 10**\n\n{table}")) == ({}, [])
    assert read(("markdown", f"| Exercise 1 | `exercise1_table` | 2 |\n\n{table}")) == ({}, [])


def test_the_template_as_handed_out_is_not_a_filled_table():
    assert read(("markdown", KIT_CELL)) == ({}, [])


def test_a_partly_filled_table_is_read_with_its_empty_and_unreadable_cells():
    cell = KIT_CELL.replace("| 1 | 2 | 3 |  |", "| 1 | 2 | 3 | 2,5,1 |", 1)
    rows = read(("markdown", cell))[0]["exercise1_table"]
    assert rows[0][:4] == [1.0, 2.0, 3.0, "2,5,1"] and rows[0][4] is None and len(rows) == 3


def test_when_a_code_cell_assigns_the_variable_it_is_graded_and_the_table_is_not_read():
    namespace, messages = read(("markdown", SEED_CELL), ("code", "import numpy as np"),
                               ("code", "exercise1_table = [[1, 2, 3]]"))
    assert namespace == {}
    assert messages == ["exercise1_table is assigned in code cell 2, so the variable was graded "
                        "and the table under 'Упражнение 1' (markdown cell 1) was not read: when "
                        "both are there, the variable is graded"]


def test_a_variable_in_a_cell_with_a_syntax_error_still_counts_as_the_students_answer():
    namespace, messages = read(("markdown", SEED_CELL),
                               ("code", "exercise1_table = [[1, 2, 3]\nfor x in"))
    assert namespace == {} and "assigned in code cell 1" in messages[0]


def test_no_heading_no_table_and_a_damaged_notebook_read_nothing():
    assert find_table([("markdown", "no exercise here")], TABLE.headings, 12) is None
    assert find_table([("markdown", "**Exercise 1**\n\nno table")], TABLE.headings, 12) is None
    assert table_statements(b"{not json", [TABLE], [], []) == []


def test_grading_intake_runs_the_table_after_the_given_code_and_before_the_students_cells(
        tmp_path: Path):
    path = tmp_path / "notebook.ipynb"
    path.write_bytes(notebook(("markdown", SEED_CELL), ("code", "import numpy as np")))
    bundle = prepare_for(path, SPEC)
    try:
        statements = json.loads((bundle.root / STATEMENTS_FILE).read_text())
    finally:
        bundle.cleanup()
    sources = [s["source"] for s in statements if "source" in s]
    table = next(i for i, s in enumerate(sources) if s.startswith("exercise1_table = "))
    assert 0 < table < len(sources) - 1 and sources[-1] == "import numpy as np"
    assert any("graded the table under 'Упражнение 1'" in m for m in bundle.messages)
