"""Exercise 1: `exercise1_table` holds three rows of twelve numbers, the given columns as given.
Without the variable, the table filled in under the exercise's heading is read into it (decimal
commas and LaTeX too; see autograder/intake/answer_table.py), and the notes say which was read.
Its other cells are checked by hidden tests."""

import pytest

from autograder import N_
from autograder.testing import answers

COLUMNS = tuple(f"column {index}" for index in range(1, 13))
GIVEN = {"x1": 1.0, "x2": 2.0, "y": 3.0}
MISSING_HINT = (N_("fill in the table under Exercise 1 (read from the saved notebook) or, in Python, "
                   "the variable exercise1_table in the cell below it, with numbers"))


@pytest.mark.task("Exercise 1")
def test_exercise1_table_is_three_rows_of_twelve_numbers(student):
    notebook = student.module("notebook")
    rows = answers.table(answers.fetch(notebook, "exercise1_table", MISSING_HINT),
                         "exercise1_table", COLUMNS, rows=3)
    got = {f"step {step}, {name}": row[index] for step, row in enumerate(rows, start=1)
           for index, name in enumerate(GIVEN)}
    expected = {label: GIVEN[label.rpartition(" ")[2]] for label in got}
    answers.check_cells(got, expected, what=N_("exercise1_table, the given columns x1, x2, y"),
                        tolerance=answers.HandTolerance(atol=0.0, rtol=0.0),
                        hints={label: "every step uses the same example x = (1, 2), y = 3; "
                               "the first three columns are x1, x2, y" for label in got},
                        reveal=True)
