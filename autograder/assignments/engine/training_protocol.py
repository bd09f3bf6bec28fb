"""The engine assignment's training check: the course's own train loop (seed 004) on the network
of its "Train loop" section, built from a notebook's classes, trained on part of the MNIST test
split and measured on the held-out rest after every epoch (`[training]` in assignment.toml: the
course's batch size and epochs, the split, the thresholds and how they were calibrated).

The course's protocol throughout: `Linear(784, 40)` and so on with the default learning rate 0.1
and the given initialisation (`randn * 0.01`, zero biases), batches of 32, 10 epochs, the softmax
cross-entropy (the grader's known-good copy, so that a student's altered copy neither helps nor
hurts, and which computes in the grader: the loop calls it once per batch). The loop runs in the
worker as one call (`autograder.runtime.probes.sgd_linear.logits_training`) and sends back the held-out
logits of each epoch; their labels stay in the grader.

`python -m autograder.assignments.engine.training_protocol [RUNS] [VARIANT]` runs the same loop in-process
on the reference notebook's classes, or on VARIANT, one of the samples' single-layer bugs (named
in `_variants`), with RUNS different seeds and prints the figures the thresholds come from.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder import N_, config
from autograder.testing.known_good import softmax_crossentropy_step
from autograder.testing.training import TrainingReport, held_out_report, held_out_split
from autograder.datasets import load
from autograder.runtime.probes.sgd_linear import logits_training
from autograder.runtime.wire import GraderFunction

HERE = Path(__file__).parent


@dataclass(frozen=True)
class TrainLoop:
    """The [training] table: the data (a split of a dataset, `held_out` images set apart by a
    permutation drawn with `split_seed`), the course's batch size and epochs, and the thresholds
    a run's best epoch must reach."""

    dataset: str
    split: str
    split_seed: int
    held_out: int
    batch_size: int
    epochs: int
    min_accuracy: float
    max_loss: float


PROTOCOL = config.load_for(__file__).table("training", TrainLoop)
CLASSES = 10
ARCHITECTURE = N_("Linear(784, 40) / ReLU / Linear(40, 40) / ReLU / Linear(40, 10)")


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_held_out, y_held_out), as the notebook's transform and collate make
    them: float32 vectors in [0, 1] and int32 labels."""
    images, labels = load(PROTOCOL.dataset, PROTOCOL.split)
    x = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
    train, held_out = held_out_split(len(x), PROTOCOL.held_out, PROTOCOL.split_seed)
    return x[train], labels[train].astype(np.int32), x[held_out], labels[held_out].astype(np.int32)


def seed_network(notebook: Any) -> Any:
    """The network of the notebook's train loop, from `notebook`'s classes, as the course builds
    it (each Linear with its default learning rate)."""
    return notebook.Sequential([notebook.Linear(784, 40), notebook.ReLU(),
                                notebook.Linear(40, 40), notebook.ReLU(), notebook.Linear(40, 10)])


def run(notebook: Any, seed: int, train: Callable[..., Any] = logits_training) -> TrainingReport:
    """Train the seed's network for the course's epochs and measure it after each one. `train` is
    the loop: in grading, the worker's (`student.probe` of `logits_training`); in
    calibration, the same function in this process."""
    __tracebackhide__ = True
    x_train, y_train, x_held, y_held = data()
    outcome = train(seed_network(notebook), x_train, y_train, x_held, PROTOCOL.batch_size,
                    PROTOCOL.epochs, seed, CLASSES,
                    GraderFunction("the softmax cross-entropy", softmax_crossentropy_step))
    return held_out_report(outcome, y_held, classes=CLASSES,
                           window=-(-len(x_train) // PROTOCOL.batch_size),
                           what=N_(f"The course's train loop on {ARCHITECTURE}"))


def reference_classes() -> dict[str, Any]:
    """The reference notebook's definitions, run in this (trusted) process."""
    from autograder.intake.notebook import notebook_statements
    from autograder.runtime.notebook_module import run_statements

    path = HERE.parents[2] / "solutions" / "engine" / "notebook.ipynb"
    statements = notebook_statements(path.read_bytes(), path.name, frozenset(), [])
    namespace: dict[str, Any] = {}
    run_statements(namespace, [asdict(s) for s in statements], str(path.parent))
    return namespace


def _variants(classes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The reference classes and, by name, single-layer bugs of the samples (samples.toml): what
    the threshold must separate, or must not fail when only one layer's own task should."""
    linear, relu = classes["Linear"], classes["ReLU"]

    def backward_with(bias_gradient: Callable[[np.ndarray], np.ndarray]) -> Callable[..., Any]:
        def backward(self: Any, grad: np.ndarray) -> np.ndarray:
            grad_w, grad_b, grad_x = self.x.T @ grad, bias_gradient(grad), grad @ self.W.T
            self.W = self.W - grad_w * self.learning_rate
            self.b = self.b - grad_b * self.learning_rate
            self.grad_W, self.grad_b, self.grad = grad_w, grad_b, grad_x
            return grad_x
        return backward

    def initialised(weights: Callable[[int, int], np.ndarray]) -> type:
        def __init__(self: Any, in_channels: int, out_channels: int, learning_rate: float = 0.1):
            linear.__init__(self, in_channels, out_channels, learning_rate)
            self.W = weights(in_channels, out_channels)
        return type("Linear", (linear,), {"__init__": __init__})

    def float32_forward(self: Any, input: np.ndarray) -> np.ndarray:
        self.input = input
        return np.maximum(input, 0).astype(np.float32)

    return {
        "reference": {},
        "linear-bias-gradient-mean": {"Linear": type("Linear", (linear,), {
            "backward": backward_with(lambda grad: grad.mean(axis=0))})},
        "linear-bias-gradient-keepdims": {"Linear": type("Linear", (linear,), {
            "backward": backward_with(lambda grad: grad.sum(axis=0, keepdims=True))})},
        "relu-float32-output": {"ReLU": type("ReLU", (relu,), {"forward": float32_forward})},
        "linear-zero-initialisation": {"Linear": initialised(lambda i, o: np.zeros((i, o)))},
        "linear-unscaled-initialisation": {"Linear": initialised(np.random.randn)},
    }


def calibrate(runs: int, variant: str = "reference") -> None:
    """Print each run's results and the summary the thresholds in assignment.toml come from."""
    classes = reference_classes()
    chosen = {**{k: classes[k] for k in ("Sequential", "Linear", "ReLU")},
              **_variants(classes)[variant]}
    notebook = type("Notebook", (), chosen)
    accuracies, losses = [], []
    started = time.perf_counter()
    for seed in range(runs):
        np.random.seed(seed)  # the initialisation, as the grader seeds the worker
        report = run(notebook, seed)
        accuracies.append(report.best_accuracy)
        losses.append(report.best_loss)
        print(f"seed {seed}: {report.describe()}", flush=True)
    acc, loss = np.array(accuracies), np.array(losses)
    print(f"{variant}: {runs} runs, {(time.perf_counter() - started) / runs:.2f} s each; best "
          f"held-out accuracy of a run: mean {acc.mean():.4f} std {acc.std():.4f} min "
          f"{acc.min():.4f} max {acc.max():.4f}; lowest held-out loss of a run: mean "
          f"{loss.mean():.4f} std {loss.std():.4f} min {loss.min():.4f} max {loss.max():.4f}; "
          f"thresholds: accuracy >= {PROTOCOL.min_accuracy}, loss <= {PROTOCOL.max_loss}")


if __name__ == "__main__":
    calibrate(int(sys.argv[1]) if len(sys.argv) > 1 else 20,
              sys.argv[2] if len(sys.argv) > 2 else "reference")
