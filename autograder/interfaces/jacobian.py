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
import pytest

from autograder import N_
from autograder.failures import CheckFailed
from autograder.interfaces.keras_parity import mnist_images
from autograder.testing.compare import as_array, assert_close, require
from autograder.testing.known_good import SoftmaxCrossEntropy

EPS = 1e-6
# Finite differences of float64 code at eps=1e-6: truncation ~1e-8 relative, rounding ~1e-10 / eps.
TOLERANCE = "finite-difference"
# The course's own criterion for every gradient it tests: "if np.sum(np.abs(num_grad - grad)) <
# 0.01: print('Test PASSED')". A deduction needs an error beyond it; the elementwise
# finite-difference tolerance above is finer than the course and is probed as a finding.
COURSE = "course"
COURSE_SUM_LIMIT = 0.01
# Parametrize a gradient test over both: the course's tolerance deducts, the finer one is a
# robustness probe (a finding, costing nothing).
TOLERANCE_PARAMS = [
    pytest.param(COURSE, id="course-tolerance"),
    pytest.param(TOLERANCE, id="elementwise-finite-difference", marks=pytest.mark.robustness),
]


def assert_within_course_tolerance(actual: Any, expected: Any, what: str, *, against: str,
                                   hint: str = "") -> np.ndarray:
    """The course's check: the sum over all entries of |actual - expected| below 0.01."""
    __tracebackhide__ = True
    expected = np.asarray(expected, dtype=np.float64)
    actual = as_array(actual, what, shape=expected.shape, hint=hint)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(actual.astype(np.float64) - expected)
    total = float(np.sum(diff)) if np.all(np.isfinite(diff)) else float("inf")
    if total < COURSE_SUM_LIMIT:
        return actual
    worst = np.unravel_index(int(np.argmax(np.where(np.isfinite(diff), diff, np.inf))), diff.shape)
    message = (N_(f"{what}: does not match {against} (shape {actual.shape}): the sum of absolute "
                  f"differences is {total:.4g}, the course requires < {COURSE_SUM_LIMIT}. Largest "
                  f"error at index {[int(i) for i in worst]}: got {float(actual[worst]):.8g}, expected "
                  f"{float(expected[worst]):.8g}"))
    raise CheckFailed(f"{message}\n  Hint: {hint}" if hint else message)


def compare_gradient(actual: Any, expected: Any, what: str, *, against: str, tolerance: str,
                     hint: str = "") -> np.ndarray:
    """A gradient against its numerical value, at the course's tolerance or the finer one. The
    finer check judges only what the course's tolerance accepts: an error beyond it is the
    requirement's to report, and is not reported twice."""
    __tracebackhide__ = True
    if tolerance == COURSE:
        return assert_within_course_tolerance(actual, expected, what, against=against, hint=hint)
    try:
        assert_within_course_tolerance(actual, expected, what, against=against, hint=hint)
    except CheckFailed:
        return np.asarray(actual)
    return assert_close(actual, expected, what, against=against, tolerance=tolerance, hint=hint)


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
                   what: str, hint: str = "", tolerance: str = COURSE) -> np.ndarray:
    """A student's (batch, out, in) Jacobian against central differences of `forward` at x."""
    __tracebackhide__ = True
    expected = numerical_jacobian(forward, x, f"{what}: the forward pass")
    return compare_gradient(jacobian, expected, what, against=N_("central finite differences of "
                            "the forward pass (eps=1e-6), as (batch, out, in)"), tolerance=tolerance,
                            hint=hint)


def check_jacobian_by_directions(jacobian: Any, forward: Callable[[np.ndarray], Any],
                                 x: np.ndarray, rng: np.random.Generator, *, what: str,
                                 directions: int = 3, hint: str = "", tolerance: str = COURSE) -> None:
    """For large inputs: J @ v against the directional derivative, for a few random v."""
    __tracebackhide__ = True
    x = np.asarray(x, dtype=np.float64)
    probe = _flat_output(forward, x, f"{what}: the forward pass")
    shape = (len(x), probe.shape[1], x[0].size)
    jac = as_array(jacobian, what, shape=shape, hint=hint).astype(np.float64)
    for k in range(directions):
        v = rng.standard_normal(x.shape)
        compare_gradient(np.einsum("boi,bi->bo", jac, v.reshape(len(x), -1)),
                         directional(forward, x, v, f"{what}: the forward pass"),
                         f"{what} applied to random direction #{k + 1} (J @ v)",
                         against=N_("the directional derivative of the forward pass (central "
                         "differences, eps=1e-6)"), tolerance=tolerance, hint=hint)


def loss_gradient(loss: Callable[[np.ndarray], Any], x: np.ndarray, what: str,
                  eps: float = EPS) -> np.ndarray:
    """(batch, in): d loss[b] / d x[b] for a per-sample loss, as the course's `numerical_diff_net`."""
    __tracebackhide__ = True
    jac = numerical_jacobian(loss, x, what, eps)
    return jac[:, 0, :]


# The course's 3.3: "if everything works, the validation accuracy grows". Your Network and
# DenseLayer, trained by the course's given Network.fit with the grader's softmax cross-entropy
# (so that only part 3's code is graded), from zero weights, batch 16, lr 0.1, one epoch.
# Calibration (reference): 800 images (600 trained on after fit's 25% validation split) reach a
# held-out accuracy of ~0.8 (1600 images: ~0.85); untrained: ~0.10.
FIT_THRESHOLD = 0.7


def check_fit_raises_held_out_accuracy(student: Any, train: slice, held_out: slice) -> None:
    """Network([DenseLayer(784, 10)]) fitted on the digits `train` by the course's given fit must
    classify the digits `held_out` with an accuracy of at least FIT_THRESHOLD."""
    __tracebackhide__ = True
    nb = student.module("notebook")
    images, labels = mnist_images()
    flat = images.reshape(len(images), -1).astype(np.float64)
    net = nb.Network([nb.DenseLayer(784, 10, W_init=np.zeros((784, 10)), b_init=np.zeros(10))],
                     loss=student.known_good(SoftmaxCrossEntropy()))
    net.fit(flat[train], labels[train].astype(np.float64), validation_split=0.25, batch_size=16,
            nb_epoch=1, learning_rate=0.1)
    count, trained = held_out.stop - held_out.start, train.stop - train.start
    scores = as_array(net.predict(flat[held_out]), N_("Network.predict on held-out MNIST digits"),
                      shape=(count, 10))
    accuracy = float(np.mean(np.argmax(scores, axis=1) == np.argmax(labels[held_out], axis=1)))
    require(accuracy >= FIT_THRESHOLD,
          N_(f"Network([DenseLayer(784, 10)]).fit(...) on {trained} MNIST digits (batch "
             f"16, lr 0.1, one epoch): accuracy on {count} held-out digits is {accuracy:.3f}, expected "
             f"at least {FIT_THRESHOLD} (a correct implementation reaches ~0.8; untrained: ~0.10).\n  Hint: "
             "check that Network.grad_param returns per-sample gradients and update hands each layer "
             "its own (the given train_step calls both)."))
