"""modules.layers.Dropout, as in the course's test_dropout: eval mode is the identity; in train
mode kept entries are rescaled by 1/(1-p), backward uses the forward mask, and about a share p
of the entries is dropped."""

import math

import numpy as np
import pytest

from autograder.checks import as_array, assert_close, check
from autograder.checks.torch_parity import check_float64, tolerance_for

INPUT_SHAPES = [(64, 16), (256, 64)]
PS = [0.0, 0.1, 0.5, 0.9]
# Hoeffding: P(|share of zeros - p| >= t) <= 2 exp(-2 n t^2). Each check fails a correct Dropout
# with probability below 1e-8, so all of them together stay far below 1e-6.
FAILURE_PROBABILITY = 1e-8


def rate_bound(n: int) -> float:
    return math.sqrt(math.log(2 / FAILURE_PROBABILITY) / (2 * n))


@pytest.mark.task("Dropout")
@pytest.mark.parametrize("p", PS)
def test_dropout(student, rng, p):
    layers = student.module("modules.layers")
    for input_shape in INPUT_SHAPES:
        for mode in ("train", "eval"):
            name = f"Dropout(p={p}) in {mode} mode"
            module = layers.Dropout(p)
            module.train() if mode == "train" else module.eval()
            x = 0.01 + rng.random(input_shape)  # strictly positive: a zero output means dropped
            grad_output = 0.01 + rng.random(input_shape)
            y = as_array(module.forward(x), f"{name}: forward(x) for x of shape {x.shape}",
                         shape=x.shape)
            grad_input = as_array(module.backward(x, grad_output),
                                  f"{name}: backward(x, grad_output) for x of shape {x.shape}",
                                  shape=x.shape)
            if mode == "eval":
                assert_close(y, x, f"{name}: forward(x) output for x of shape {x.shape}",
                             against="the input x itself", tolerance=tolerance_for(y),
                             hint="in eval mode Dropout is the identity: return the input.")
                assert_close(grad_input, grad_output,
                             f"{name}: backward(x, grad_output) for x of shape {x.shape}",
                             against="grad_output itself", tolerance=tolerance_for(grad_input),
                             hint="in eval mode Dropout is the identity, so the gradient w.r.t. "
                                  "its input is grad_output.")
                continue
            kept = y != 0
            assert_close(y, np.where(kept, x / (1 - p), 0.0),
                         f"{name}: forward(x) output for x of shape {x.shape} (every entry must "
                         "be 0 or x / (1 - p))",
                         against="x / (1 - p) on kept entries, 0 on dropped ones",
                         tolerance=tolerance_for(y),
                         hint="y = mask * x / (1 - p) with a 0/1 mask: divide the kept entries "
                              "by (1 - p) so that the expected output equals the input.")
            assert_close(grad_input, np.where(kept, grad_output / (1 - p), 0.0),
                         f"{name}: backward(x, grad_output) for x of shape {x.shape}",
                         against="grad_output / (1 - p) where forward kept x, 0 where it "
                                 "dropped x", tolerance=tolerance_for(grad_input),
                         hint="backward must reuse the mask drawn by the last forward pass "
                              "(keep it in self.mask) and the same 1 / (1 - p) factor; do not "
                              "draw a new mask in backward.")
            share = float(np.mean(~kept))
            bound = rate_bound(x.size)
            check(abs(share - p) <= bound,
                  f"{name}: {share:.4f} of the {x.size} outputs are zero, but with p={p} the "
                  f"share of zeros must be within {bound:.4f} of {p} (a correct Dropout fails "
                  f"this with probability below {FAILURE_PROBABILITY:g}).\n"
                  "  Hint: p is the probability to DROP an entry: mask = (np.random.rand(*x.shape)"
                  " > p), or np.random.binomial(1, 1 - p, x.shape).")
            check_float64(y, f"{name}: forward(x) for a float64 x of shape {x.shape}")
