"""A randomized leaky ReLU in training mode (torch.nn.RReLU): its random slopes cannot be compared
elementwise with torch, so their distribution is checked instead, with bounds that a correct
layer fails with probability far below 1e-6, and backward must reuse the forward pass's slopes."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder import N_
from autograder.testing.compare import as_array, assert_close, require

SAMPLES = 20_000
# The mean of SAMPLES uniform slopes has a standard deviation of (upper - lower) / sqrt(12 SAMPLES);
# the fraction below the midpoint one of 0.5 / sqrt(SAMPLES). Both bounds are 7 of those.
SIGMAS = 7.0
TRAINING = (N_("in training mode, draw one slope per element from the uniform distribution on "
               "[lower, upper] (np.random.uniform), use slope * x where x < 0, keep x where x >= 0, "
               "and keep the slopes for backward."))


def check_random_slopes(layer: Any, rng: np.random.Generator, name: str, *, lower: float,
                        upper: float) -> None:
    """forward on negative and positive inputs: slopes within [lower, upper], uniform in mean
    and median, positives untouched; backward uses the very slopes of the last forward."""
    __tracebackhide__ = True
    negative = -rng.uniform(0.5, 2.0, SAMPLES)
    x = np.concatenate([negative, rng.uniform(0.5, 2.0, 100)])
    what = N_(f"{name}.forward(x) in training mode for x of shape {x.shape}")
    output = as_array(layer.forward(x), what, shape=x.shape, hint=TRAINING)
    assert_close(output[SAMPLES:], x[SAMPLES:], N_(f"{what}, at the positive elements"),
                 against=N_("x itself (the identity for x >= 0)"), hint=TRAINING)
    slopes = output[:SAMPLES] / negative
    low, high = float(slopes.min()), float(slopes.max())
    require(low >= lower - 1e-9 and high <= upper + 1e-9,
          N_(f"{what}: the slopes (output / x at the negative elements) range over [{low:.4g}, "
             f"{high:.4g}], outside [lower, upper] = [{lower:.4g}, {upper:.4g}].\n  Hint: {TRAINING}"))
    middle = (lower + upper) / 2
    spread = (upper - lower) / np.sqrt(12 * SAMPLES)
    mean = float(slopes.mean())
    below = float(np.mean(slopes < middle))
    require(np.unique(np.round(slopes, 12)).size > SAMPLES // 2
          and abs(mean - middle) <= SIGMAS * spread
          and abs(below - 0.5) <= SIGMAS * 0.5 / np.sqrt(SAMPLES),
          N_(f"{what}: the {SAMPLES} slopes do not look uniform on [{lower:.4g}, {upper:.4g}]: "
             f"{np.unique(np.round(slopes, 12)).size} distinct values, mean {mean:.4g} (expected "
             f"{middle:.4g} +- {SIGMAS * spread:.2g}), {below:.1%} below the midpoint (expected "
             f"50% +- {SIGMAS * 0.5 / np.sqrt(SAMPLES):.1%}).\n  Hint: {TRAINING}"))
    grad_output = rng.standard_normal(x.shape)
    grad = as_array(layer.backward(x, grad_output), N_(f"{name}.backward(x, grad_output) in "
                    "training mode"), shape=x.shape, hint=TRAINING)
    assert_close(grad, grad_output * np.concatenate([slopes, np.ones(100)]),
                 N_(f"{name}.backward(x, grad_output) in training mode, right after forward(x)"),
                 against=N_("grad_output times the slopes forward(x) used"), hint=TRAINING)
