"""Checks for the layers of the engine notebook (seed 004): `forward(x)` and `backward(grad)`, where
a linear layer owns `W` (in, out) and `b` (out), takes its SGD step inside `backward(grad)` and
keeps `grad_W`, `grad_b` and `grad` for debugging, and an activation only passes gradients on.

One step of the linear layer is compared with torch.nn.Linear (weight W.T, bias b) in float64: the
forward output, the returned input gradient (computed with W as it was before the update), the
three debug attributes, then W and b after the step, each with its own message. An activation's
forward and backward are compared with its torch module.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder import N_
from autograder.testing.compare import as_array, assert_close, in_context
from autograder.testing.torch_parity import activation, forward_backward, linear, tolerance_for


def check_linear_step(layer: Any, x: np.ndarray, grad: np.ndarray, *, learning_rate: float,
                      name: str, hints: dict[str, str], context: str = "") -> None:
    """`layer.forward(x)` then `layer.backward(grad)` against torch, then the SGD step on W and b.
    `hints` holds "forward", "backward", "grad_W", "grad_b" and "step"."""
    __tracebackhide__ = True
    in_channels, out_channels = x.shape[1], grad.shape[1]
    weight = as_array(layer.W, in_context(N_(f"{name}.W before the step"), context),
                      shape=(in_channels, out_channels),
                      hint=N_("W has the shape (in_channels, out_channels) that __init__ gives it."))
    bias = as_array(layer.b, in_context(N_(f"{name}.b before the step"), context), shape=(out_channels,),
                    hint=N_("b has the shape (out_channels,) that __init__ gives it."))
    weight, bias = weight.astype(np.float64), bias.astype(np.float64)
    expected = forward_backward(linear(weight.T, bias), x, grad)
    grad_w, grad_b = expected.grads["weight"].T, expected.grads["bias"]
    against = "torch.nn.Linear with weight W.T and bias b"

    def compare(value: Any, want: np.ndarray, what: str, hint: str, versus: str = against) -> None:
        __tracebackhide__ = True
        assert_close(value, want, in_context(N_(f"{name}: {what}"), context), against=versus,
                     tolerance=tolerance_for(value), hint=hint)

    compare(layer.forward(x), expected.output, f"forward(x) for x of shape {x.shape}",
            hints["forward"])
    compare(layer.backward(grad), expected.grad_input, "backward(grad) return value (the "
            f"gradient w.r.t. x) for grad of shape {grad.shape}", hints["backward"],
            f"{against}, x.grad (computed with W as it was before the update)")
    compare(layer.grad, expected.grad_input, "self.grad after backward (the returned gradient)",
            hints["backward"])
    compare(layer.grad_W, grad_w, "grad_W after backward", hints["grad_W"],
            f"{against}, weight.grad.T")
    compare(layer.grad_b, grad_b, "grad_b after backward", hints["grad_b"],
            f"{against}, bias.grad")
    step = f"the old value minus learning_rate={learning_rate:g} times torch's gradient"
    compare(layer.W, weight - learning_rate * grad_w, "W after backward", hints["step"], step)
    compare(layer.b, bias - learning_rate * grad_b, "b after backward", hints["step"], step)


def check_activation_pass(layer: Any, torch_name: str, x: np.ndarray, grad: np.ndarray, *,
                          hints: dict[str, str], context: str = "") -> None:
    """`layer.forward(x)` then `layer.backward(grad)` against torch.nn.<torch_name>, in float64 (in
    the values' own precision if they come back in float32). `hints` holds "forward", "backward"."""
    __tracebackhide__ = True
    expected = forward_backward(activation(torch_name), x, grad)
    output = layer.forward(x)
    assert_close(output, expected.output,
                 in_context(N_(f"{torch_name}.forward(x) for x of shape {x.shape}"), context),
                 against=N_(f"torch.nn.{torch_name}"), tolerance=tolerance_for(output),
                 hint=hints["forward"])
    grad_input = layer.backward(grad)
    assert_close(grad_input, expected.grad_input,
                 in_context(N_(f"{torch_name}.backward(grad) for grad of shape {grad.shape}"), context),
                 against=N_(f"torch.nn.{torch_name}, x.grad"),
                 tolerance=tolerance_for(grad_input), hint=hints["backward"])
