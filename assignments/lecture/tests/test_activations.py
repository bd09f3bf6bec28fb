"""Sigmoid, Tanh, ReLU, LeakyReLU, GELU and ELU: forward and backward against torch.nn's modules
(inputs kept away from the kink at 0)."""

import pytest
import torch

from autograder import N_
from autograder.testing.layer_parity import away_from, check_layer_pass

HINTS = {
    "Sigmoid": N_("1 / (1 + exp(-x)); its derivative is s * (1 - s) with s = sigmoid(x)."),
    "Tanh": N_("np.tanh(x); its derivative is 1 - tanh(x)^2."),
    "ReLU": N_("max(0, x); its derivative is 1 for x > 0 and 0 for x < 0."),
    "LeakyReLU": N_("x for x >= 0 and negative_slope * x below; the derivative is 1 or "
                    "negative_slope."),
    "GELU": N_("x * Phi(x) with Phi(x) = (1 + erf(x / sqrt(2))) / 2 (exact erf, not the tanh "
               "approximation); the derivative is Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi)."),
    "ELU": N_("x for x > 0 and alpha * (exp(x) - 1) below; the derivative is 1 or alpha * exp(x)."),
}
CASES = [
    pytest.param("Sigmoid", {}, torch.nn.Sigmoid(), marks=pytest.mark.task("Sigmoid and Tanh")),
    pytest.param("Tanh", {}, torch.nn.Tanh(), marks=pytest.mark.task("Sigmoid and Tanh")),
    pytest.param("ReLU", {}, torch.nn.ReLU(), marks=pytest.mark.task("ReLU and LeakyReLU")),
    pytest.param("LeakyReLU", {}, torch.nn.LeakyReLU(),
                 marks=pytest.mark.task("ReLU and LeakyReLU")),
    pytest.param("LeakyReLU", {"negative_slope": 0.2}, torch.nn.LeakyReLU(0.2),
                 marks=pytest.mark.task("ReLU and LeakyReLU")),
    pytest.param("GELU", {}, torch.nn.GELU(), marks=pytest.mark.task("GELU and ELU")),
    pytest.param("ELU", {}, torch.nn.ELU(), marks=pytest.mark.task("GELU and ELU")),
    pytest.param("ELU", {"alpha": 0.3}, torch.nn.ELU(alpha=0.3),
                 marks=pytest.mark.task("GELU and ELU")),
]


@pytest.mark.parametrize("name, options, reference", CASES)
def test_activation_matches_torch(student, rng, name, options, reference):
    layer = getattr(student.module("notebook"), name)(**options)
    call = f"{name}({', '.join(f'{k}={v}' for k, v in options.items())})"
    hint = HINTS[name]
    check_layer_pass(layer, reference, away_from(rng, (8, 6), scale=3.0),
                     rng.standard_normal((8, 6)), name=call, against=N_(f"torch.nn.{reference!r}"),
                     hints={"forward": hint, "backward": hint})
