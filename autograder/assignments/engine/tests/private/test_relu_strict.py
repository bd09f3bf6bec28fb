"""Hidden checks of ReLU: forward and backward against torch.nn.ReLU on several shapes, with random
output gradients (not only ones), backward using the input of the latest forward call, and finite
differences with random weights. Inputs stay away from the kink at 0."""

import pytest

from autograder import N_
from autograder.testing.layer_parity import away_from
from autograder.testing.torch_parity import gradient_check, weighted_sum
from autograder.interfaces.sgd_linear import check_activation_pass

HINTS = {
    "forward": N_("max(x, 0) elementwise, of the shape of x: np.maximum(x, 0); remember x."),
    "backward": N_("grad times the derivative at the remembered input: grad * (x > 0). The result "
                   "depends on grad, not only on x."),
}


@pytest.mark.task("ReLU")
@pytest.mark.extends("test_relu_matches_torch_on_the_notebooks_shape")
@pytest.mark.parametrize("shape", [(1, 1), (4, 7), (64, 40)])
def test_relu_matches_torch(student, rng, shape):
    relu = student.module("notebook").ReLU()
    check_activation_pass(relu, "ReLU", away_from(rng, shape), rng.standard_normal(shape),
                          hints=HINTS)


@pytest.mark.task("ReLU")
@pytest.mark.extends("test_relu_matches_torch_on_the_notebooks_shape")
def test_relu_backward_uses_the_latest_input(student, rng):
    relu = student.module("notebook").ReLU()
    first = away_from(rng, (5, 6))
    relu.forward(first)
    check_activation_pass(relu, "ReLU", -first, rng.standard_normal((5, 6)),
                          hints=HINTS, context=N_("after an earlier forward call on -x"))


@pytest.mark.task("ReLU")
@pytest.mark.extends("test_relu_backward_matches_finite_differences")
def test_relu_backward_matches_finite_differences_with_random_weights(student, rng):
    relu = student.module("notebook").ReLU()
    x, grad = away_from(rng, (3, 5)), rng.standard_normal((3, 5))
    relu.forward(x)
    analytic = relu.backward(grad)
    gradient_check(weighted_sum(relu.forward, grad, "ReLU().forward(x)"), x, analytic,
                   what=N_("ReLU().backward(grad) after forward(x), x of shape (3, 5)"),
                   hint=HINTS["backward"])
