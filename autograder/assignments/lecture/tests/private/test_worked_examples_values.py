"""Worked examples: every number, with the tolerance the notebook states for it, under the keys
(and their spellings) of `[answer_keys]` in assignment.toml, as the public test reads them."""

import math

import pytest

from autograder import N_, config
from autograder.testing import answers

KEYS = config.load_for(__file__).answer_keys


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def xor_forward():
    h1, h2 = 1 * 0.45 + 0 * -0.12, 1 * 0.78 + 0 * 0.13
    o1 = sigmoid(h1) * 1.5 + sigmoid(h2) * -2.3
    return {"H1": h1, "H2": h2, "H1_out": sigmoid(h1), "H2_out": sigmoid(h2), "O1_in": o1,
            "O1_out": sigmoid(o1)}


def graph_backprop():
    w0, x0, w1, x1, w2 = 2.0, -1.0, -3.0, -2.0, -3.0
    f = sigmoid(w0 * x0 + w1 * x1 + w2)
    local = f * (1 - f)
    return {"f": f, "w0": x0 * local, "x0": w0 * local, "w1": x1 * local, "x1": w1 * local,
            "w2": local}


def linreg():
    x, y, w = [1, 2, 3, 4], [2, 4, 6, 8], 1.0
    return {"MSE": sum((w * a - b) ** 2 for a, b in zip(x, y, strict=True)) / 4,
            "dMSE/dw": sum(2 * (w * a - b) * a for a, b in zip(x, y, strict=True)) / 4}


EXAMPLES = {
    "xor_forward": (xor_forward(), 0.015, {
        "H1": N_("H1 = I1 * w1 + I2 * w3"), "H2": N_("H2 = I1 * w2 + I2 * w4"),
        "H1_out": "sigmoid(H1)", "H2_out": "sigmoid(H2)",
        "O1_in": N_("H1_out * w5 + H2_out * w6"), "O1_out": "sigmoid(O1_in)"}),
    "graph_backprop": (graph_backprop(), 0.011, {
        "f": N_("f = sigmoid(w0 x0 + w1 x1 + w2)"),
        **{key: f"df/d{key} = df/ds * ds/d{key}, with df/ds = f (1 - f) and s = w0 x0 + w1 x1 "
                "+ w2 (add passes the gradient on, multiply swaps its inputs)"
           for key in ("w0", "x0", "w1", "x1", "w2")}}),
    "linreg": (linreg(), 0.01, {
        "MSE": N_("the mean of (w x - y)^2 at w = 1"),
        "dMSE/dw": N_("sum over i of dMSE/dE_i * x_i, with dMSE/dE = 2 E / 4 and E = w x - y")}),
}


@pytest.mark.task("Worked examples")
@pytest.mark.answer
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_worked_example_values(student, name):
    expected, tolerance, hints = EXAMPLES[name]
    got = answers.entries(answers.fetch(student.module("notebook"), name), name, KEYS[name])
    answers.check_cells({f"{name}[{k!r}]": got[k] for k in expected},
                        {f"{name}[{k!r}]": v for k, v in expected.items()}, what=name,
                        tolerance=answers.HandTolerance(atol=tolerance, rtol=0.0),
                        hints={f"{name}[{k!r}]": v for k, v in hints.items()}, reveal=False)
