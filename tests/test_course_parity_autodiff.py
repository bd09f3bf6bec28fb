"""Course parity for autodiff: the course's own tests (seed 003's `tests/`, as bench/course_suite.py
mirrors them, one test function per task) run on every sample of the kit. Wherever they pass a
task, the kit must award that task in full, unless the sample declares itself a bug the course
misses (samples.toml: `course_misses` quotes the course's sentence it violates, `shown_by` names
the public test that shows it), in which case that public test is among the task's failed tests.

So the kit never takes a point the course's own tests would give, except for what the course's
text requires and a public test shows the student before the deadline.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from course_parity import declared_miss_holds, parity_violations

from autograder import config
from autograder.authoring.samples import load_samples
from bench import INHERITED_ENV
from bench.course_suite import QUICK_SUITE, course_verdicts

# Importing `bench` pins BLAS to one thread for the processes the bench starts; the course's child
# processes pin it themselves, and the rest of this test session keeps its own environment.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    if variable in INHERITED_ENV:
        os.environ[variable] = INHERITED_ENV[variable]
    else:
        os.environ.pop(variable, None)

ASSIGNMENT = "autodiff"
SPEC = config.load(ASSIGNMENT)
SAMPLES = [sample.name for sample in load_samples(SPEC)]
# The course's test function that decides each task of the kit ("points are given for passed
# tests", one function per task).
COURSE_TEST = {"Linear": "linear", "BatchNormalization": "bn", "Dropout": "dropout",
               "Activations": "activations", "Sequential": "sequential",
               "Criterions": "criterions", "Optimizers": "optimizers", "DataLoader": "dataloader"}
CHECKS_OF_TASK = {task: (test,) for task, test in COURSE_TEST.items()}


@pytest.fixture(scope="module")
def course(graded_samples) -> dict[str, dict[str, str]]:
    """The course's verdict on every sample, per test function ("" when it passes), in two child
    processes at a time."""
    folder: Path = graded_samples[ASSIGNMENT].folder
    groups = [SAMPLES[0::2], SAMPLES[1::2]]
    with ThreadPoolExecutor(len(groups)) as pool:
        parts = list(pool.map(lambda group: course_verdicts([folder / name for name in group]),
                              groups))
    return {root.name: verdict for part in parts for root, verdict in part.items()}


def test_every_task_is_decided_by_one_test_of_the_course() -> None:
    assert set(COURSE_TEST) == {task.name for task in SPEC.tasks}
    assert sorted(COURSE_TEST.values()) == sorted(QUICK_SUITE)


def test_the_course_passes_the_reference_and_fails_the_untouched_template(course) -> None:
    """The course's suite runs for real here: otherwise every parity check below would hold
    vacuously."""
    assert course["reference"] == dict.fromkeys(QUICK_SUITE, "")
    assert all(course["untouched"].values()), course["untouched"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_kit_awards_every_task_the_course_passes(graded_samples, course, sample) -> None:
    unfair = parity_violations(graded_samples[ASSIGNMENT], sample, CHECKS_OF_TASK, course[sample])
    assert not unfair, f"{sample}: the kit takes points the course's own tests give: {unfair}"


@pytest.mark.parametrize("sample", [s.name for s in load_samples(SPEC) if s.course_misses])
def test_a_bug_the_course_misses_passes_the_course_and_fails_its_public_test(
        graded_samples, course, sample) -> None:
    """A declaration that no longer holds (the course catches the bug after all, or the public
    test no longer shows it) is stale: it must go."""
    assert declared_miss_holds(graded_samples[ASSIGNMENT], sample, CHECKS_OF_TASK, course[sample]), \
        f"{sample}: declared as a bug the course misses, but it is not one: course {course[sample]}"
