"""Course parity for ownpackage (seed 001): the course's own checks, run on every sample, agree
with the kit. Wherever the course's checks of a task pass, the kit awards that task in full,
unless the sample declares itself a bug the course misses (`course_misses` quotes the course's
sentence it violates, `shown_by` names the public test that shows it), in which case that public
test must be among the task's failed tests.

The course's checks are seed 001's in-notebook tests, kept verbatim in the reference notebook
(test_net, test_layer, test_grad_b, test_grad_W, each printing "Test PASSED"), and its Keras test
(the sum of absolute differences between Keras' predictions and those of `get_our_model` below
0.01), here with the kit's trained Keras model. They run in this process on the sample's code:
these are the kit's own trusted samples, not student code."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from course_parity import parity_violations
from test_course_notebook_tests import (
    COURSE_TESTS,
    SEED_001_TEST_CALLS,
    course_test_cells,
    notebook_definitions,
)

from autograder import config
from autograder.authoring.samples import load_samples
from autograder.interfaces.keras_parity import trained_pooling_classifier

ASSIGNMENT = "ownpackage"
SPEC = config.load(ASSIGNMENT)
# Each of the course's test calls, by the text of its cell, and the kit's task it checks.
CALL_TASKS = {
    "test_net(loss)": "Layer gradients",  # CrossEntropy
    "test_layer(layer)": "Layer gradients",  # Softmax, ReLU, DenseLayer(3, 4)
    "test_net(net)": "Network.grad_x",  # Network([Dense, ReLU, Dense, Softmax], CrossEntropy)
    "test_grad_b()": "Parameter gradients and training",
    "test_grad_W()": "Parameter gradients and training",
}


def call_cells() -> list[tuple[str, str]]:
    """(task, source) of every cell of the reference that calls one of the course's tests."""
    calls = []
    for source in course_test_cells(SPEC, COURSE_TESTS[ASSIGNMENT]):
        if "def " in source:
            continue
        tasks = {task for call, task in CALL_TASKS.items() if call in source}
        assert len(tasks) == 1, source
        calls.append((tasks.pop(), source))
    return calls


def run_quietly(action: Callable[[], object]) -> tuple[bool, str]:
    """Run one course check; (passed, what it printed). Raising counts as failing, as in the
    course's notebook, where the cell would stop with a traceback."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            result = action()
    except Exception as error:  # the sample's own code failing the course's test
        return False, f"{type(error).__name__}: {error}"
    text = printed.getvalue()
    if result is not None:
        return bool(result), text
    return "Test PASSED" in text and "Something went wrong" not in text, text


def keras_test(namespace: dict[str, object]) -> bool:
    """The course's cell: `np.sum(np.abs(keras_prediction - our_model_prediction)) < 0.01`, with
    the course's given `get_our_model` and the kit's trained Keras model."""
    keras = trained_pooling_classifier()

    class KerasWeights:
        def get_weights(self) -> list[np.ndarray]:
            return [keras.weights.copy(), keras.bias.copy()]

    ours = namespace["get_our_model"](KerasWeights()).predict(keras.images)  # type: ignore[operator]
    return bool(np.sum(np.abs(keras.predictions - ours)) < 0.01)


def course_verdicts(folder: Path) -> dict[str, list[tuple[bool, str]]]:
    """Per kit task, the outcome of each of the course's checks on the notebook in `folder`."""
    namespace = notebook_definitions(SPEC, folder)
    verdicts: dict[str, list[tuple[bool, str]]] = {}
    np.random.seed(0)
    for task, source in call_cells():
        verdicts.setdefault(task, []).append(
            run_quietly(lambda source=source: exec(compile(source, SPEC.notebook, "exec"), namespace)))
    verdicts["Forward"] = [run_quietly(lambda: keras_test(namespace))]
    return verdicts


def test_every_course_test_call_maps_to_a_kit_task() -> None:
    assert len(call_cells()) == SEED_001_TEST_CALLS


@pytest.mark.parametrize("sample", [s.name for s in load_samples(SPEC)])
def test_a_task_the_courses_checks_pass_earns_full_points_unless_a_declared_course_miss(
        graded_samples, sample: str) -> None:
    verdicts = {task: "" if all(passed for passed, _ in outcomes)  # "" when the course passes it
                else "failed: " + "; ".join(text[:200] for passed, text in outcomes if not passed)
                for task, outcomes in course_verdicts(graded_samples[ASSIGNMENT].folder / sample).items()}
    checks_of_task = {task: (task,) for task in verdicts}
    assert not parity_violations(graded_samples[ASSIGNMENT], sample, checks_of_task, verdicts)


def test_the_courses_checks_fail_the_untouched_notebook_everywhere(graded_samples) -> None:
    """The parity above means something only if the course's checks can fail."""
    graded = graded_samples[ASSIGNMENT]
    verdicts = course_verdicts(graded.folder / "untouched")
    assert all(not passed for outcomes in verdicts.values() for passed, _ in outcomes), verdicts
