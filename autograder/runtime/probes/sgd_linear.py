"""Grader code for the engine notebook's layer interface (seed 004), run inside the worker.

The engine's layers take `forward(x)` and `backward(grad)`, remembering their input, and its
`Sequential` chains them; the network returns logits and takes the loss gradient w.r.t. them.
`logits_training` is the notebook's train loop, run in the worker as one call, so a whole training
run costs one round trip instead of one per batch. It computes nothing an assignment grades: the
known-good loss stays in the grader (`testing.known_good`) and the loop calls it as a grader
function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


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


PROBES = (logits_training,)
