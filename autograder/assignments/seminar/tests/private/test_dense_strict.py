"""Task 2, hidden checks: the default learning rate, several steps in a row (as the training loop
calls backward), odd shapes, finite differences; and, as a finding only, a random initialisation
(the seminar asks for it in a comment of the given stub, and the training run shows its effect)."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing import assert_close, numerical_gradient, require
from autograder.testing.torch_parity import weighted_sum
from autograder.interfaces.sgd_layers import affine_parameters, check_dense_step

HINTS = {
    "forward": N_("f(x) = x @ W + b, for any batch size (including 1) and any layer size."),
    "backward": N_("grad_output @ W.T with the W of this call, from before this call's update."),
    "step": N_("W -= learning_rate * input.T @ grad_output; b -= learning_rate * "
               "grad_output.sum(axis=0); with learning_rate=0.1 unless another is given."),
}


def steps(layer, name, rng, batch, input_units, output_units, learning_rate, count):
    """`count` training steps of the same layer, each checked against torch."""
    for call in range(1, count + 1):
        check_dense_step(layer, rng.standard_normal((batch, input_units)),
                         rng.standard_normal((batch, output_units)),
                         learning_rate=learning_rate, name=name, hints=HINTS,
                         context=f"backward call #{call} on the same layer" if count > 1 else "")


@pytest.mark.task("Dense")
@pytest.mark.extends("test_dense_matches_torch_and_takes_one_sgd_step")
def test_dense_default_learning_rate_is_0_1(student, rng):
    layer = student.module("notebook").Dense(6, 4)
    steps(layer, "Dense(6, 4)", rng, 5, 6, 4, 0.1, count=1)


@pytest.mark.task("Dense")
@pytest.mark.extends("test_dense_matches_torch_and_takes_one_sgd_step")
def test_dense_several_steps_in_a_row(student, rng):
    layer = student.module("notebook").Dense(7, 5, learning_rate=0.3)
    steps(layer, "Dense(7, 5, learning_rate=0.3)", rng, 9, 7, 5, 0.3, count=3)


@pytest.mark.task("Dense")
@pytest.mark.extends("test_dense_matches_torch_and_takes_one_sgd_step")
@pytest.mark.parametrize("batch, input_units, output_units", [(1, 1, 1), (1, 4, 2), (3, 1, 5),
                                                              (17, 9, 1)])
def test_dense_odd_shapes(student, rng, batch, input_units, output_units):
    name = N_(f"Dense({input_units}, {output_units}, learning_rate=0.05)")
    layer = student.module("notebook").Dense(input_units, output_units, learning_rate=0.05)
    steps(layer, name, rng, batch, input_units, output_units, 0.05, count=2)


@pytest.mark.task("Dense")
@pytest.mark.extends("test_dense_matches_torch_and_takes_one_sgd_step")
def test_dense_backward_matches_finite_differences(student, rng):
    layer = student.module("notebook").Dense(5, 3)
    x, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    numeric = numerical_gradient(weighted_sum(layer.forward, g, "Dense(5, 3).forward(x)"), x)
    assert_close(layer.backward(x, g), numeric,
                 N_(f"Dense(5, 3).backward(x, grad_output) for x of shape {x.shape}"),
                 against=N_("central finite differences of forward (eps=1e-6), taken before the "
                 "update"), tolerance="finite-difference", hint=HINTS["backward"])


@pytest.mark.task("Dense")
@pytest.mark.robustness(advice=N_("initialize weights with small random numbers from normal "
                                  "distribution (a comment of the seminar's Dense stub)"))
def test_dense_initialisation_is_random_and_finite(student):
    layer = student.module("notebook").Dense(30, 20)
    weights, biases = affine_parameters(layer, 30, 20, "Dense(30, 20)")
    require(bool(np.all(np.isfinite(weights)) and np.all(np.isfinite(biases))),
          N_("Dense(30, 20): the initial W or b holds nan or inf.\n  Hint: initialise W with "
             "np.random.randn(input_units, output_units) * 0.01 and b with zeros."))
    require(np.unique(weights).size > weights.size // 2,
          N_(f"Dense(30, 20): the initial W has only {np.unique(weights).size} distinct values "
             f"among its {weights.size} entries: the hidden units start identical and stay so.\n"
             "  Hint: initialise W with small normal random numbers, e.g. "
             "np.random.randn(input_units, output_units) * 0.01."))
