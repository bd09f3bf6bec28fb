"""Known-good layers and losses of the "Jacobian" interface (seed 001), run inside the worker.

In that course a layer returns per-sample Jacobians: `grad_x(x)` of shape (batch, out, in) and
`grad_param(x)`, a list of (batch, out, n_param) arrays; `backward(x)` returns both, and
`backward(x, grad_output)` the chain rule applied to them. A student's `Network` is graded with
these probes as its layers and loss, so that a bug in the student's own `DenseLayer` or `Softmax`
costs only the part that layer belongs to. They are deliberately not the course's layers and compute
nothing an assignment grades: an elementwise affine map and softsign. The known-good losses and the
fixed projection (a linear map's Jacobian is a dense layer's) stay in the grader
(`testing.known_good`), offered to the worker as grader functions.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np


def _flat(x: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(len(x), -1)


def _diagonal(values: np.ndarray) -> np.ndarray:
    """(batch, n) -> (batch, n, n) with `values` on each sample's diagonal."""
    return values[:, :, None] * np.eye(values.shape[1])


class ProbeLayer:
    """The chain rule through the Jacobians, shared by the probes (the course's Layer.backward)."""

    name = "Probe"

    def grad_param(self, input_data: Any) -> list[np.ndarray]:
        return []

    def update_param(self, grads: list[np.ndarray], learning_rate: float) -> None:
        return None

    def backward(self, input_data: Any, grad_output: Any = None) -> list[Any]:
        if grad_output is None:
            return [self.grad_x(input_data), self.grad_param(input_data)]
        grad = _flat(grad_output)
        grad_input = np.einsum("bo,boi->bi", grad, self.grad_x(input_data))
        return [grad_input.reshape(np.shape(input_data)),
                [np.einsum("bo,bop->bp", grad, j) for j in self.grad_param(input_data)]]

    def grad_x(self, input_data: Any) -> np.ndarray:
        raise NotImplementedError


class ScaleShift(ProbeLayer):
    """y = x * scale + shift per feature, with scale and shift as parameters."""

    name = "ScaleShift"

    def __init__(self, scale: np.ndarray, shift: np.ndarray) -> None:
        self.scale = np.array(scale, dtype=np.float64)
        self.shift = np.array(shift, dtype=np.float64)

    def forward(self, input_data: Any) -> np.ndarray:
        return np.asarray(input_data, dtype=np.float64) * self.scale + self.shift

    def grad_x(self, input_data: Any) -> np.ndarray:
        return _diagonal(np.broadcast_to(self.scale, _flat(input_data).shape))

    def grad_param(self, input_data: Any) -> list[np.ndarray]:
        x = _flat(input_data)
        return [_diagonal(x), _diagonal(np.ones_like(x))]

    def update_param(self, grads: list[np.ndarray], learning_rate: float) -> None:
        self.scale -= learning_rate * np.mean(grads[0], axis=0).reshape(self.scale.shape)
        self.shift -= learning_rate * np.mean(grads[1], axis=0).reshape(self.shift.shape)


class Softsign(ProbeLayer):
    """x / (1 + |x|) elementwise: a smooth nonlinearity that no assignment grades."""

    name = "Softsign"

    def forward(self, input_data: Any) -> np.ndarray:
        x = np.asarray(input_data, dtype=np.float64)
        return x / (1 + np.abs(x))

    def grad_x(self, input_data: Any) -> np.ndarray:
        return _diagonal(1 / (1 + np.abs(_flat(input_data))) ** 2)


def takes_grad_output(layer: Any) -> bool:
    """Whether the student's `layer.backward` takes a second argument, `grad_output` (the kit's
    chain-rule form), or only `input_data` (the course's Layer.backward, which returns the
    Jacobians). Answered here, in the worker, where the method itself can be inspected."""
    try:
        parameters = inspect.signature(layer.backward).parameters.values()
    except (TypeError, ValueError, AttributeError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) > 1 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


PROBES = (ScaleShift, Softsign, takes_grad_output)
