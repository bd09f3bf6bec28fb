"""Hidden checks of ReLU: forward and backward against torch.nn.ReLU on several shapes, with random
output gradients (not only ones), backward using the input of the latest forward call, and finite
differences with random weights. Inputs stay away from the kink at 0."""

import pytest

from autograder.checks import assert_close
from autograder.checks.layer_parity import away_from
from autograder.checks.torch_parity import (
    activation,
    forward_backward,
    gradient_check,
    tolerance_for,
    weighted_sum,
)

HINTS = {
    "forward": "max(x, 0) elementwise, of the shape of x: np.maximum(x, 0); remember x.",
    "backward": "grad times the derivative at the remembered input: grad * (x > 0). The result "
                "depends on grad, not only on x.",
}


def compare_with_torch(relu, x, grad, context=""):
    expected = forward_backward(activation("ReLU"), x, grad)
    where = f" ({context})" if context else ""
    output = relu.forward(x)
    assert_close(output, expected.output, f"ReLU.forward(x) for x of shape {x.shape}{where}",
                 against="torch.nn.ReLU", tolerance=tolerance_for(output), hint=HINTS["forward"])
    grad_input = relu.backward(grad)
    assert_close(grad_input, expected.grad_input, f"ReLU.backward(grad) for grad of shape "
                 f"{grad.shape}{where}", against="torch.nn.ReLU, x.grad",
                 tolerance=tolerance_for(grad_input), hint=HINTS["backward"])


@pytest.mark.task("ReLU")
@pytest.mark.parametrize("shape", [(1, 1), (4, 7), (64, 40)])
def test_relu_matches_torch(student, rng, shape):
    relu = student.module("notebook").ReLU()
    compare_with_torch(relu, away_from(rng, shape), rng.standard_normal(shape))


@pytest.mark.task("ReLU")
def test_relu_backward_uses_the_latest_input(student, rng):
    relu = student.module("notebook").ReLU()
    first = away_from(rng, (5, 6))
    relu.forward(first)
    compare_with_torch(relu, -first, rng.standard_normal((5, 6)),
                       context="after an earlier forward call on -x")


@pytest.mark.task("ReLU")
def test_relu_backward_matches_finite_differences_with_random_weights(student, rng):
    relu = student.module("notebook").ReLU()
    x, grad = away_from(rng, (3, 5)), rng.standard_normal((3, 5))
    relu.forward(x)
    analytic = relu.backward(grad)
    gradient_check(weighted_sum(relu.forward, grad, "ReLU().forward(x)"), x, analytic,
                   what="ReLU().backward(grad) after forward(x), x of shape (3, 5)",
                   hint=HINTS["backward"])
