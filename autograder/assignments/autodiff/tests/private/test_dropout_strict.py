"""Hidden checks of modules.layers.Dropout on other rates and shapes than the public test: the
share of dropped entries, the 1/(1-p) rescaling, backward with the mask of the forward pass just
before it, a new mask per forward pass, eval mode between train-mode passes.

Statistical bounds come from Hoeffding's inequality, P(|share - p| >= t) <= 2 exp(-2 n t^2), with
t chosen so that each check fails a correct Dropout with probability below 1e-8 (all checks of
this file together: below 1e-6)."""

import math

import numpy as np
import pytest

from autograder import N_
from autograder.testing import as_array, assert_close, require
from autograder.testing.torch_parity import check_float64, tolerance_for

FAILURE_PROBABILITY = 1e-8
RESCALE = (N_("y = mask * x / (1 - p): the kept entries are divided by (1 - p), so that the "
              "expected output equals the input."))
SAME_MASK = (N_("backward must use the mask drawn by the LAST forward pass (keep it in self.mask) "
                "and the same 1 / (1 - p) factor; never draw a mask in backward."))


def rate_bound(n: int) -> float:
    return math.sqrt(math.log(2 / FAILURE_PROBABILITY) / (2 * n))


def positive(rng, shape):
    """Inputs away from zero, so that a zero output means 'dropped'."""
    return 0.5 + rng.random(shape)


def forward_mask(module, x, p, name):
    """Run forward(x) in train mode; check the output is mask * x / (1 - p); return the mask."""
    __tracebackhide__ = True
    y = as_array(module.forward(x), N_(f"{name}: forward(x) for x of shape {x.shape}"), shape=x.shape)
    kept = y != 0
    assert_close(y, np.where(kept, x / (1 - p), 0.0),
                 N_(f"{name}: forward(x) for x of shape {x.shape} (every entry must be 0 or "
                    "x / (1 - p))"), against=N_("x / (1 - p) on kept entries, 0 on dropped ones"),
                 tolerance=tolerance_for(y),
                 hint=RESCALE)
    return kept


@pytest.mark.task("Dropout")
@pytest.mark.extends("test_dropout")
def test_dropout_drops_a_share_p(student, rng):
    layers = student.module("modules.layers")
    x = positive(rng, (100, 200))
    bound = rate_bound(x.size)
    for p in (0.1, 0.3, 0.5, 0.8):
        name = N_(f"Dropout(p={p}) in train mode")
        kept = forward_mask(layers.Dropout(p), x, p, name)
        share = float(np.mean(~kept))
        require(abs(share - p) <= bound,
              N_(f"{name}: {share:.4f} of {x.size} outputs are zero, but the share of dropped entries"
                 f" must be within {bound:.4f} of p={p} (a correct Dropout fails this with "
                 f"probability below {FAILURE_PROBABILITY:g}).\n  Hint: p is the probability to DROP "
                 "an entry: mask = np.random.binomial(1, 1 - p, x.shape), or (np.random.rand(*shape)"
                 " > p)."))


@pytest.mark.task("Dropout")
@pytest.mark.extends("test_dropout")
def test_dropout_rescales_kept_entries(student, rng):
    layers = student.module("modules.layers")
    for p, shape in ((0.3, (40, 25)), (0.75, (4, 5, 6)), (0.0, (3, 7))):
        name = N_(f"Dropout(p={p}) in train mode")
        x = positive(rng, shape)
        kept = forward_mask(layers.Dropout(p), x, p, name)
        if p == 0.0:
            require(bool(kept.all()), N_(f"{name}: forward(x) dropped {int((~kept).sum())} entries, but "
                                    "with p=0 nothing may be dropped."))


@pytest.mark.task("Dropout")
@pytest.mark.extends("test_dropout")
def test_dropout_backward_reuses_the_forward_mask(student, rng):
    layers = student.module("modules.layers")
    p = 0.5
    module = layers.Dropout(p)
    name = N_(f"Dropout(p={p}) in train mode")
    for forward_pass in (1, 2, 3):  # forward then backward, as each step of a training loop
        x = positive(rng, (30, 40))
        kept = forward_mask(module, x, p, name)
        g = positive(rng, x.shape)
        grad = module.backward(x, g)
        assert_close(grad, np.where(kept, g / (1 - p), 0.0),
                     N_(f"{name}: backward(x, grad_output) after forward pass #{forward_pass}, x of "
                        f"shape {x.shape}"),
                     against=N_("grad_output / (1 - p) where that forward pass kept x, 0 where it "
                                "dropped x"), tolerance=tolerance_for(grad), hint=SAME_MASK)


@pytest.mark.task("Dropout")
@pytest.mark.extends("test_dropout")
def test_dropout_draws_a_new_mask_every_forward(student, rng):
    layers = student.module("modules.layers")
    p = 0.5
    module = layers.Dropout(p)
    x = positive(rng, (20, 50))
    name = N_(f"Dropout(p={p}) in train mode")
    first = forward_mask(module, x, p, name)
    second = forward_mask(module, x, p, name)
    # a correct Dropout repeats a mask of 1000 entries with probability 2^-1000
    require(bool(np.any(first != second)),
          N_(f"{name}: two forward passes on the same x of shape {x.shape} dropped exactly the same "
             "entries.\n  Hint: draw a new random mask in every forward pass (in compute_output), "
             "not once in __init__, and do not reseed the generator."))


@pytest.mark.task("Dropout")
@pytest.mark.extends("test_dropout")
def test_dropout_eval_mode_is_identity(student, rng):
    layers = student.module("modules.layers")
    p = 0.9
    module = layers.Dropout(p)
    x = positive(rng, (6, 7))
    forward_mask(module, x, p, f"Dropout(p={p}) in train mode")  # a train pass first
    module.eval()
    for shape in ((6, 7), (2, 3, 4)):
        x, g = rng.standard_normal(shape), rng.standard_normal(shape)
        name = N_(f"Dropout(p={p}) in eval mode (after a train-mode pass)")
        assert_close(module.forward(x), x, N_(f"{name}: forward(x) for x of shape {shape}"),
                     against=N_("x itself"), hint=N_("in eval mode Dropout returns its input unchanged "
                     "(no mask, no rescaling): check self.training."))
        assert_close(module.backward(x, g), g, N_(f"{name}: backward(x, grad_output) for x of "
                     f"shape {shape}"), against=N_("grad_output itself"),
                     hint=N_("in eval mode Dropout is the identity, so backward returns grad_output."))
    module.train()
    forward_mask(module, positive(rng, (6, 7)), p, f"Dropout(p={p}) back in train mode")


@pytest.mark.task("Dropout")
@pytest.mark.extends("test_dropout")
def test_dropout_keeps_float64(student, rng):
    layers = student.module("modules.layers")
    module = layers.Dropout(0.5)
    x = positive(rng, (5, 6))
    check_float64(module.forward(x), "Dropout(0.5).forward(x) in train mode for a float64 x",
                  shape=x.shape)
    check_float64(module.backward(x, x), "Dropout(0.5).backward(x, grad_output) in train mode "
                  "for float64 arrays", shape=x.shape)
