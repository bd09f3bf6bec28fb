"""Task 1, hidden checks: odd shapes, finite differences, a layer reused over several batches."""

import pytest
import torch

from autograder import N_
from autograder.testing.layer_parity import away_from, check_layer_pass
from autograder.testing.torch_parity import gradient_check, weighted_sum

HINTS = {"forward": N_("ReLU(z) = max(0, z), elementwise, for any batch size and number of units."),
         "backward": N_("grad_output * (input > 0): the gradient w.r.t. this call's input, with "
                        "the shape of the input.")}


@pytest.mark.task("ReLU")
@pytest.mark.extends("test_relu_matches_torch")
def test_relu_odd_shapes_and_reuse(student, rng):
    relu = student.module("notebook").ReLU()
    for shape in [(1, 1), (1, 7), (13, 3), (64, 10)]:
        check_layer_pass(relu, torch.nn.ReLU(), away_from(rng, shape, scale=3.0),
                         rng.standard_normal(shape), name="ReLU()", against="torch.nn.ReLU",
                         hints=HINTS, context=N_("the same ReLU object, called on several batches"))


@pytest.mark.task("ReLU")
@pytest.mark.extends("test_relu_matches_torch")
def test_relu_backward_matches_finite_differences(student, rng):
    relu = student.module("notebook").ReLU()
    x, g = away_from(rng, (4, 6)), rng.standard_normal((4, 6))
    gradient_check(weighted_sum(relu.forward, g, "ReLU().forward(x)"), x, relu.backward(x, g),
                   what=N_(f"ReLU().backward(x, grad_output) for x of shape {x.shape}"),
                   hint=HINTS["backward"])
