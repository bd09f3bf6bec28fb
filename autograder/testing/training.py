"""End-to-end training checks: the grader trains a student's network on data it holds and measures it
on held-out examples whose labels never leave the grader.

The worker runs the course's whole training loop in one call
(`autograder.runtime.probes.sgd_linear.logits_training`) and returns the held-out logits after each
epoch, never seeing their labels; `held_out_report` validates and scores that run here. The loss and
its gradient are the grader's own (softmax cross-entropy, mean over the batch), so a student's copy
of the loss can neither help nor hurt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder import N_
from autograder.testing.compare import as_array, kind_of, require
from autograder.testing.known_good import softmax_crossentropy_with_logits


def held_out_split(count: int, held_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a fixed random split: (training part, held-out part of `held_out` examples)."""
    order = np.random.default_rng(seed).permutation(count)
    return order[: count - held_out], order[count - held_out:]


@dataclass(frozen=True)
class TrainingReport:
    """Learning curves of a training run, one point per window of `window` steps: the mean training
    loss over the window, then the held-out accuracy and loss at its end."""

    window: int
    training_loss: tuple[float, ...]
    accuracy: tuple[float, ...]
    loss: tuple[float, ...]

    @property
    def best_accuracy(self) -> float:
        return max(self.accuracy)

    @property
    def best_loss(self) -> float:
        return min(self.loss)

    def describe(self) -> str:
        def curve(values: tuple[float, ...]) -> str:
            return ", ".join(f"{value:.3f}" for value in values)

        return (f"every {self.window} steps: held-out accuracy {curve(self.accuracy)}; held-out "
                f"loss {curve(self.loss)}; training loss {curve(self.training_loss)}")


def valid_logits(value: Any, rows: int, classes: int, what: str) -> np.ndarray:
    """`value` as float64 logits of shape (rows, classes), all finite, or a failure saying which."""
    __tracebackhide__ = True
    logits = as_array(value, what, shape=(rows, classes),
                      hint=N_("the network's forward must return one row of class scores per example"))
    logits = logits.astype(np.float64)
    require(bool(np.all(np.isfinite(logits))),
          N_(f"{what}: the logits hold non-finite values (nan or inf): training diverged.\n  Hint: "
             "check the sign of the update (W = W - learning_rate * grad_W) and the gradients' scale."))
    return logits


def held_out_report(run: Any, labels: np.ndarray, *, classes: int, window: int,
                    what: str) -> TrainingReport:
    """The learning curves of a run the worker did in one call: `run` holds "training_loss" (one
    mean per measurement) and "held_out" (the logits of the held-out examples at each measurement,
    validated here: they come from the worker), and "stopped", why the worker's loop stopped early
    ("" when it did not); `labels` are the held-out labels, which only the grader holds."""
    __tracebackhide__ = True
    require(isinstance(run, dict) and isinstance(run.get("held_out"), list)
          and isinstance(run.get("training_loss"), list)
          and all(isinstance(loss, (int, float)) for loss in run["training_loss"]),
          N_(f"{what}: the training loop in the worker returned {kind_of(run)}, not its curves"))
    stopped = run.get("stopped")
    require(not stopped, N_(f"{what} stopped: {stopped}.\n  Hint: the network's forward must return "
          "finite logits of shape (batch, classes); if they turn nan or inf, check the sign of the "
          "update (W = W - learning_rate * grad_W) and the gradients' scale."))
    require(len(run["held_out"]) > 0 and len(run["training_loss"]) == len(run["held_out"]),
          N_(f"{what}: the training loop in the worker returned {len(run['held_out'])} held-out "
             f"measurements for {len(run['training_loss'])} training losses"))
    measured = [valid_logits(logits, len(labels), classes, f"{what}: held-out logits at "
                             f"measurement {number}")
                for number, logits in enumerate(run["held_out"], start=1)]
    return TrainingReport(
        window, tuple(float(loss) for loss in run["training_loss"]),
        tuple(float(np.mean(logits.argmax(axis=-1) == labels)) for logits in measured),
        tuple(softmax_crossentropy_with_logits(logits, labels) for logits in measured))
