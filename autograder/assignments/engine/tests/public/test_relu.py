"""ReLU: the notebook's own checks (shapes, non-negative output, the finite-difference check of
backward), done in float64 with central differences away from the kink at 0, and f(x) = max(x, 0)
as the notebook defines it, against torch.nn.ReLU."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing import as_array, require
from autograder.testing.layer_parity import away_from
from autograder.testing.torch_parity import gradient_check, weighted_sum
from autograder.interfaces.sgd_linear import check_activation_pass

BACKWARD = (N_("backward(grad) multiplies grad by the derivative of max(x, 0) at the input that "
               "forward remembered: 1 where x > 0, else 0."))


@pytest.mark.task("ReLU")
def test_relu_shapes_and_non_negative_output(student, rng):
    relu = student.module("notebook").ReLU()
    x = rng.standard_normal((3, 5))
    output = as_array(relu.forward(x), N_("ReLU().forward(x) for x of shape (3, 5)"), shape=(3, 5),
                      hint=N_("activation layers do not change the size of the tensor."))
    require(bool(np.all(output >= 0.0)), N_(f"ReLU().forward(x) has negative values (smallest "
          f"{output.min():.4g}).\n  Hint: max(x, 0) elementwise: np.maximum(x, 0)."))
    as_array(relu.backward(rng.standard_normal((3, 5))), N_("ReLU().backward(grad) for grad of "
             "shape (3, 5)"), shape=(3, 5), hint=BACKWARD)


@pytest.mark.task("ReLU")
def test_relu_backward_matches_finite_differences(student, rng):
    relu = student.module("notebook").ReLU()
    x = away_from(rng, (3, 5))
    ones = np.ones_like(x)
    relu.forward(x)
    analytic = relu.backward(ones)
    gradient_check(weighted_sum(relu.forward, ones, "ReLU().forward(x)"), x, analytic,
                   what=N_("ReLU().backward(np.ones_like(x)) after forward(x), x of shape (3, 5)"),
                   hint=BACKWARD)


@pytest.mark.task("ReLU")
def test_relu_matches_torch_on_the_notebooks_shape(student, rng):
    relu = student.module("notebook").ReLU()
    check_activation_pass(relu, "ReLU", away_from(rng, (3, 5)), rng.standard_normal((3, 5)),
                          hints={"forward": "f(x) = max(x, 0) elementwise: np.maximum(x, 0); "
                                            "remember x for backward.", "backward": BACKWARD})
