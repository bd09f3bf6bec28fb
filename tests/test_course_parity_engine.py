"""Course parity, engine (seed 004): the notebook's own checks, run on every sample, agree with the
kit's verdicts (see course_parity for the rule).

The seed's checks are the asserts in its code cells, kept verbatim in the reference notebook and so
in every sample (tests/test_course_notebook_tests.py counts them), and its train loop's expectation:
- the cell of `class Linear` (shapes of forward, backward, grad_W and grad_b) -> Linear;
- the cell of `class ReLU` (shapes, non-negative output, a finite-difference check) -> ReLU;
- the identity network's cell (`Sequential([Layer(), Layer()])`, given code only) and the train
  loop: 10 epochs of batches of 32 with the given loss and Linear's defaults, after which "expect
  a validation accuracy of ~0.86+" -> Training. Offline only the MNIST test split exists: the loop
  runs on the kit's 8,000/2,000 split of it (`autograder.assignments.engine.training_protocol.data`), and
  the course's 0.86 is asked of the last epoch's held-out accuracy, as the notebook would print it.
A sample's cells run here as the course runs them, with the sample's own copy of the given code.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from course_parity import (
    course_verdicts,
    declared_miss_holds,
    parity_violations,
    sample_namespace,
)
from threadpoolctl import threadpool_limits

from autograder import config
from autograder.assignments.engine.training_protocol import data
from autograder.authoring.samples import load_samples

SPEC = config.load("engine")
COURSE_EPOCHS, COURSE_BATCH = 10, 32  # the notebook's train loop
COURSE_ACCURACY = 0.86  # "If everything is implemented correctly, expect a validation accuracy of ~0.86+"
# The seed's container is `Sequential`; an earlier edition of the notebook calls it `SomeNetwork`.
CONTAINERS = ("Sequential", "SomeNetwork")


def assert_cell(marker: str) -> Any:
    """The course check made of the sample's own code cell holding `marker` and the seed's asserts,
    run as the notebook runs it (np.random seeded, so every run draws the same)."""
    def run(namespace: dict[str, Any]) -> None:
        cells = [cell.source for cell in nbformat.read(namespace["__folder__"] / SPEC.notebook,
                                                       as_version=4).cells
                 if cell.cell_type == "code" and marker in cell.source and "assert " in cell.source]
        if len(cells) != 1:
            raise AssertionError(f"{len(cells)} cells hold {marker!r} and the seed's asserts")
        np.random.seed(0)
        exec(compile(cells[0], f"{SPEC.notebook}, the cell of {marker!r}", "exec"), namespace)
    return run


def train_loop(namespace: dict[str, Any]) -> None:
    """The notebook's train loop with the sample's own classes and its copy of the given loss."""
    container = next((namespace[name] for name in CONTAINERS if name in namespace), None)
    if container is None:
        raise AssertionError(f"the notebook defines none of {CONTAINERS}")
    x_train, y_train, x_held, y_held = data()
    np.random.seed(0)
    network = container([namespace["Linear"](784, 40), namespace["ReLU"](),
                         namespace["Linear"](40, 40), namespace["ReLU"](),
                         namespace["Linear"](40, 10)])
    loss_gradient = namespace["grad_softmax_crossentropy_with_logits"]
    with threadpool_limits(1), np.errstate(all="ignore"):
        for _ in range(COURSE_EPOCHS):
            order = np.random.permutation(len(x_train))
            for start in range(0, len(x_train), COURSE_BATCH):
                batch = order[start:start + COURSE_BATCH]
                network.backward(loss_gradient(network.forward(x_train[batch]), y_train[batch]))
        accuracy = float(np.mean(np.argmax(network.forward(x_held), axis=-1) == y_held))
    if not accuracy >= COURSE_ACCURACY:
        raise AssertionError(f"validation accuracy {accuracy:.4f}, the course expects "
                             f"~{COURSE_ACCURACY}+")


COURSE_CHECKS = {"Linear cell": assert_cell("class Linear("), "ReLU cell": assert_cell("class ReLU("),
                 "identity network cell": assert_cell("([Layer(), Layer()])"),
                 "train loop": train_loop}
CHECKS_OF_TASK = {"Linear": ("Linear cell",), "ReLU": ("ReLU cell",),
                  "Training": ("identity network cell", "train loop")}


@functools.cache
def verdicts_of(folder: Path) -> dict[str, str]:
    """The course's verdicts on the sample in `folder`, run once per session (a train loop takes
    a second or two)."""
    return course_verdicts(COURSE_CHECKS, {**sample_namespace(SPEC, folder), "__folder__": folder})


def test_every_task_maps_to_the_courses_checks() -> None:
    assert set(CHECKS_OF_TASK) == {task.name for task in SPEC.tasks}
    assert {name for names in CHECKS_OF_TASK.values() for name in names} == set(COURSE_CHECKS)


@pytest.mark.parametrize("sample", [s.name for s in load_samples(SPEC)])
def test_a_task_the_courses_checks_pass_earns_its_points_unless_a_declared_miss(
        graded_samples, mnist_cache, sample) -> None:
    graded = graded_samples["engine"]
    verdicts = verdicts_of(graded.folder / sample)
    assert not parity_violations(graded, sample, CHECKS_OF_TASK, verdicts), verdicts


def test_the_reference_passes_the_courses_own_checks(graded_samples, mnist_cache) -> None:
    verdicts = verdicts_of(graded_samples["engine"].folder / "reference")
    assert verdicts == dict.fromkeys(COURSE_CHECKS, "")


def test_the_declared_misses_are_bugs_the_courses_checks_really_pass(graded_samples,
                                                                     mnist_cache) -> None:
    """A sample that says the course misses its bug must pass the course's checks of its task."""
    graded = graded_samples["engine"]
    for sample in (s for s in load_samples(SPEC) if s.course_misses):
        verdicts = verdicts_of(graded.folder / sample.name)
        lost = [t.name for t in graded.results[sample.name].tasks if t.points < t.max_points]
        assert lost and all(not verdicts[check] for task in lost for check in CHECKS_OF_TASK[task]), (
            sample.name, verdicts)


@pytest.mark.parametrize("sample", [s.name for s in load_samples(SPEC) if s.course_misses])
def test_a_declared_bug_the_course_misses_still_passes_its_checks_and_fails_its_public_test(
        graded_samples, mnist_cache, sample) -> None:
    graded = graded_samples["engine"]
    verdicts = verdicts_of(graded.folder / sample)
    assert declared_miss_holds(graded, sample, CHECKS_OF_TASK, verdicts), verdicts
