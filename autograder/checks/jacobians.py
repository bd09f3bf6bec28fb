"""Per-sample Jacobians in the convention of the "own package" course (seed 001), checked against
central differences: in full for small inputs, through random directions for large ones.

The course's layers return `grad_x(x)` of shape (batch, out, in) with `J[b, o, i] = d out[b, o] /
d x[b, i]` (each sample's axes flattened in C order), and its losses and networks return
(batch, in) = d loss[b] / d x[b]. Everything here runs in the grader on plain arrays; `forward`
is any callable (usually a proxied student method).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.checks.compare import as_array, assert_close

EPS = 1e-6
# Finite differences of float64 code at eps=1e-6: truncation ~1e-8 relative, rounding ~1e-10 / eps.
TOLERANCE = "finite-difference"


def _flat_output(forward: Callable[[np.ndarray], Any], x: np.ndarray, what: str) -> np.ndarray:
    __tracebackhide__ = True
    out = as_array(forward(x), what)
    if out.ndim == 0 or len(out) != len(x):
        as_array(out, what, shape=(len(x),) + tuple(out.shape[1:]) if out.ndim else (len(x),))
    return out.astype(np.float64).reshape(len(x), -1)


def numerical_jacobian(forward: Callable[[np.ndarray], Any], x: np.ndarray, what: str,
                       eps: float = EPS) -> np.ndarray:
    """(batch, out, in): each input coordinate moved in every sample at once, as the course's
    `numerical_diff_layer` does (samples do not interact in any of the course's layers)."""
    __tracebackhide__ = True
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(len(x), -1)
    columns = []
    for i in range(flat.shape[1]):
        delta = np.zeros_like(flat)
        delta[:, i] = eps
        plus = _flat_output(forward, (flat + delta).reshape(x.shape), what)
        minus = _flat_output(forward, (flat - delta).reshape(x.shape), what)
        columns.append((plus - minus) / (2 * eps))
    return np.stack(columns, axis=2)


def directional(forward: Callable[[np.ndarray], Any], x: np.ndarray, direction: np.ndarray,
                what: str, eps: float = EPS) -> np.ndarray:
    """(batch, out): d/dt forward(x + t * direction) at t = 0, one direction per sample."""
    __tracebackhide__ = True
    x = np.asarray(x, dtype=np.float64)
    plus = _flat_output(forward, x + eps * direction, what)
    minus = _flat_output(forward, x - eps * direction, what)
    return (plus - minus) / (2 * eps)


def check_jacobian(jacobian: Any, forward: Callable[[np.ndarray], Any], x: np.ndarray, *,
                   what: str, hint: str = "") -> np.ndarray:
    """A student's (batch, out, in) Jacobian against central differences of `forward` at x."""
    __tracebackhide__ = True
    expected = numerical_jacobian(forward, x, f"{what}: the forward pass")
    return assert_close(jacobian, expected, what, against="central finite differences of "
                        "the forward pass (eps=1e-6), as (batch, out, in)", tolerance=TOLERANCE,
                        hint=hint)


def check_jacobian_by_directions(jacobian: Any, forward: Callable[[np.ndarray], Any],
                                 x: np.ndarray, rng: np.random.Generator, *, what: str,
                                 directions: int = 3, hint: str = "") -> None:
    """For large inputs: J @ v against the directional derivative, for a few random v."""
    __tracebackhide__ = True
    x = np.asarray(x, dtype=np.float64)
    probe = _flat_output(forward, x, f"{what}: the forward pass")
    shape = (len(x), probe.shape[1], x[0].size)
    jac = as_array(jacobian, what, shape=shape, hint=hint).astype(np.float64)
    for k in range(directions):
        v = rng.standard_normal(x.shape)
        assert_close(np.einsum("boi,bi->bo", jac, v.reshape(len(x), -1)),
                     directional(forward, x, v, f"{what}: the forward pass"),
                     f"{what} applied to random direction #{k + 1} (J @ v)",
                     against="the directional derivative of the forward pass (central "
                     "differences, eps=1e-6)", tolerance=TOLERANCE, hint=hint)


def loss_gradient(loss: Callable[[np.ndarray], Any], x: np.ndarray, what: str,
                  eps: float = EPS) -> np.ndarray:
    """(batch, in): d loss[b] / d x[b] for a per-sample loss, as the course's `numerical_diff_net`."""
    __tracebackhide__ = True
    jac = numerical_jacobian(loss, x, what, eps)
    return jac[:, 0, :]
