"""The engine assignment's training check: the seed's network, built from a notebook's classes,
trained on part of the MNIST test split and measured on the held-out rest (`[training]` in
assignment.toml says how much and the thresholds).

The private test runs it through the proxy on the student's classes; `python -m
autograder.assignments.engine.protocol [RUNS]` runs it in-process on the reference notebook's
classes with RUNS different seeds and prints the figures the thresholds are calibrated from.
"""

from __future__ import annotations

import sys
import time
import tomllib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from autograder.checks.training import (
    TrainingReport,
    evaluate,
    held_out_split,
    train_classifier,
)
from autograder.datasets import load

HERE = Path(__file__).parent
PROTOCOL: dict[str, Any] = tomllib.loads((HERE / "assignment.toml").read_text())["training"]
CLASSES = 10
CURVE_POINTS = 5  # points of the learning curves: held-out measurements per run
ARCHITECTURE = "Linear(784, 40) / ReLU / Linear(40, 40) / ReLU / Linear(40, 10)"


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_held_out, y_held_out), x as the notebook's transform makes it:
    float32 vectors in [0, 1]."""
    images, labels = load(PROTOCOL["dataset"], PROTOCOL["split"])
    x = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
    train, held_out = held_out_split(len(x), PROTOCOL["held_out"], PROTOCOL["split_seed"])
    return x[train], labels[train].astype(np.int64), x[held_out], labels[held_out].astype(np.int64)


def seed_network(notebook: Any, learning_rate: float) -> Any:
    """The network of the notebook's train loop, from `notebook`'s classes."""
    return notebook.Sequential([notebook.Linear(784, 40, learning_rate), notebook.ReLU(),
                                notebook.Linear(40, 40, learning_rate), notebook.ReLU(),
                                notebook.Linear(40, 10, learning_rate)])


def run(notebook: Any, rng: np.random.Generator) -> TrainingReport:
    """Train the seed's network for the protocol's steps, measuring it on the held-out part after
    every window of steps (the learning curves the notebook plots)."""
    __tracebackhide__ = True
    x_train, y_train, x_held, y_held = data()
    network = seed_network(notebook, PROTOCOL["learning_rate"])
    window = -(-PROTOCOL["steps"] // CURVE_POINTS)
    training_loss, accuracy, loss = [], [], []
    for window_loss in train_classifier(
            network.forward, network.backward, x_train, y_train, classes=CLASSES,
            batch_size=PROTOCOL["batch_size"], steps=PROTOCOL["steps"], rng=rng, window=window):
        training_loss.append(window_loss)
        held_out = evaluate(network.forward, x_held, y_held, classes=CLASSES)
        accuracy.append(held_out[0])
        loss.append(held_out[1])
    return TrainingReport(window, tuple(training_loss), tuple(accuracy), tuple(loss))


def reference_classes() -> dict[str, Any]:
    """The reference notebook's definitions, run in this (trusted) process."""
    from autograder.intake.notebook import notebook_statements
    from autograder.runtime.notebook import run_statements

    path = HERE.parents[2] / "solutions" / "engine" / "notebook.ipynb"
    statements = notebook_statements(path.read_bytes(), path.name, frozenset(), [])
    namespace: dict[str, Any] = {}
    run_statements(namespace, [asdict(s) for s in statements], str(path.parent))
    return namespace


def calibrate(runs: int) -> None:
    """Print each run's results and the summary the thresholds in assignment.toml come from."""
    classes = reference_classes()
    notebook = type("Notebook", (), {k: classes[k] for k in ("Sequential", "Linear", "ReLU")})
    accuracies, losses = [], []
    started = time.perf_counter()
    for seed in range(runs):
        np.random.seed(seed)  # the initialisation, as the grader seeds the worker
        report = run(notebook, np.random.default_rng(seed))
        accuracies.append(report.best_accuracy)
        losses.append(report.best_loss)
        print(f"seed {seed}: {report.describe()}", flush=True)
    acc, loss = np.array(accuracies), np.array(losses)
    print(f"{runs} runs, {(time.perf_counter() - started) / runs:.2f} s each; best held-out "
          f"accuracy of a run: mean "
          f"{acc.mean():.4f} std {acc.std():.4f} min {acc.min():.4f} max {acc.max():.4f}; lowest "
          f"held-out loss of a run: mean "
          f"{loss.mean():.4f} max {loss.max():.4f}; thresholds: accuracy >= "
          f"{PROTOCOL['min_accuracy']}, loss <= {PROTOCOL['max_loss']}")


if __name__ == "__main__":
    calibrate(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
