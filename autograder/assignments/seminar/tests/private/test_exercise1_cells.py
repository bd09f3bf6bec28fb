"""Exercise 1: every cell of the table, each against the formula applied to the student's own
cells before it (so one slip is reported once, not again in every later cell)."""

import math

import pytest

from autograder import N_
from autograder.testing import answers

COLUMNS = ("x1", "x2", "y", "s", "z", "L", "dL/dz", "dsigma/ds", "dL/dalpha", "dL/dbeta",
           "alpha", "beta")
ALPHA0, BETA0, LEARNING_RATE = 0.5, 1.0, 1.0
TOLERANCE = answers.HandTolerance(atol=0.002, rtol=0.01)
HINTS = {
    "x1": N_("x1 = 1 in every step"), "x2": N_("x2 = 2 in every step"), "y": N_("y = 3 in every step"),
    "s": N_("s = alpha * x1 + beta * x2, with alpha and beta from before this step (alpha0 = 0.5, "
            "beta0 = 1 in step 1)"),
    "z": N_("z = sigma(s) = 1 / (1 + exp(-s))"),
    "L": N_("L = 0.5 * (y - z)^2"),
    "dL/dz": N_("dL/dz = -(y - z) = z - y"),
    "dsigma/ds": N_("dsigma/ds = sigma(s) * (1 - sigma(s)) = z * (1 - z)"),
    "dL/dalpha": N_("dL/dalpha = dL/dz * dsigma/ds * x1"),
    "dL/dbeta": N_("dL/dbeta = dL/dz * dsigma/ds * x2"),
    "alpha": N_("alpha after the step = alpha before - learning rate (1) * dL/dalpha"),
    "beta": N_("beta after the step = beta before - learning rate (1) * dL/dbeta"),
}


def expected_row(row: dict[str, float], alpha: float, beta: float) -> dict[str, float]:
    """Each cell from the student's own earlier cells of the row and the previous alpha, beta."""
    x1, x2, y = 1.0, 2.0, 3.0
    z = 1 / (1 + math.exp(-row["s"]))
    chain = row["dL/dz"] * row["dsigma/ds"]
    return {
        "x1": x1, "x2": x2, "y": y, "s": alpha * x1 + beta * x2, "z": z,
        "L": 0.5 * (y - row["z"]) ** 2, "dL/dz": row["z"] - y,
        "dsigma/ds": row["z"] * (1 - row["z"]), "dL/dalpha": chain * x1, "dL/dbeta": chain * x2,
        "alpha": alpha - LEARNING_RATE * row["dL/dalpha"],
        "beta": beta - LEARNING_RATE * row["dL/dbeta"],
    }


@pytest.mark.task("Exercise 1")
@pytest.mark.answer
def test_exercise1_every_cell_follows_from_the_cells_before_it(student):
    notebook = student.module("notebook")
    rows = answers.table(answers.fetch(notebook, "exercise1_table"), "exercise1_table", COLUMNS,
                         rows=3)
    got, expected, hints = {}, {}, {}
    alpha, beta = ALPHA0, BETA0
    for step, values in enumerate(rows, start=1):
        row = dict(zip(COLUMNS, values, strict=True))
        for column, value in expected_row(row, alpha, beta).items():
            label = N_(f"step {step}, {column}")
            got[label], expected[label], hints[label] = row[column], value, HINTS[column]
        alpha, beta = row["alpha"], row["beta"]
    answers.check_cells(got, expected, what="exercise1_table", tolerance=TOLERANCE, hints=hints,
                        reveal=False)
