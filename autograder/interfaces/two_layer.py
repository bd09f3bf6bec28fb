"""A two-layer sigmoid network trained on the mean binary cross-entropy (the lecture's XOR network,
seed 002): its torch twin, and checks of a student's network against it.

The student's network exposes `W1 [2, hidden]`, `b1 [hidden]`, `W2 [hidden, 1]`, `b2 [1]`,
`forward(X) -> p [batch]` and `backward(X, y)`, one gradient-descent step that returns the loss
before it. The grader sets the parameters itself, so every check starts from a known point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from autograder import N_
from autograder.testing.compare import as_array, assert_close, require
from autograder.testing.torch_parity import numpy, tensor, tolerance_for

NAMES = ("W1", "b1", "W2", "b2")


@dataclass(frozen=True)
class Parameters:
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    def items(self) -> list[tuple[str, np.ndarray]]:
        return [(name, getattr(self, name)) for name in NAMES]


@dataclass(frozen=True)
class Step:
    """What torch computes for one gradient-descent step from `Parameters` on (x, y)."""

    probabilities: np.ndarray
    loss: float
    after: Parameters


def torch_step(params: Parameters, x: np.ndarray, y: np.ndarray, learning_rate: float) -> Step:
    """p = sigmoid(sigmoid(x W1 + b1) W2 + b2), the mean BCE, and the parameters after one step."""
    tensors = {name: tensor(value, requires_grad=True) for name, value in params.items()}
    hidden = torch.sigmoid(tensor(x) @ tensors["W1"] + tensors["b1"])
    probabilities = torch.sigmoid(hidden @ tensors["W2"] + tensors["b2"])[:, 0]
    loss = torch.nn.functional.binary_cross_entropy(probabilities, tensor(y.astype(np.float64)))
    loss.backward()
    after = Parameters(**{name: numpy(t) - learning_rate * numpy(t.grad)
                          for name, t in tensors.items()})
    return Step(numpy(probabilities), float(loss.detach()), after)


def set_parameters(net: Any, params: Parameters) -> None:
    for name, value in params.items():
        setattr(net, name, value)


def check_forward(net: Any, x: np.ndarray, expected: np.ndarray, *, name: str, hint: str
                  ) -> None:
    __tracebackhide__ = True
    output = net.forward(x)
    assert_close(output, expected, N_(f"{name}.forward(X) for X of shape {x.shape}"),
                 against=N_("the same network in torch"), tolerance=tolerance_for(output), hint=hint)


def check_step(net: Any, params: Parameters, x: np.ndarray, y: np.ndarray, *,
               learning_rate: float, name: str, hints: Mapping[str, str]) -> Parameters:
    """Set the parameters, check forward, take one backward step and check the returned loss and
    every parameter after it; `hints` holds "forward", "loss" and "step". Returns torch's
    parameters after the step."""
    __tracebackhide__ = True
    set_parameters(net, params)
    expected = torch_step(params, x, y, learning_rate)
    check_forward(net, x, expected.probabilities, name=name, hint=hints["forward"])
    what = N_(f"{name}.backward(X, y) return value for X of shape {x.shape}")
    loss = as_array(net.backward(x, y), what, shape=(), hint=hints["loss"])
    assert_close(loss, expected.loss, what, against=N_("torch's mean binary cross-entropy before "
                 "the step"), hint=hints["loss"])
    for parameter, value in expected.after.items():
        assert_close(getattr(net, parameter), value,
                     N_(f"{name}.{parameter} after backward(X, y) with X of shape {x.shape}"),
                     against=N_(f"{parameter} - learning_rate * torch's gradient"),
                     hint=hints["step"])
    return expected.after


def loss_curve(value: Any, what: str, length: int) -> np.ndarray:
    """The losses a `fit` returned (a list or an array of numbers), one per epoch."""
    __tracebackhide__ = True
    if isinstance(value, (list, tuple)):
        types = sorted({type(v).__name__ for v in value})
        require(all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value),
              N_(f"{what}: expected a list of numbers (the loss of each epoch), got a list holding "
                 f"{types}"))
        value = np.array(value, dtype=np.float64)
    curve = as_array(value, what, hint=N_("return the list of the losses backward returned"))
    require(curve.shape == (length,), N_(f"{what}: expected {length} losses (one per epoch), got an "
          f"array of shape {curve.shape}"))
    return curve
