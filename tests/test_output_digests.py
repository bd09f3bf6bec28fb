"""Every test's record keeps the digests of the values the student's code returned to it
(`TestRecord.outputs`, the similarity report's behaviour signal): stable under float noise, apart for
other values, the same on every run, different exactly where a wrong implementation answers
differently, stored in result.json and shown to no student."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_selfcheck import in_process_student

from autograder import config
from autograder.authoring.samples import write_samples
from autograder.digest import DIGEST_HEX, digest
from autograder.grading import resume, runner
from autograder.reports import ci, files
from autograder.results import SubmissionResult, TestRecord
from autograder.runtime import wire
from autograder.sandbox.contract import Student
from autograder.sandbox.proxy import MAX_OUTPUTS, OutputLog
from autograder.selfcheck import check

ASSIGNMENT = "autodiff"
REFERENCE, WRONG_ADAM = "reference", "adam-without-bias-correction"


# ---- the digest ----------------------------------------------------------------------------------

def test_a_digest_is_stable_under_float_noise_below_the_rounding():
    values = np.random.default_rng(0).normal(size=(8, 5)) * 10.0 ** np.arange(-4, 4)[:, None]
    assert digest(values) == digest(values * (1 + 1e-12)) == digest(values + values * 3e-10)
    assert digest(np.array([0.0, 1.0])) == digest(np.array([-0.0, 1.0]))
    assert digest(0.1 + 0.2) == digest(0.3)
    assert len(digest(values)) == DIGEST_HEX and int(digest(values), 16) >= 0


@pytest.mark.parametrize("other", [
    np.array([1.23457, 2.0, 3.0, 4.0, 5.0, 6.0]),  # the sixth significant digit
    np.array([1.23456, 2.0, 3.0, 4.0, 5.0, 6.0]).reshape(2, 3),  # the shape
    np.array([1.23456, 2.0, 3.0, 4.0, 5.0, 6.0], dtype=np.complex128),  # the dtype's kind
    np.array([1.23456, 2.0, 3.0, 4.0, 5.0, np.nan]),
    np.array([1.23456, 2.0, 3.0, 4.0, 5.0, np.inf]),
    np.array([1.23456, 2.0, 3.0, 4.0, 5.0, -np.inf]),
    np.array([1.23456, 2.0, 3.0, 4.0, 5.0, 6e-300]),
], ids=["value", "shape", "kind", "nan", "inf", "-inf", "tiny"])
def test_a_digest_differs_for_another_value_shape_or_dtype_kind(other):
    assert digest(np.array([1.23456, 2.0, 3.0, 4.0, 5.0, 6.0])) != digest(other)


def test_nan_inf_and_minus_inf_digest_apart_and_ints_apart_from_floats():
    specials = [np.nan, np.inf, -np.inf, 0.0, 1.0, 1]
    assert len({digest(value) for value in specials}) == len(specials)


def test_a_number_or_list_of_numbers_digests_as_the_array_it_would_be():
    assert digest(1.5) == digest(np.array(1.5)) == digest(np.array(1.5, dtype=np.float32))
    assert digest([1.0, 2.0]) == digest((1.0, 2.0)) == digest(np.array([1.0, 2.0]))
    assert digest([1, 2]) == digest(np.array([1, 2], dtype=np.int8))


def test_plain_data_digests_by_repr_and_a_worker_object_by_its_type_name_only():
    plain = [None, True, "True", "1.5", {"a": 1.0}, [np.ones(2), "x"]]
    assert len({digest(value) for value in plain}) == len(plain)
    assert digest({"a": 1.0, "b": "x"}) == digest({"b": "x", "a": 1.0})

    def type_name(handle):
        return handle.type_name

    assert digest(wire.Handle(3, "Linear"), type_name) == digest(wire.Handle(9, "Linear"), type_name)
    assert digest(wire.Handle(3, "Linear"), type_name) != digest(wire.Handle(3, "ReLU"), type_name)


def test_the_output_log_keeps_the_first_digests_up_to_its_cap():
    log = OutputLog()
    for value in range(MAX_OUTPUTS + 10):
        log.add(float(value))
    assert log.digests == [digest(float(value)) for value in range(MAX_OUTPUTS)]


# ---- what reaches a test -------------------------------------------------------------------------

@pytest.fixture
def student(tmp_path: Path) -> Iterator[Student]:
    yield from in_process_student(tmp_path, "double", textwrap.dedent("""
        class Double:
            weight = 1.0

            def forward(self, x):
                return 2 * x
    """), call_seconds=5.0)


def test_every_reply_reaching_a_test_is_logged_in_order_and_an_assignment_is_not(student):
    layer = student.module("modules.double").Double()
    log = student.worker.outputs
    log.clear()
    layer.weight = 3.0
    assert layer.forward(np.arange(3.0)).tolist() == [0.0, 2.0, 4.0]
    assert layer.weight == 3.0
    expected = OutputLog()
    for reply in (wire.Handle(0, "method"), np.array([0.0, 2.0, 4.0]), 3.0):  # `forward`, its answer
        expected.add(reply)
    assert log.digests == expected.digests


# ---- grading -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("digest-samples")
    write_samples(config.load(ASSIGNMENT), folder)
    return folder


@pytest.fixture(scope="module")
def graded(samples: Path) -> dict[str, list[SubmissionResult]]:
    """The reference graded twice and the Adam without bias correction once (every test, no speed
    check: only the outputs matter here)."""
    spec = config.load(ASSIGNMENT)

    def grade(name: str) -> SubmissionResult:
        return runner.grade_submission(samples / name, spec, student=name,
                                       test_dirs=list(spec.test_dirs.values())).result

    return {REFERENCE: [grade(REFERENCE), grade(REFERENCE)], WRONG_ADAM: [grade(WRONG_ADAM)]}


def records(result: SubmissionResult) -> dict[tuple[str, str], TestRecord]:
    return {(task.name, test.name): test for task in result.tasks for test in task.tests}


def test_every_graded_test_records_what_it_received_up_to_the_cap(graded):
    tests = records(graded[REFERENCE][0]).values()
    assert all(0 < len(test.outputs) <= MAX_OUTPUTS for test in tests)
    assert all(len(output) == DIGEST_HEX for test in tests for output in test.outputs)


def test_two_gradings_of_one_submission_record_identical_outputs_for_every_test(graded):
    first, second = (records(result) for result in graded[REFERENCE])
    assert first.keys() == second.keys()
    assert {key: test.outputs for key, test in first.items()} == {
        key: test.outputs for key, test in second.items()}


def test_a_wrong_adam_records_other_outputs_in_exactly_its_failed_tests(graded):
    reference, wrong = records(graded[REFERENCE][0]), records(graded[WRONG_ADAM][0])
    differing = {key for key in reference if reference[key].outputs != wrong[key].outputs}
    failed = {key for key, test in wrong.items() if not test.passed}
    assert failed and {task for task, _ in failed} == {"Optimizers"}
    assert differing == failed


def test_the_outputs_reach_result_json_and_no_student_facing_file(graded, tmp_path):
    spec = config.load(ASSIGNMENT)
    result = graded[WRONG_ADAM][0]
    files.write_submission(tmp_path, spec, result, [])
    folder = tmp_path / files.safe_name(result.student)
    resume.save(folder, "key", result)
    ci_outputs = {"classroom.json": ci.classroom_json(result), "summary.md": ci.step_summary(spec, result),
                  "junit.xml": ci.junit_xml(spec, result)}
    for name, text in ci_outputs.items():
        (tmp_path / name).write_text(text)
    stored = (folder / resume.RESULT_FILE).read_text()
    outputs = {output for test in records(result).values() for output in test.outputs}
    assert all(output in stored for output in outputs)
    student_facing = [path for path in tmp_path.rglob("*") if path.is_file()
                      and path.name not in (resume.RESULT_FILE, resume.LOCK_FILE)]
    assert {"feedback.md", "feedback.html", "results.json", *ci_outputs} <= {p.name for p in student_facing}
    leaked = [(path.name, output) for path in student_facing for output in outputs
              if output in path.read_text()]
    assert not leaked


def test_a_result_json_stored_before_outputs_were_recorded_still_loads(graded, tmp_path):
    result = graded[REFERENCE][0]
    old = result.to_dict()
    for task in old["tasks"]:
        for test in task["tests"]:
            del test["outputs"]
    (tmp_path / resume.RESULT_FILE).write_text(json.dumps({"key": "key", "result": old}))
    loaded = resume.load(tmp_path, "key")
    assert loaded is not None and loaded.raw == result.raw
    assert all(test.outputs == () for test in records(loaded).values())
    assert resume.load(tmp_path, "key") == SubmissionResult.from_dict(old)


def test_a_stored_result_reads_back_with_its_outputs(graded, tmp_path):
    result = graded[REFERENCE][0]
    resume.save(tmp_path, "key", result)
    assert resume.load(tmp_path, "key") == result


@pytest.mark.sandbox
def test_the_self_check_records_the_outputs_grading_records(samples):
    folder, tasks = samples / REFERENCE, frozenset({"Linear", "Dropout"})
    try:
        mine = check(*tasks, path=folder).result
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == "modules" or n.startswith("modules.")]:
            del sys.modules[name]
    spec = config.load(ASSIGNMENT)
    graded = runner.grade_submission(folder, spec, student="self-check",
                                     test_dirs=[spec.test_dirs["public"]], only_tasks=tasks).result
    assert all(test.outputs for test in records(mine).values())
    assert {key: test.outputs for key, test in records(mine).items()} == {
        key: test.outputs for key, test in records(graded).items()}
