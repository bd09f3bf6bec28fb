"""modules.layers.Dropout, as in the course's test_dropout, driven as a training loop drives it: in
train mode kept entries are rescaled by 1/(1-p), backward uses the mask of the forward pass just
before it, every forward pass draws a new mask, and about a share p of the entries is dropped;
then, switched to eval mode as after an epoch of training, the layer is the identity, and back in
train mode for the next epoch it drops entries again."""

import math

import numpy as np
import pytest

from autograder import N_
from autograder.testing import as_array, assert_close, require
from autograder.testing.torch_parity import check_float64, tolerance_for

INPUT_SHAPES = [(64, 16), (256, 64), (8, 4, 32)]  # "an array of an arbitrary size"
PS = [0.0, 0.1, 0.5, 0.9]
TRAIN_PASSES = 2
# Hoeffding: P(|share of zeros - p| >= t) <= 2 exp(-2 n t^2). Each check fails a correct Dropout
# with probability below 1e-8, so all of them together stay far below 1e-6. Two independent masks
# of n >= 1024 entries with 0.1 <= p <= 0.9 coincide with probability (p^2 + (1-p)^2)^n < 1e-80.
FAILURE_PROBABILITY = 1e-8


def rate_bound(n: int) -> float:
    return math.sqrt(math.log(2 / FAILURE_PROBABILITY) / (2 * n))


def train_pass(module, rng, input_shape, p, name, number):
    """One forward and one backward pass in train mode, checked; returns the mask used."""
    __tracebackhide__ = True
    x = 0.01 + rng.random(input_shape)  # strictly positive: a zero output means dropped
    grad_output = 0.01 + rng.random(input_shape)
    where = f"train pass #{number}, x of shape {x.shape}"
    y = as_array(module.forward(x), N_(f"{name}: forward(x) ({where})"), shape=x.shape)
    grad_input = as_array(module.backward(x, grad_output),
                          N_(f"{name}: backward(x, grad_output) ({where})"), shape=x.shape)
    kept = y != 0
    assert_close(y, np.where(kept, x / (1 - p), 0.0),
                 N_(f"{name}: forward(x) output ({where}; every entry must be 0 or x / (1 - p))"),
                 against=N_("x / (1 - p) on kept entries, 0 on dropped ones"),
                 tolerance=tolerance_for(y),
                 hint=N_("y = mask * x / (1 - p) with a 0/1 mask: divide the kept entries by (1 - p) "
                         "so that the expected output equals the input."))
    assert_close(grad_input, np.where(kept, grad_output / (1 - p), 0.0),
                 N_(f"{name}: backward(x, grad_output) ({where})"),
                 against=N_("grad_output / (1 - p) where that forward pass kept x, 0 where it "
                            "dropped x"), tolerance=tolerance_for(grad_input),
                 hint=N_("backward must reuse the mask drawn by the last forward pass (keep it in "
                         "self.mask) and the same 1 / (1 - p) factor; do not draw a new mask in "
                         "backward."))
    share = float(np.mean(~kept))
    bound = rate_bound(x.size)
    require(abs(share - p) <= bound,
          N_(f"{name}: {share:.4f} of the {x.size} outputs are zero ({where}), but with p={p} the "
             f"share of zeros must be within {bound:.4f} of {p} (a correct Dropout fails this with "
             f"probability below {FAILURE_PROBABILITY:g}).\n"
             "  Hint: p is the probability to DROP an entry: mask = (np.random.rand(*x.shape) > p), "
             "or np.random.binomial(1, 1 - p, x.shape)."))
    check_float64(y, f"{name}: forward(x) for a float64 x of shape {x.shape}")
    check_float64(grad_input, f"{name}: backward(x, grad_output) for float64 arrays")
    return kept


@pytest.mark.task("Dropout")
@pytest.mark.parametrize("p", PS)
def test_dropout(student, rng, p):
    layers = student.module("modules.layers")
    for input_shape in INPUT_SHAPES:
        module = layers.Dropout(p)
        module.train()
        name = N_(f"Dropout(p={p}) in train mode")
        masks = [train_pass(module, rng, input_shape, p, name, number)
                 for number in range(1, TRAIN_PASSES + 1)]
        require(p == 0.0 or bool(np.any(masks[0] != masks[1])),
              N_(f"{name}: two forward passes on inputs of shape {input_shape} dropped exactly the "
                 "same entries.\n  Hint: draw a new random mask in every forward pass (in "
                 "compute_output), not once in __init__, and do not reseed the generator."))
        module.eval()
        name = N_(f"Dropout(p={p}) in eval mode, after {TRAIN_PASSES} passes in train mode")
        x, grad_output = rng.standard_normal(input_shape), rng.standard_normal(input_shape)
        y = module.forward(x)
        assert_close(y, x, N_(f"{name}: forward(x) output for x of shape {x.shape}"),
                     against=N_("the input x itself"), tolerance=tolerance_for(y),
                     hint=N_("in eval mode Dropout is the identity: return the input (no mask, no "
                             "rescaling; check self.training)."))
        grad_input = module.backward(x, grad_output)
        assert_close(grad_input, grad_output,
                     N_(f"{name}: backward(x, grad_output) for x of shape {x.shape}"),
                     against=N_("grad_output itself"), tolerance=tolerance_for(grad_input),
                     hint=N_("in eval mode Dropout is the identity, so the gradient w.r.t. its input "
                             "is grad_output."))
        check_float64(y, f"{name}: forward(x) for a float64 x of shape {x.shape}")
        check_float64(grad_input, f"{name}: backward(x, grad_output) for float64 arrays")
        module.train()  # the next epoch
        train_pass(module, rng, input_shape, p, f"Dropout(p={p}) back in train mode after eval",
                   TRAIN_PASSES + 1)
