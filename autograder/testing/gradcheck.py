"""Finite-difference derivatives in float64, as full gradients or random directional probes.

A full gradient costs two evaluations per input entry; for large inputs, `directional_derivatives`
compares a handful of random directions instead, the way torch.autograd.gradcheck's fast mode does:
each direction costs two evaluations, and a wrong entry changes every direction's derivative.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EPS = 1e-6


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = EPS) -> np.ndarray:
    """d f / d x by central differences, one entry at a time."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        original = x[index]
        x[index] = original + eps
        plus = float(f(x.copy()))
        x[index] = original - eps
        minus = float(f(x.copy()))
        x[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def directional_derivatives(f: Callable[[np.ndarray], float], x: np.ndarray,
                            directions: np.ndarray, eps: float = EPS) -> np.ndarray:
    """d/dt f(x + t v) at t = 0 for each direction v (rows of `directions`, shaped like x)."""
    x = np.asarray(x, dtype=np.float64)
    return np.array([(float(f(x + eps * v)) - float(f(x - eps * v))) / (2 * eps)
                     for v in directions])
