"""Course parity, seminar (seed 000): the seminar's own checks, run on every sample, agree with the
kit's verdicts (see course_parity for the rule).

The seminar's notebook has exactly two checks, both on the network as a whole:
- `assert len(activations) == len(self.layers)` in the given `NeuralNetwork.forward`, run here on
  the seminar's own network (Dense(784, 40), ReLU, Dense(40, 40), ReLU, Dense(40, 10));
- its training cell: 15 epochs of `model.backward` over `iterate_minibatches(X_train, y_train,
  batchsize=32, shuffle=True)` (the sample's own, given iterator), then `model.predict(X_val)`,
  whose accuracy "should exceed 97%" on 50,000 training images. Offline only the MNIST test split
  exists: the same loop runs on its first 8,000 images and is judged on the last 2,000 by the
  threshold calibrated for that split (`[training]` in assignment.toml), which the seminar's
  97% becomes there.
The training run executes ReLU, Dense, the loss, NeuralNetwork and the run itself, so it counts
for each of those tasks. The seminar has no check of Exercise 1 (its table is filled in by hand
and never checked) and none of a layer on its own: Exercise 1 is mapped to no course check.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from course_parity import (
    course_verdicts,
    declared_miss_holds,
    parity_violations,
    sample_namespace,
)

from autograder import config
from autograder.authoring.samples import load_samples
from autograder.datasets import load_mnist
from autograder.interfaces.sgd_layers import MinibatchProtocol

SPEC = config.load("seminar")
PROTOCOL = SPEC.table("training", MinibatchProtocol)
SEED_EPOCHS, SEED_BATCH = 15, 32  # the seminar's training cell


def seminar_network(notebook: dict[str, Any]) -> Any:
    """The seminar's own network, built as its cell builds it."""
    dense, relu = notebook["Dense"], notebook["ReLU"]
    return notebook["NeuralNetwork"]([dense(784, 40), relu(), dense(40, 40), relu(),
                                      dense(40, 10)])


def forward_assert(notebook: dict[str, Any]) -> None:
    """The given forward's own assert, on one batch."""
    np.random.seed(0)
    images, _ = load_mnist("test")
    seminar_network(notebook).forward(images[:SEED_BATCH].reshape(SEED_BATCH, -1) / 256)


def training_run(notebook: dict[str, Any]) -> None:
    """The seminar's training cell, on the offline split."""
    np.random.seed(0)
    images, labels = load_mnist("test")
    x = images.reshape(len(images), -1) / np.float32(256)
    x_train, y_train = x[:PROTOCOL.train_images], labels[:PROTOCOL.train_images]
    x_val, y_val = x[-PROTOCOL.validation_images:], labels[-PROTOCOL.validation_images:]
    model = seminar_network(notebook)
    for _ in range(SEED_EPOCHS):
        for x_batch, y_batch in notebook["iterate_minibatches"](x_train, y_train,
                                                                batchsize=SEED_BATCH,
                                                                shuffle=True):
            model.backward(x_batch, y_batch)
    accuracy = float(np.mean(model.predict(x_val) == y_val))
    if not accuracy >= PROTOCOL.threshold:
        raise AssertionError(f"validation accuracy {accuracy:.4f} < {PROTOCOL.threshold}")


COURSE_CHECKS = {"forward assert": forward_assert, "training run": training_run}
CHECKS_OF_TASK = {
    "Exercise 1": (),
    "ReLU": ("training run",),
    "Dense": ("training run",),
    "Softmax cross-entropy": ("training run",),
    "NeuralNetwork": ("forward assert", "training run"),
    "MNIST training": ("training run",),
}


def test_every_task_maps_to_the_seminars_checks_or_says_it_has_none() -> None:
    assert set(CHECKS_OF_TASK) == {task.name for task in SPEC.tasks}
    assert {name for names in CHECKS_OF_TASK.values() for name in names} == set(COURSE_CHECKS)


@pytest.mark.parametrize("sample", [s.name for s in load_samples(SPEC)])
def test_a_task_the_seminars_checks_pass_earns_its_points_unless_a_declared_miss(
        graded_samples, mnist_cache, sample) -> None:
    graded = graded_samples["seminar"]
    notebook = sample_namespace(SPEC, graded.folder / sample)
    verdicts = course_verdicts(COURSE_CHECKS, notebook)
    assert not parity_violations(graded, sample, CHECKS_OF_TASK, verdicts), verdicts


def test_the_reference_passes_the_seminars_own_checks(graded_samples, mnist_cache) -> None:
    notebook = sample_namespace(SPEC, graded_samples["seminar"].folder / "reference")
    assert course_verdicts(COURSE_CHECKS, notebook) == dict.fromkeys(COURSE_CHECKS, "")


@pytest.mark.parametrize("sample", [s.name for s in load_samples(SPEC) if s.course_misses])
def test_a_declared_bug_the_course_misses_still_passes_its_checks_and_fails_its_public_test(
        graded_samples, mnist_cache, sample) -> None:
    graded = graded_samples["seminar"]
    verdicts = course_verdicts(COURSE_CHECKS, sample_namespace(SPEC, graded.folder / sample))
    assert declared_miss_holds(graded, sample, CHECKS_OF_TASK, verdicts), verdicts
