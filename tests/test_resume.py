"""Nothing lost: a batch killed half-way finishes on restart with the same gradebook, skipping what
it had graded; two graders started on one folder at once do not corrupt each other's output."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from autograder import batch, config
from autograder.authoring.samples import write_samples
from autograder.batch import grade_folder
from autograder.grading import resume
from autograder.reports.files import safe_name

ASSIGNMENT = "autodiff"
KEPT = ("reference", "untouched", "softmax-without-max-shift", "raises-in-linear",
        "dataloader-drops-last-batch")
CLASS_FILES = ("gradebook.csv", "canvas.csv", "moodle.csv")


@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("resume") / "submissions"
    write_samples(config.load(ASSIGNMENT), folder)
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name not in KEPT:
            shutil.rmtree(entry)
    return folder


@pytest.fixture(scope="module")
def uninterrupted(submissions: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("uninterrupted")
    grade_folder(submissions, ASSIGNMENT, out, jobs=2, show_progress=False)
    return out


def grade_command(submissions: Path, out: Path, jobs: int) -> list[str]:
    return [str(Path(sys.executable).with_name("autograder")), "grade", str(submissions), "--assignment",
            ASSIGNMENT, "--out", str(out), "-j", str(jobs), "--quiet"]


def stored_results(out: Path) -> dict[str, bytes]:
    return {path.parent.name: path.read_bytes() for path in out.glob(f"*/{resume.RESULT_FILE}")}


def assert_same_class_files(out: Path, expected: Path) -> None:
    for name in CLASS_FILES:
        assert (out / name).read_text() == (expected / name).read_text(), name
    assert not list(out.rglob(".*.tmp*")) and not list(out.rglob(".result.json.*"))


@pytest.mark.slow
def test_a_batch_killed_half_way_resumes_and_writes_the_same_gradebook(submissions, uninterrupted,
                                                                       tmp_path):
    out = tmp_path / "grades"
    first = subprocess.Popen(grade_command(submissions, out, jobs=1), start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(stored_results(out)) < 2 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    before = stored_results(out)
    assert 2 <= len(before) < len(KEPT), "the batch was to be killed half-way"
    assert not (out / "gradebook.csv").exists()

    subprocess.run(grade_command(submissions, out, jobs=2), check=True, capture_output=True)

    after = stored_results(out)
    assert set(after) == {safe_name(name) for name in KEPT}
    assert {name: after[name] for name in before} == before, "graded again, though unchanged"
    assert_same_class_files(out, uninterrupted)


@pytest.mark.slow
def test_two_graders_on_one_folder_at_once_write_the_same_complete_output(submissions,
                                                                          uninterrupted, tmp_path):
    out = tmp_path / "grades"
    graders = [subprocess.Popen(grade_command(submissions, out, jobs=1),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for _ in range(2)]
    for grader in graders:
        _, errors = grader.communicate(timeout=600)
        assert grader.returncode == 0, errors.decode()
    assert_same_class_files(out, uninterrupted)
    for name in KEPT:
        folder = out / safe_name(name)
        assert json.loads((folder / resume.RESULT_FILE).read_text())["result"]["student"] == name
        assert (folder / "feedback.html").stat().st_size > 0


@pytest.mark.slow
def test_a_changed_submission_is_graded_again_and_an_unchanged_one_is_not(submissions,
                                                                          uninterrupted, tmp_path):
    folder = tmp_path / "submissions"
    shutil.copytree(submissions, folder)
    out = tmp_path / "grades"
    shutil.copytree(uninterrupted, out)
    reference_py = folder / "reference" / "modules" / "activations.py"
    reference_py.write_text(reference_py.read_text().replace("np.maximum(input, 0)", "input"))
    unchanged = (out / "untouched" / resume.RESULT_FILE).read_bytes()
    results = {r.student: r for r in grade_folder(folder, ASSIGNMENT, out, jobs=2,
                                                  show_progress=False)}
    assert (out / "untouched" / resume.RESULT_FILE).read_bytes() == unchanged
    expected = json.loads((uninterrupted / "reference" / resume.RESULT_FILE).read_text())
    assert results["reference"].raw < expected["result"]["raw"]


def test_the_key_changes_with_the_code_the_time_and_the_tasks_asked_for(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "layers.py").write_text("x = 1\n")
    when = datetime(2026, 10, 1, tzinfo=UTC)
    key = resume.submission_key(tmp_path / "a", ASSIGNMENT, when, frozenset())
    assert key == resume.submission_key(tmp_path / "a", ASSIGNMENT, when, frozenset())
    assert key != resume.submission_key(tmp_path / "a", ASSIGNMENT, None, frozenset())
    assert key != resume.submission_key(tmp_path / "a", ASSIGNMENT, when, frozenset({"Linear"}))
    (tmp_path / "a" / "layers.py").write_text("x = 2\n")
    assert key != resume.submission_key(tmp_path / "a", ASSIGNMENT, when, frozenset())


def test_the_grader_hash_changes_with_a_template_notebook_whose_given_code_grading_runs(tmp_path):
    kit, template = tmp_path / "autograder", tmp_path / "assignments" / "engine" / "notebook.ipynb"
    kit.mkdir()
    (kit / "config.py").write_text("x = 1\n")
    template.parent.mkdir(parents=True)
    template.write_text('{"cells": []}')
    before = resume.grader_hash(kit)
    template.write_text('{"cells": [1]}')
    resume.grader_hash.cache_clear()
    assert resume.grader_hash(kit) != before


@pytest.mark.slow
def test_a_stored_result_reads_back_equal_to_the_graded_one(uninterrupted):
    for path in uninterrupted.glob(f"*/{resume.RESULT_FILE}"):
        stored = json.loads(path.read_text())
        result = resume.load(path.parent, stored["key"])
        assert result is not None
        assert json.loads(json.dumps(result.to_dict())) == stored["result"]
        assert resume.load(path.parent, "another key") is None


def test_a_damaged_result_file_means_grading_again_not_a_crash(tmp_path):
    (tmp_path / resume.RESULT_FILE).write_text('{"key": "k", "result": {"student": ')
    assert resume.load(tmp_path, "k") is None


def test_a_submission_the_grader_failed_on_counts_one_grader_error_per_task():
    """The gradebook's grader_errors column and `grade`'s exit status must see a grader crash."""
    spec = config.load("autodiff")
    failed = batch.failed_result(spec, "alice")
    assert failed.raw == 0 and failed.grader_errors == len(spec.tasks)
    assert all(t.outcome == "grader-error" and "not your fault" in t.message
               for task in failed.tasks for t in task.tests)
