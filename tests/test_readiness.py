"""A grading process is made ready for an assignment by grading its reference, once, and a
process that costs the reference points says why and must not grade (`grading.readiness`)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from autograder import config
from autograder.grading import readiness
from autograder.sandbox import isolation

MAKE_READY_TWICE = """
import json, sys
from autograder.grading import packed, readiness
graded = []
grade_job = packed.grade_job
packed.grade_job = lambda job: graded.append(job.assignment) or grade_job(job)
mode, assignments = sys.argv[1], sys.argv[2:]
print(json.dumps([[readiness.make_ready(name, mode, False) for name in assignments]
                  for _ in range(2)] + [graded]))
"""


@pytest.mark.slow
def test_one_process_is_made_ready_for_every_assignment_in_turn_each_once():
    """In a grading process of its own, as a Dask worker is, one assignment after another: each
    reference earns full marks (their tests are told apart, though pytest names autodiff's and
    engine's `tests/public/test_linear.py` alike), and the second round grades nothing again."""
    assignments = config.available()
    run = subprocess.run([sys.executable, "-c", MAKE_READY_TWICE, isolation.detect().mode,
                          *assignments], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    first, second, graded = json.loads(run.stdout.splitlines()[-1])
    assert first == second == [""] * len(assignments)
    assert graded == assignments


def test_a_reference_at_full_marks_falls_short_of_nothing(graded_samples):
    spec = config.load("autodiff")
    assert readiness.shortfall(spec, graded_samples["autodiff"].results["reference"], []) == ""


def test_a_reference_short_of_full_marks_names_its_tasks_and_first_failure(graded_samples):
    """The untouched student version stands for a node that grades the reference wrongly."""
    spec = config.load("autodiff")
    untouched = graded_samples["autodiff"].results["untouched"]
    why = readiness.shortfall(spec, replace(untouched, student=readiness.REFERENCE), [])
    assert why.startswith(f"the autodiff reference scored 0 of {spec.max_points:g} on this node")
    assert all(task.name in why for task in spec.tasks)
    first = next(test for test in untouched.tasks[0].tests if not test.passed)
    assert f"{first.name}: {first.message[:60]}" in why
    assert "would cost students points" in why


def test_a_grader_error_on_the_reference_gives_its_last_line():
    spec = config.load("autodiff")
    why = readiness.shortfall(spec, None, ["Traceback (most recent call last):\n  ...\n"
                                           "ModuleNotFoundError: No module named 'torch'\n"])
    assert why == ("the grader failed on the autodiff reference on this node "
                   "(ModuleNotFoundError: No module named 'torch')")
