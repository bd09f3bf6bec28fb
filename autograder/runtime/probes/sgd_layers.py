"""Grader code for the "SGD inside backward" layer interface, run inside the worker.

Courses such as the seminar notebook (seed 000) define layers with `forward(input)` and
`backward(input, grad_output)`, where `backward` returns the gradient w.r.t. the input and takes
one SGD step on the layer's own parameters, and a `NeuralNetwork(layers)` that chains them. Here:

- `RecordingScaleLayer`: a known-good layer that records its calls, so a container is graded with
  it instead of the student's own layers (a bug in `Dense` then costs only `Dense`);
- `minibatch_training`: the seed's training loop, run in the worker as one call, so a whole
  training run costs one round trip instead of one per batch.

Nothing here computes what an assignment grades: the loop trains with the student's own classes.
"""

from __future__ import annotations

import math
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


PROBES = (RecordingScaleLayer, minibatch_training)
