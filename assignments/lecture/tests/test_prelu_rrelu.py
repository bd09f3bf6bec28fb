"""PReLU (forward, backward and the gradient of its weight) and RReLU (torch's eval mode exactly,
random slopes in training mode) against torch.nn.PReLU / torch.nn.RReLU."""

import pytest
import torch

from autograder import N_
from autograder.testing import assert_close
from autograder.testing.layer_parity import away_from, check_layer_pass, torch_prelu
from autograder.interfaces.random_slopes import check_random_slopes

PRELU = {"forward": N_("x for x >= 0, weight * x below (weight[c] for column c when "
                       "num_parameters > 1)."),
         "backward": N_("grad_output * (1 where x >= 0, else weight).")}
PRELU_WEIGHT = (N_("grad_weight = the sum of grad_output * x over the elements where x < 0: over "
                   "everything for one parameter, over the batch (axis 0) for one per column."))
RRELU_EVAL = {"forward": N_("in eval mode the slope is the constant (lower + upper) / 2."),
              "backward": N_("in eval mode: grad_output * (1 where x >= 0, else (lower + upper) / 2).")}


@pytest.mark.task("PReLU")
@pytest.mark.parametrize("num_parameters", [1, 4])
def test_prelu_matches_torch_with_its_weight_gradient(student, rng, num_parameters):
    """Two backward calls in a row, as a training loop makes them: each overwrites grad_weight.
    (The weight is set by the grader: __init__ is given code.)"""
    name = N_(f"PReLU(num_parameters={num_parameters})")
    layer = student.module("notebook").PReLU(num_parameters=num_parameters)
    weight = rng.uniform(0.05, 0.5, num_parameters)
    layer.weight = weight
    for call in (1, 2):
        x, g = away_from(rng, (6, 4)), rng.standard_normal((6, 4))
        expected = check_layer_pass(layer, torch_prelu(weight), x, g, name=name,
                                    against="torch.nn.PReLU", hints=PRELU,
                                    context=N_(f"backward call #{call}"))
        assert_close(layer.grad_weight, expected.grads["weight"],
                     N_(f"{name}.grad_weight after backward call #{call} with x of shape {x.shape}"),
                     against=N_("torch.nn.PReLU's weight.grad of that call"),
                     hint=N_(f"{PRELU_WEIGHT} Each call overwrites grad_weight."))


@pytest.mark.task("RReLU")
def test_rrelu_eval_mode_matches_torch_and_training_mode_is_random(student, rng):
    layer = student.module("notebook").RReLU()
    check_random_slopes(layer, rng, "RReLU()", lower=1 / 8, upper=1 / 3)
    layer.eval()
    x, g = away_from(rng, (6, 5)), rng.standard_normal((6, 5))
    check_layer_pass(layer, torch.nn.RReLU().eval(), x, g, name=N_("RReLU() after eval()"),
                     against="torch.nn.RReLU().eval()", hints=RRELU_EVAL)
