"""Plain `pytest` in a student's folder (the pytest11 entry point, autograder/student_pytest.py):
the shipped public tests run on the student's code, failures read as the grader's, `--task`
selects, and anywhere else the entry point does nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import config
from autograder.grading.runner import PYTEST_ARGS
from autograder.student_pytest import student_assignment


def student_folder(tmp_path: Path, assignment: str, code: str) -> Path:
    """A copy of the student version, with the reference's code when `code` is "solution"."""
    spec = config.load(assignment)
    folder = tmp_path / assignment
    shutil.copytree(config.REPO_ROOT / "assignments" / assignment, folder)
    if code == "solution":
        if spec.package:
            shutil.rmtree(folder / spec.package)
            shutil.copytree(spec.solution_dir / spec.package, folder / spec.package)
        else:
            shutil.copy(spec.solution_dir / spec.notebook, folder / spec.notebook)
    return folder


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=folder, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", config.available())
def test_pytest_in_a_student_folder_passes_every_public_test_of_the_reference(tmp_path, assignment):
    run = pytest_in(student_folder(tmp_path, assignment, "solution"))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(r"\d+ passed", run.stdout) and not re.search(r"\d+ failed", run.stdout)


def test_a_failure_reads_as_the_graders_message_and_task_selects_its_tests(tmp_path):
    run = pytest_in(student_folder(tmp_path, "autodiff", "student"), "--task", "Linear")
    assert run.returncode == 1
    assert "2 failed" in run.stdout and "test_linear.py" in run.stdout
    assert "test_dropout" not in run.stdout  # another task's tests were not run
    assert "Linear(array(64, 16)) is not implemented yet" in run.stdout
    assert "in your code:\n    modules/" in run.stdout
    assert "def test_linear" not in run.stdout  # no test source, as in the grader's feedback


def test_every_student_version_is_recognised_and_nothing_else(tmp_path):
    for assignment in config.available():
        assert student_assignment(config.REPO_ROOT / "assignments" / assignment).name == assignment
    assert student_assignment(config.REPO_ROOT) is None  # the kit's own tests
    assert student_assignment(tmp_path) is None


def test_pytest_anywhere_else_runs_as_if_the_kit_were_not_installed(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mine.py").write_text(
        "def test_a_fixture_of_my_own(tmp_path):\n    assert tmp_path.is_dir()\n\n"
        "def test_no_student_fixture_here(request):\n"
        "    assert 'student' not in request.fixturenames\n")
    run = pytest_in(tmp_path)
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout + run.stderr


def test_the_graders_own_pytest_sessions_turn_the_entry_point_off():
    assert "no:autograder" in PYTEST_ARGS
