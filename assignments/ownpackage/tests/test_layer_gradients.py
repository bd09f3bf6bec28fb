"""Part 2.1-2.4: CrossEntropy.forward and the input gradients of CrossEntropy, Softmax, ReLU and
DenseLayer, on the course's own inputs, against central differences of your forward pass. A
layer's grad_x is the per-sample Jacobian (batch, out, in); a loss's is (batch, in). A gradient
loses points beyond the course's own tolerance (sum of absolute errors < 0.01); the finer
elementwise check is reported as a finding, costing nothing."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing import assert_close
from autograder.interfaces.jacobian import TOLERANCE_PARAMS, check_jacobian, compare_gradient, loss_gradient

TASK = "Layer gradients"
COURSE_X = np.array([[1, 2, 3], [2, -3, 4]])
JACOBIAN_HINT = N_("grad_x(x)[b, o, i] = d output[b, o] / d x[b, i]: shape (batch, out, in).")


@pytest.mark.task(TASK)
@pytest.mark.parametrize("tolerance", TOLERANCE_PARAMS)
def test_crossentropy_forward_and_grad_x(student, tolerance):
    ce = student.module("notebook").CrossEntropy()
    x = np.array([[1, 2, 3], [2, 3, 4]])
    labels = np.array([[0.3, 0.2, 0.5], [0.3, 0.2, 0.5]])
    assert_close(ce.forward(x, labels), -np.sum(labels * np.log(x + 1e-5), axis=1),
                 N_("CrossEntropy().forward(p, labels) for p of shape (2, 3)"),
                 against=N_("-sum(labels * log(p + eps), axis=1)"), tolerance="float32",
                 hint=N_("one loss per sample (shape (batch,))."))
    compare_gradient(ce.grad_x(x, labels), loss_gradient(lambda p: ce.forward(p, labels), x,
                                                         "CrossEntropy().forward"),
                     "CrossEntropy().grad_x(p, labels) for p of shape (2, 3)",
                     against=N_("central finite differences of your forward"), tolerance=tolerance,
                     hint=N_("d L / d p_i = -y_i / (p_i + eps), shape (batch, classes)."))


@pytest.mark.task(TASK)
@pytest.mark.parametrize("tolerance", TOLERANCE_PARAMS)
@pytest.mark.parametrize("layer", ["Softmax()", "ReLU()", "DenseLayer(3, 4)"])
def test_grad_x_on_the_course_inputs(student, layer, tolerance):
    nb = student.module("notebook")
    built = {"Softmax()": nb.Softmax, "ReLU()": nb.ReLU,
             "DenseLayer(3, 4)": lambda: nb.DenseLayer(3, 4, W_init=np.arange(12.0).reshape(3, 4) / 7,
                                                       b_init=np.ones(4))}[layer]()
    check_jacobian(built.grad_x(COURSE_X), built.forward, COURSE_X,
                   what=N_(f"{layer}.grad_x(x) for x of shape (2, 3)"), hint=JACOBIAN_HINT,
                   tolerance=tolerance)
