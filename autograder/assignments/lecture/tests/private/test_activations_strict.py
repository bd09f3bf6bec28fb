"""Activations, hidden checks: any shape (the notebook promises elementwise functions; the
lecture's demos feed 1-D tensors), finite differences; and, as a finding only, inputs of +-20,
+-60 and +-1000, far beyond anything the lecture feeds them."""

import numpy as np
import pytest
import torch

from autograder import N_
from autograder.testing.layer_parity import away_from, check_layer_pass
from autograder.testing.torch_parity import gradient_check, weighted_sum

TASKS = {"Sigmoid": "Sigmoid and Tanh", "Tanh": "Sigmoid and Tanh", "ReLU": "ReLU and LeakyReLU",
         "LeakyReLU": "ReLU and LeakyReLU", "GELU": "GELU and ELU", "ELU": "GELU and ELU"}
REFERENCES = {"Sigmoid": torch.nn.Sigmoid(), "Tanh": torch.nn.Tanh(), "ReLU": torch.nn.ReLU(),
              "LeakyReLU": torch.nn.LeakyReLU(), "GELU": torch.nn.GELU(), "ELU": torch.nn.ELU()}
DERIVATIVES = {"Sigmoid": N_("s * (1 - s)"), "Tanh": N_("1 - tanh(x)^2"), "ReLU": N_("1 for x > 0, else 0"),
               "LeakyReLU": N_("1 for x > 0, else negative_slope"),
               "GELU": N_("Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi)"),
               "ELU": N_("1 for x > 0, else alpha * exp(x)")}
ELEMENTWISE = N_("an elementwise function of any shape: the output and the gradient have the shape " \
                 "of the input; the derivative of {name} is {derivative}.")
LARGE = (N_("large inputs must give finite, right results: e.g. exp(-x) overflows at x = -1000, so "
            "compute the sigmoid as 0.5 * (1 + np.tanh(x / 2)) and its derivative as s * (1 - s); "
            "the derivative of {name} is {derivative}."))


def hints(template, name):
    text = template.format(name=name, derivative=DERIVATIVES[name])
    return {"forward": text, "backward": text}


def cases():
    return [pytest.param(name, marks=pytest.mark.task(task)) for name, task in TASKS.items()]


@pytest.mark.extends("test_activation_matches_torch")
@pytest.mark.parametrize("name", cases())
def test_activation_any_shape(student, rng, name):
    layer = getattr(student.module("notebook"), name)()
    for shape in [(1,), (5,), (2, 3, 4)]:
        check_layer_pass(layer, REFERENCES[name], away_from(rng, shape, scale=2.0),
                         rng.standard_normal(shape), name=N_(f"{name}()"),
                         against=N_(f"torch.nn.{name}()"), hints=hints(ELEMENTWISE, name))


@pytest.mark.robustness
@pytest.mark.parametrize("name", cases())
def test_activation_large_inputs(student, rng, name):
    x = np.array([[-1000.0, -60.0, -20.0, 20.0, 60.0, 1000.0]])
    check_layer_pass(getattr(student.module("notebook"), name)(), REFERENCES[name], x,
                     rng.standard_normal(x.shape), name=N_(f"{name}()"),
                     against=N_(f"torch.nn.{name}()"), hints=hints(LARGE, name),
                     context=N_("inputs of +-20, +-60 and +-1000"))


@pytest.mark.extends("test_activation_matches_torch")
@pytest.mark.parametrize("name", cases())
def test_activation_backward_matches_finite_differences(student, rng, name):
    layer = getattr(student.module("notebook"), name)()
    x, g = away_from(rng, (3, 4)), rng.standard_normal((3, 4))
    gradient_check(weighted_sum(layer.forward, g, f"{name}().forward(x)"), x,
                   layer.backward(x, g), what=N_(f"{name}().backward(x, grad_output) for x of "
                   f"shape {x.shape}"), hint=N_(f"grad_output times the derivative at x: "
                   f"{DERIVATIVES[name]}"))
