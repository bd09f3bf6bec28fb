"""PReLU and RReLU, hidden checks: other parameters, finite differences of the weight gradient,
one gradient per call, switching between training and evaluation. The layers' __init__, train()
and eval() are given code: no check reads what __init__ set."""

import numpy as np
import pytest
import torch

from autograder import N_
from autograder.testing import as_array, assert_close, directional_derivatives
from autograder.testing.layer_parity import away_from, check_layer_pass, torch_prelu
from autograder.interfaces.random_slopes import check_random_slopes

PRELU = {"forward": N_("x for x >= 0, weight * x below; weight = np.full(num_parameters, init)."),
         "backward": N_("grad_output * (1 where x >= 0, else weight).")}
PRELU_WEIGHT = (N_("the sum of grad_output * x over the elements where x < 0 (per column when "
                   "num_parameters > 1), from this backward call alone."))
RRELU_EVAL = {"forward": N_("eval mode: slope (lower + upper) / 2 for x < 0."),
              "backward": N_("eval mode: grad_output * (1 where x >= 0, else (lower + upper) / 2).")}


@pytest.mark.task("PReLU")
@pytest.mark.extends("test_prelu_matches_torch_with_its_weight_gradient")
def test_prelu_three_columns_and_one_gradient_per_call(student, rng):
    layer = student.module("notebook").PReLU(num_parameters=3, init=0.1)
    weight = rng.uniform(0.05, 0.5, 3)
    layer.weight = weight
    for call in (1, 2, 3):
        x, g = away_from(rng, (5, 3)), rng.standard_normal((5, 3))
        expected = check_layer_pass(layer, torch_prelu(weight), x, g,
                                    name=N_("PReLU(num_parameters=3, init=0.1)"),
                                    against="torch.nn.PReLU", hints=PRELU,
                                    context=N_(f"backward call #{call}"))
        assert_close(layer.grad_weight, expected.grads["weight"],
                     N_(f"PReLU(num_parameters=3).grad_weight after backward call #{call}"),
                     against=N_("torch.nn.PReLU's weight.grad of that call"),
                     hint=N_(f"{PRELU_WEIGHT} Each call overwrites grad_weight."))


@pytest.mark.task("PReLU")
@pytest.mark.extends("test_prelu_matches_torch_with_its_weight_gradient")
@pytest.mark.parametrize("num_parameters", [1, 4])
def test_prelu_weight_gradient_matches_finite_differences(student, rng, num_parameters):
    layer = student.module("notebook").PReLU(num_parameters=num_parameters)
    weight = rng.uniform(0.1, 0.4, num_parameters)
    x, g = away_from(rng, (6, 4)), rng.standard_normal((6, 4))

    def loss(value):
        layer.weight = value
        output = as_array(layer.forward(x), "PReLU.forward(x)", shape=x.shape)
        return float(np.sum(output * g))

    directions = rng.standard_normal((3, num_parameters))
    numeric = directional_derivatives(loss, weight, directions)
    layer.weight = weight
    layer.backward(x, g)
    analytic = as_array(layer.grad_weight, N_(f"PReLU(num_parameters={num_parameters}).grad_weight"),
                        shape=(num_parameters,))
    assert_close(directions @ analytic, numeric, N_(f"PReLU(num_parameters={num_parameters})."
                 "grad_weight projected on 3 random directions"), against=N_("central finite "
                 "differences of forward w.r.t. the weight"), tolerance="finite-difference",
                 hint=PRELU_WEIGHT)


@pytest.mark.task("RReLU")
@pytest.mark.extends("test_rrelu_eval_mode_matches_torch_and_training_mode_is_random")
def test_rrelu_other_bounds_and_switching_modes(student, rng):
    layer = student.module("notebook").RReLU(lower=0.05, upper=0.45)
    layer.eval()
    x, g = away_from(rng, (4, 7)), rng.standard_normal((4, 7))
    check_layer_pass(layer, torch.nn.RReLU(0.05, 0.45).eval(), x, g,
                     name=N_("RReLU(lower=0.05, upper=0.45) after eval()"),
                     against=N_("torch.nn.RReLU(0.05, 0.45).eval()"), hints=RRELU_EVAL)
    layer.train()
    check_random_slopes(layer, rng, "RReLU(lower=0.05, upper=0.45) after eval() then train()",
                        lower=0.05, upper=0.45)
