"""Layers of the `forward(input)` / `backward(input, grad_output)` interface (the seminar's and the
lecture's NumPy layers) and loss functions with a `<name>_grad` twin, against torch; and the inputs
such checks feed them.

Runs in the grader: `layer` and `module` are proxies of the `student` fixture; torch computes the
expected values and gradients in float64.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from autograder import N_
from autograder.testing.compare import as_array, assert_close, in_context
from autograder.testing.torch_parity import (
    DTYPE,
    TorchPass,
    forward_backward,
    loss_and_grad,
    tensor,
    tolerance_for,
)


def away_from(rng: np.random.Generator, shape: tuple[int, ...], kinks: tuple[float, ...] = (0.0,),
              margin: float = 0.05, scale: float = 1.0) -> np.ndarray:
    """Normal random numbers times `scale`, moved at least `margin` away from every kink, so that
    finite differences and derivative conventions at a kink never decide a check."""
    x = rng.standard_normal(shape) * scale
    for kink in kinks:
        offset = x - kink
        near = np.abs(offset) < margin
        x = np.where(near, kink + np.where(offset < 0, -margin, margin) * 2, x)
    return x


def torch_prelu(weight: np.ndarray) -> torch.nn.PReLU:
    """torch.nn.PReLU in float64 with one slope per entry of `weight`."""
    module = torch.nn.PReLU(len(weight), dtype=DTYPE)
    with torch.no_grad():
        module.weight.copy_(tensor(weight))
    return module


def check_layer_pass(layer: Any, reference: torch.nn.Module, x: np.ndarray,
                     grad_output: np.ndarray, *, name: str, against: str,
                     hints: Mapping[str, str] | None = None, context: str = "") -> TorchPass:
    """`layer.forward(x)` and `layer.backward(x, grad_output)` against torch's output and input
    gradient; `hints` may hold "forward" and "backward". Returns what torch computed."""
    __tracebackhide__ = True
    hints = hints or {}
    expected = forward_backward(reference, x, grad_output)
    output = layer.forward(x)
    assert_close(output, expected.output,
                 in_context(N_(f"{name}.forward(x) for x of shape {np.shape(x)}"), context), against=against,
                 tolerance=tolerance_for(output), hint=hints.get("forward", ""))
    grad_input = layer.backward(x, grad_output)
    assert_close(grad_input, expected.grad_input,
                 in_context(N_(f"{name}.backward(x, grad_output) (the gradient w.r.t. x) for x of shape "
                 f"{np.shape(x)}"), context), against=N_(f"{against}, autograd"),
                 tolerance=tolerance_for(grad_input), hint=hints.get("backward", ""))
    return expected


def check_loss_and_grad(module: Any, name: str, torch_loss: str, prediction: np.ndarray,
                        target: np.ndarray, *, case: str, hints: Mapping[str, str]) -> None:
    """`module.<name>(prediction, target)` (a number) and `module.<name>_grad(...)` (shaped like
    the prediction) against `torch.nn.<torch_loss>()` with mean reduction and its autograd
    gradient; `hints` holds "loss" and "grad"."""
    __tracebackhide__ = True
    expected_loss, expected_grad = loss_and_grad(torch_loss, prediction, target)
    what = N_(f"{name}(y_predicted, y_actual) for {case}")
    value = as_array(getattr(module, name)(prediction, target), what, shape=(),
                     hint=N_("return one number, the mean over all elements"))
    assert_close(value, expected_loss, what, against=N_(f"torch.nn.{torch_loss}()"),
                 tolerance=tolerance_for(value), hint=hints["loss"])
    grad = getattr(module, f"{name}_grad")(prediction, target)
    assert_close(grad, expected_grad, N_(f"{name}_grad(y_predicted, y_actual) for {case}"),
                 against=N_(f"torch autograd of torch.nn.{torch_loss}()"),
                 tolerance=tolerance_for(grad), hint=hints["grad"])


def loss_number(value: Any, what: str) -> float:
    """A loss returned as a number or a vector, as one number (its mean)."""
    __tracebackhide__ = True
    if isinstance(value, np.ndarray):
        return float(np.mean(as_array(value, what)))
    return float(as_array(value, what, shape=()))

