"""Grader code for the "SGD inside backward" layer interface, run inside the worker.

Courses such as the seminar notebook (seed 000) define layers with `forward(input)` and
`backward(input, grad_output)`, where `backward` returns the gradient w.r.t. the input and takes
one SGD step on the layer's own parameters, and a `NeuralNetwork(layers)` that chains them. Here:

- `RecordingScaleLayer`: a known-good layer that records its calls, so a container is graded with
  it instead of the student's own layers (a bug in `Dense` then costs only `Dense`);
- `minibatch_training`: the seed's training loop, run in the worker as one call, so a whole
  training run costs one round trip instead of one per batch.
- `logits_training`: the engine notebook's loop (seed 004: `network.forward(x)` returns logits,
  `network.backward(grads)` takes the loss gradient w.r.t. them), likewise in one call.

Nothing here computes what an assignment grades: the known-good losses stay in the grader
(`checks.known_good`), and the loops call them as grader functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np


class RecordingScaleLayer:
    """y = input * scale + shift per feature; `backward` returns grad_output * scale and takes an
    SGD step on scale and shift (sums over the batch, like the seminar's Dense)."""

    def __init__(self, scale: np.ndarray, shift: np.ndarray, learning_rate: float = 0.1) -> None:
        self.scale = np.array(scale, dtype=np.float64)
        self.shift = np.array(shift, dtype=np.float64)
        self.learning_rate = float(learning_rate)
        self.calls: list[tuple[str, np.ndarray, np.ndarray | None]] = []

    def forward(self, input: np.ndarray) -> np.ndarray:
        self.calls.append(("forward", np.array(input, dtype=np.float64), None))
        return input * self.scale + self.shift

    def backward(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
        self.calls.append(("backward", np.array(input, dtype=np.float64),
                           np.array(grad_output, dtype=np.float64)))
        grad_input = grad_output * self.scale
        self.scale = self.scale - self.learning_rate * (grad_output * input).sum(axis=0)
        self.shift = self.shift - self.learning_rate * grad_output.sum(axis=0)
        return grad_input


def minibatch_training(model: Any, inputs: np.ndarray, targets: np.ndarray, batch_size: int,
                       epochs: int, seed: int) -> list[float]:
    """The seminar's loop: each epoch calls `np.random.seed(seed)` and shuffles, as the seed's
    `iterate_minibatches(..., shuffle=True, seed=1234)` does (so every epoch sees the same order),
    drops the last incomplete batch, and calls `model.backward(x_batch, y_batch)`.

    Returns each epoch's mean of the losses `backward` returned (nan where they were not numbers),
    for the grader's messages only.
    """
    epoch_losses = []
    for _ in range(epochs):
        indices = np.arange(len(inputs)).astype(np.int32)
        np.random.seed(seed)
        np.random.shuffle(indices)
        total = 0.0
        batches = 0
        for start in range(0, len(inputs) - batch_size + 1, batch_size):
            batch = indices[start:start + batch_size]
            loss = model.backward(inputs[batch], targets[batch])
            try:
                total += float(np.mean(loss))
            except (TypeError, ValueError):
                total = math.nan
            batches += 1
        epoch_losses.append(total / max(batches, 1))
    return epoch_losses


def logits_training(network: Any, inputs: np.ndarray, targets: np.ndarray, held_out: np.ndarray,
                    batch_size: int, epochs: int, seed: int, classes: int,
                    loss: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]
                    ) -> dict[str, Any]:
    """The engine notebook's train loop (seed 004) with the known-good loss: every epoch goes
    through the training examples in a fresh random order (`seed` draws the orders) in batches of
    `batch_size`, the last one shorter, as torch's DataLoader(shuffle=True) hands them, calling
    `network.forward(x)`, then `network.backward(grad)` with the gradient of the mean softmax
    cross-entropy w.r.t. the logits, which `loss` (the grader's, called through the wire) returns
    with the loss; after each epoch, one `network.forward(held_out)`.

    Returns "training_loss" (each epoch's mean loss) and "held_out" (the held-out logits after each
    epoch; their labels stay in the grader). A run stops early, saying why in "stopped", when a
    forward call returns anything but finite logits of shape (batch, classes): the loss of such
    logits means nothing, and the grader reports what came back.
    """
    orders = np.random.default_rng(seed)
    training_loss: list[float] = []
    held_logits: list[np.ndarray] = []
    for epoch in range(1, epochs + 1):
        order, losses = orders.permutation(len(inputs)), []
        for number, start in enumerate(range(0, len(inputs), batch_size), start=1):
            batch = order[start:start + batch_size]
            logits, problem = _checked_logits(network.forward(inputs[batch]), len(batch), classes)
            if problem:
                return {"training_loss": training_loss, "held_out": held_logits,
                        "stopped": f"epoch {epoch}, training batch #{number}: network.forward(x) "
                                   f"for x of shape {inputs[batch].shape} {problem}"}
            value, grad = loss(logits, targets[batch])
            losses.append(value)
            network.backward(grad)
        training_loss.append(float(np.mean(losses)))
        logits, problem = _checked_logits(network.forward(held_out), len(held_out), classes)
        if problem:
            return {"training_loss": training_loss, "held_out": held_logits,
                    "stopped": f"after epoch {epoch}: network.forward(x) for the held-out x of "
                               f"shape {held_out.shape} {problem}"}
        held_logits.append(logits)
    return {"training_loss": training_loss, "held_out": held_logits, "stopped": ""}


def _checked_logits(value: Any, rows: int, classes: int) -> tuple[np.ndarray, str]:
    """`value` as float64 logits, or why it cannot be: its shape or type, or non-finite entries."""
    try:
        logits = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return np.empty(0), f"returned a {type(value).__name__}, not an array of numbers"
    if logits.shape != (rows, classes):
        return logits, f"returned shape {logits.shape}, expected ({rows}, {classes})"
    if not np.all(np.isfinite(logits)):
        return logits, "returned non-finite logits (nan or inf): training diverged"
    return logits, ""


PROBES = {
    "recording_scale_layer": RecordingScaleLayer,
    "minibatch_training": minibatch_training,
    "logits_training": logits_training,
}
