"""The grader's known-good losses and layers that a student's code calls while it is graded.

A container is graded with a known-good loss in place of the student's (a bug in the loss then
costs only the loss's task), and a training loop needs a correct loss gradient. These compute what
several assignments grade (a softmax cross-entropy, a squared error, a linear map's Jacobian), so
they never enter the worker, where a submission could import them as its own answer: a test offers
them as grader functions (`wire.GraderFunction`, or `Student.known_good` for an object), which the
student's code calls through the worker and which run here, on the plain data it passes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.runtime.probes.jacobian import ProbeLayer


def _float_rows(values: Any) -> np.ndarray:
    """(batch, ...) -> (batch, features) as float64; refuses what is not an array of numbers."""
    array = np.asarray(values, dtype=np.float64)
    return array.reshape(len(array), -1)


def _class_ids(labels: Any, rows: int) -> np.ndarray:
    ids = np.asarray(labels)
    if ids.shape != (rows,) or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"expected {rows} integer class ids, got {ids.dtype} of shape {ids.shape}")
    return ids.astype(np.int64)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_crossentropy_with_logits(logits: Any, y_true: Any) -> float:
    """The mean cross-entropy of softmax(logits) against class ids."""
    logits = _float_rows(logits)
    rows = np.arange(len(logits))
    return float(-_log_softmax(logits)[rows, _class_ids(y_true, len(logits))].mean())


def grad_softmax_crossentropy_with_logits(logits: Any, y_true: Any) -> np.ndarray:
    """d mean cross-entropy / d logits = (softmax - one_hot) / batch."""
    logits = _float_rows(logits)
    grad = np.exp(_log_softmax(logits))
    grad[np.arange(len(logits)), _class_ids(y_true, len(logits))] -= 1
    return grad / len(logits)


def softmax_crossentropy_step(logits: Any, y_true: Any) -> tuple[float, np.ndarray]:
    """The loss and its gradient w.r.t. the logits in one call: one round trip per training batch."""
    return (softmax_crossentropy_with_logits(logits, y_true),
            grad_softmax_crossentropy_with_logits(logits, y_true))


class HalfSquaredError:
    """The "Jacobian" interface's loss (seed 001): per sample 0.5 * sum((x - labels)^2);
    grad_x = x - labels."""

    name = "HalfSquaredError"

    def forward(self, input_data: Any, labels: Any) -> np.ndarray:
        return 0.5 * np.sum((_float_rows(input_data) - _float_rows(labels)) ** 2, axis=1)

    def calculate_loss(self, input_data: Any, labels: Any) -> np.ndarray:
        return self.forward(input_data, labels)

    def grad_x(self, input_data: Any, labels: Any) -> np.ndarray:
        return _float_rows(input_data) - _float_rows(labels)


class SoftmaxCrossEntropy:
    """The "Jacobian" interface's cross-entropy of softmax(logits) per sample, for one-hot labels:
    grad_x = softmax - labels."""

    name = "SoftmaxCrossEntropy"

    def forward(self, input_data: Any, labels: Any) -> np.ndarray:
        return -np.sum(_float_rows(labels) * _log_softmax(_float_rows(input_data)), axis=1)

    def calculate_loss(self, input_data: Any, labels: Any) -> np.ndarray:
        return self.forward(input_data, labels)

    def grad_x(self, input_data: Any, labels: Any) -> np.ndarray:
        return np.exp(_log_softmax(_float_rows(input_data))) - _float_rows(labels)


class Projection(ProbeLayer):
    """The "Jacobian" interface's y = x @ matrix with a fixed matrix (no parameters), which changes
    the width of the data: grad_x is the per-sample Jacobian, (batch, out, in); `backward` is the
    probes' chain rule."""

    name = "Projection"

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = np.array(matrix, dtype=np.float64)

    def forward(self, input_data: Any) -> np.ndarray:
        return _float_rows(input_data) @ self.matrix

    def grad_x(self, input_data: Any) -> np.ndarray:
        return np.broadcast_to(self.matrix.T, (len(input_data),) + self.matrix.T.shape).copy()
