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

from autograder import config
from autograder.build.samples import load_samples
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


def public_failures(task) -> set[str]:
    """The public tests a task failed, by function name (parameters left out)."""
    return {t.name.split("[")[0] for t in task.graded if not t.passed and t.visibility == "public"}


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
    graded = graded_samples[ASSIGNMENT]
    declared = graded.samples[sample]
    unfair = []
    for task in graded.results[sample].tasks:
        if course[sample][COURSE_TEST[task.name]] or task.points == task.max_points:
            continue
        if not (declared.course_misses and declared.shown_by in public_failures(task)):
            failed = [f"{t.name}: {t.message[:160]}" for t in task.graded if not t.passed]
            unfair.append(f"{task.name} ({task.points}/{task.max_points}), which the course's "
                          f"test_{COURSE_TEST[task.name]} passes: {failed}")
    assert not unfair, (f"{sample}: the kit takes points the course's own tests give, and the "
                        f"sample declares no bug the course misses shown by the failed public "
                        f"test: {unfair}")


@pytest.mark.parametrize("sample", [s.name for s in load_samples(SPEC) if s.course_misses])
def test_a_bug_the_course_misses_passes_the_course_and_fails_its_public_test(
        graded_samples, course, sample) -> None:
    """A declaration that no longer holds (the course catches the bug after all, or the public
    test no longer shows it) is stale: it must go."""
    graded = graded_samples[ASSIGNMENT]
    declared = graded.samples[sample]
    missed = [task.name for task in graded.results[sample].tasks
              if not course[sample][COURSE_TEST[task.name]] and task.points < task.max_points
              and declared.shown_by in public_failures(task)]
    assert missed, (f"{sample}: declared as a bug the course misses, shown by "
                    f"{declared.shown_by}, but no task passes the course's tests and fails that "
                    f"public test: course {course[sample]}")
