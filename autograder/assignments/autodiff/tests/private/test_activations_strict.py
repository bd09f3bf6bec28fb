"""Hidden checks of modules.activations: more shapes, finite differences, float64 in -> float64
out; and, as robustness probes beyond the course's inputs (findings that cost nothing), logits of
+-1000."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing.torch_parity import (
    activation,
    check_float64,
    compare_pass,
    gradient_check,
    weighted_sum,
)

NAMES = ["ReLU", "Sigmoid", "Softmax", "LogSoftmax"]
HINTS = {
    "ReLU": {"forward": N_("y = max(x, 0) elementwise, for inputs of any shape."),
             "backward": N_("dL/dx = grad_output * (x > 0), of the shape of x.")},
    "Sigmoid": {"forward": N_("y = 1 / (1 + exp(-x)) elementwise, for inputs of any shape; "
                              "scipy.special.expit computes it without overflow."),
                "backward": N_("dL/dx = grad_output * s * (1 - s) with s = sigmoid(x).")},
    "Softmax": {"forward": N_("softmax over the LAST axis (axis=-1, keepdims=True), for any number "
                              "of rows and columns."),
                "backward": N_("dL/dx = s * (grad_output - (grad_output * s).sum(axis=-1, "
                               "keepdims=True)) with s = softmax(x).")},
    "LogSoftmax": {"forward": N_("x - logsumexp(x) over the LAST axis (axis=-1, keepdims=True)."),
                   "backward": N_("dL/dx = grad_output - softmax(x) * grad_output.sum(axis=-1, "
                                  "keepdims=True).")},
}
SHAPES = {"ReLU": [(1, 1), (3, 5), (2, 3, 4)], "Sigmoid": [(1, 1), (3, 5), (2, 3, 4)],
          "Softmax": [(1, 1), (1, 6), (5, 2), (17, 9)],
          "LogSoftmax": [(1, 1), (1, 6), (5, 2), (17, 9)]}
# The course's advice, section 4 "Tips" (translated): its tests never feed logits of +-1000.
SCIPY = N_("Use the functions from scipy.special.")
ADVICE = {
    "Sigmoid": SCIPY,
    "Softmax": SCIPY,
    "LogSoftmax": N_("Use the functions from scipy.special. Implementing LogSoftmax as the "
                     "logarithm of the Softmax module is a bad idea."),
}
STABLE = {
    "Softmax": N_("subtract the row maximum before exponentiating: softmax(x) = softmax(x - "
                  "x.max(axis=-1, keepdims=True)), or use scipy.special.softmax; exp(1000) "
                  "overflows to inf and inf / inf is nan."),
    "LogSoftmax": N_("compute x - logsumexp(x) with the row maximum subtracted first (or "
                     "scipy.special.log_softmax); log(softmax(x)) underflows to log(0) = -inf."),
}


def away_from_zero(x):
    """Keep inputs at least 1e-3 away from ReLU's kink."""
    return np.where(np.abs(x) < 1e-3, np.sign(x + 1e-12) * 1e-3, x)


def against(name):
    return f"torch.nn.{name}" + ("(dim=-1)" if "Softmax" in name else "")


@pytest.mark.task("Activations")
@pytest.mark.extends("test_activations")
@pytest.mark.parametrize("name", NAMES)
def test_activation_more_shapes(student, rng, name):
    activations = student.module("modules.activations")
    module = getattr(activations, name)()
    for shape in SHAPES[name]:
        x = away_from_zero(2 * rng.standard_normal(shape))
        compare_pass(module, activation(name), x, rng.standard_normal(shape), name=name,
                     against=against(name), hints=HINTS[name])


@pytest.mark.task("Activations")
@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.robustness(advice=ADVICE[name]))
    for name in ("Softmax", "LogSoftmax")])
def test_softmax_is_stable_on_huge_logits(student, rng, name):
    activations = student.module("modules.activations")
    module = getattr(activations, name)()
    x = np.array([[1000.0, -1000.0, 999.0, 0.0],
                  [-1000.0, -999.0, -1000.0, -998.5],
                  [1000.0, 1000.0, -1000.0, 10.0]])
    compare_pass(module, activation(name), x, rng.standard_normal(x.shape),
                 name=N_(f"{name} on logits of +-1000"), against=against(name),
                 hints={"forward": STABLE[name], "backward": STABLE[name]})


@pytest.mark.task("Activations")
@pytest.mark.robustness(advice=ADVICE["Sigmoid"])
def test_sigmoid_is_stable_on_huge_inputs(student, rng):
    activations = student.module("modules.activations")
    x = np.array([[-1000.0, -50.0, -1.0, 0.5, 50.0, 1000.0]])
    hint = (N_("1 / (1 + exp(-x)) is fine for large x but exp(x) / (1 + exp(x)) gives inf / inf = "
               "nan; scipy.special.expit is safe everywhere."))
    compare_pass(activations.Sigmoid(), activation("Sigmoid"), x, rng.standard_normal(x.shape),
                 name=N_("Sigmoid on inputs of +-1000"), against="torch.nn.Sigmoid",
                 hints={"forward": hint, "backward": hint})


@pytest.mark.task("Activations")
@pytest.mark.extends("test_activations")
@pytest.mark.parametrize("name", NAMES)
def test_activation_finite_differences(student, rng, name):
    activations = student.module("modules.activations")
    module = getattr(activations, name)()
    x = away_from_zero(rng.standard_normal((3, 4)))
    g = rng.standard_normal(x.shape)
    forward = module.forward
    forward(x)
    grad_input = module.backward(x, g)
    gradient_check(weighted_sum(forward, g, f"{name}.forward(x)"), x, grad_input,
                   what=N_(f"{name}.backward(x, grad_output) for x of shape {x.shape}"),
                   hint=HINTS[name]["backward"])


@pytest.mark.task("Activations")
@pytest.mark.extends("test_activations")
def test_activations_keep_float64(student, rng):
    activations = student.module("modules.activations")
    x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for name in NAMES:
        module = getattr(activations, name)()
        check_float64(module.forward(x), f"{name}.forward(x) for a float64 x", shape=x.shape)
        check_float64(module.backward(x, g), f"{name}.backward(x, grad_output) for float64 "
                      "arrays", shape=x.shape)
