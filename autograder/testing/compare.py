"""Comparisons whose failures say what was compared, with which shapes, the largest error, a hint.

Every value a student returns is validated (type, dtype, shape) before any arithmetic, so a wrong
return value becomes a clear failure instead of an exception inside the grader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder import N_
from autograder.failures import CheckFailed


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float


TOLERANCES = {
    # values computed in float64 by the student and by torch: only rounding differs
    "float64": Tolerance(rtol=1e-6, atol=1e-8),
    # finite differences in float64 with eps=1e-6 have truncation error ~1e-8 relative
    "finite-difference": Tolerance(rtol=1e-5, atol=1e-7),
    # float32 computations: ~1e-7 relative per operation, accumulated
    "float32": Tolerance(rtol=1e-4, atol=1e-5),
}


def in_context(what: str, context: str) -> str:
    """`what`, then the circumstances it was checked in, if any: "Linear.forward(x) (eval mode)"."""
    return N_(f"{what} ({context})") if context else what


def require(condition: bool, message: str) -> None:
    """Fail with `message` unless `condition` holds."""
    __tracebackhide__ = True
    if not condition:
        raise CheckFailed(message)


def kind_of(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return N_(f"an array of shape {value.shape} and dtype {value.dtype}")
    if value is None:
        return "None"
    type_name = type(value).__name__
    return N_(f"a {type_name}") if not repr(value).startswith("<student") else repr(value)


def as_array(value: Any, what: str, *, shape: tuple[int, ...] | None = None,
             hint: str = "") -> np.ndarray:
    """Return `value` as an ndarray of the expected shape, or fail saying what came instead."""
    __tracebackhide__ = True
    if isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool) \
            and shape == ():
        return np.asarray(value, dtype=np.float64)
    if not isinstance(value, np.ndarray):
        expected = N_(f"an array of shape {shape}") if shape is not None else N_("a numpy array")
        got = kind_of(value)
        raise CheckFailed(_join(N_(f"{what}: expected {expected}, got {got}"), hint))
    if value.dtype.kind not in "biufc":
        raise CheckFailed(_join(N_(f"{what}: expected a numeric array, got dtype {value.dtype}"), hint))
    if shape is not None and value.shape != tuple(shape):
        expected_shape = tuple(shape)
        raise CheckFailed(_join(
            N_(f"{what}: expected shape {expected_shape}, got shape {value.shape}"), hint))
    return value


def assert_close(actual: Any, expected: Any, what: str, *, against: str, tolerance: str = "float64",
                 hint: str = "") -> np.ndarray:
    """Check `actual` against `expected` elementwise: |a - e| <= atol + rtol * |e| everywhere.

    `what` names the student's value ("Linear.forward output on input (4, 3)"), `against` the
    reference ("torch.nn.Linear"). Returns the validated array.
    """
    __tracebackhide__ = True
    expected = np.asarray(expected)
    actual = as_array(actual, what, shape=expected.shape, hint=hint)
    tol = TOLERANCES[tolerance]
    a, e = actual.astype(np.complex128 if actual.dtype.kind == "c" else np.float64), expected
    bad_a = ~np.isfinite(a)
    if np.any(bad_a & np.isfinite(e)):
        index = tuple(int(i) for i in np.argwhere(bad_a & np.isfinite(e))[0])
        got, position, expected_value = a[index], list(index), e[index]
        raise CheckFailed(_join(N_(
            f"{what}: compared with {against}, shape {actual.shape}: got a non-finite value "
            f"{got} at index {position} where {expected_value:.6g} was expected "
            "(overflow? division by zero?)"), hint))
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a - e)
        diff = np.where(np.isnan(diff) & (np.isnan(a) == np.isnan(e)), 0.0, diff)
        excess = diff - (tol.atol + tol.rtol * np.abs(e))
        # a nan on one side only is a mismatch (nan - x is nan, and nan > 0 is False)
        excess = np.where(np.isnan(a) != np.isnan(e), np.inf, excess)
    if actual.size == 0 or not np.any(excess > 0):
        return actual
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
    rel = diff / np.maximum(np.abs(e), np.finfo(np.float64).tiny)
    index = [int(i) for i in worst]
    location = N_(f" at index {index}") if actual.ndim else ""
    # a relative error against an expected 0 is meaningless (~1e308): show the absolute one only
    rel_error, error = rel[worst], diff[worst]
    errors = (N_(f"abs error {error:.3g}, rel error {rel_error:.3g}") if e[worst] != 0
              else N_(f"abs error {error:.3g}"))
    got, expected_value = a[worst], e[worst]
    differ, overall = int(np.sum(excess > 0)), (float(np.nanmax(diff)) if not np.all(np.isnan(diff))
                                                else float("nan"))
    raise CheckFailed(_join(N_(
        f"{what}: does not match {against} (shape {actual.shape}). Largest error{location}: "
        f"got {got:.8g}, expected {expected_value:.8g} ({errors}); {differ} of {actual.size} entries differ "
        f"beyond atol={tol.atol:g}, rtol={tol.rtol:g}; largest abs error overall {overall:.3g}"),
        hint))


def _join(message: str, hint: str) -> str:
    return N_(f"{message}\n  Hint: {hint}") if hint else message
