"""Worked examples: `xor_forward`, `graph_backprop` and `linreg` are dicts holding a number under
each expected key. Their values are checked by hidden tests."""

import pytest

from autograder.checks import answers

KEYS = {
    "xor_forward": ("H1", "H2", "H1_out", "H2_out", "O1_in", "O1_out"),
    "graph_backprop": ("f", "w0", "x0", "w1", "x1", "w2"),
    "linreg": ("MSE", "dMSE/dw"),
}


@pytest.mark.task("Worked examples")
@pytest.mark.parametrize("name", sorted(KEYS))
def test_worked_example_holds_a_number_per_key(student, name):
    answers.entries(answers.fetch(student.module("notebook"), name), name, KEYS[name])
