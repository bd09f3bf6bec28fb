"""The kit checks itself: reference at full marks, student version at zero, each bug at its score."""

from __future__ import annotations

from pathlib import Path

import pytest
from reports_helpers import statement_lines

from autograder import cli, config
from autograder.authoring.samples import load_samples
from autograder.reports import files
from autograder.reports.instructor import TIMED_FILES

CASES = [(name, sample.name) for name in config.available()
         for sample in load_samples(config.load(name))]
# Samples built from the reference that lose points: the known bugs. (The others are the reference
# itself, late or written the course's own way, at full marks.)
BUGGY = [(name, sample.name) for name in config.available()
         for sample in load_samples(config.load(name))
         if sample.base == "solution"
         and sample.expected < config.load(name).max_points + config.load(name).bonus_points]


@pytest.mark.parametrize("assignment, sample", CASES)
def test_sample_earns_exactly_its_expected_raw_score(graded_samples, assignment, sample) -> None:
    graded = graded_samples[assignment]
    result = graded.results[sample]
    failures = [f"{t.task}/{t.name}: {t.message[:200]}" for task in result.tasks
                for t in task.tests if not t.passed]
    assert result.raw == graded.samples[sample].expected, failures


@pytest.mark.parametrize("assignment, sample", CASES)
def test_sample_has_exactly_its_expected_robustness_findings(graded_samples, assignment, sample) -> None:
    """A probe beyond the course fails exactly in the tasks the sample declares, costing nothing
    there; the reference and everything written the course's way have none."""
    result = graded_samples[assignment].results[sample]
    found = {t.name: [f"{f.name}: {f.message[:120]}" for f in t.findings] for t in result.tasks
             if t.findings}
    assert set(found) == set(graded_samples[assignment].samples[sample].findings), found


@pytest.mark.parametrize("assignment, sample", CASES)
def test_sample_causes_no_grader_error(graded_samples, assignment, sample) -> None:
    result = graded_samples[assignment].results[sample]
    log = graded_samples[assignment].out / files.safe_name(sample) / "grader-errors.log"
    assert result.grader_errors == 0 and not log.exists(), log.read_text() if log.exists() else ""


@pytest.mark.parametrize("assignment", config.available())
def test_reference_earns_every_task_in_full(graded_samples, assignment) -> None:
    result = graded_samples[assignment].results["reference"]
    assert all(t.points == t.max_points and t.tests for t in result.tasks)
    spec = config.load(assignment)
    assert result.final == spec.max_points + spec.bonus_points  # bonus tasks count above the max


@pytest.mark.parametrize("assignment", config.available())
def test_untouched_student_version_fails_every_test_as_not_implemented(graded_samples,
                                                                       assignment) -> None:
    result = graded_samples[assignment].results["untouched"]
    assert result.raw == 0.0
    messages = [t.message for task in result.tasks for t in task.tests]
    assert messages and all("not implemented yet" in m or "not run" in m for m in messages)


@pytest.mark.parametrize("assignment, sample", BUGGY)
def test_a_buggy_sample_loses_whole_tasks_only(graded_samples, assignment, sample) -> None:
    """One bug, one task: every other task keeps its full points."""
    result = graded_samples[assignment].results[sample]
    damaged = [t for t in result.tasks if t.points < t.max_points]
    assert len(damaged) == 1 and damaged[0].points == 0.0, [t.name for t in damaged]


def test_late_submission_pays_the_course_penalty(graded_samples) -> None:
    result = graded_samples["autodiff"].results["late-reference"]
    assert (result.raw, result.final) == (10.0, 8.5)


def test_feedback_never_contains_hidden_test_source(graded_samples) -> None:
    for assignment, graded in graded_samples.items():
        private = config.load(assignment).test_dirs["private"]
        source_lines = {line for path in private.glob("*.py") for line in statement_lines(path)
                        if len(line) > 25}
        for written in graded.out.rglob("*"):
            if written.is_file() and written.suffix in (".md", ".json", ".csv"):
                text = written.read_text()
                leaked = [line for line in source_lines if line in text]
                assert not leaked, f"{written} shows hidden test source: {leaked[:3]}"


def test_failure_messages_name_what_was_compared_and_give_a_hint(graded_samples) -> None:
    result = graded_samples["autodiff"].results["softmax-without-max-shift"]
    messages = [t.message for task in result.tasks for t in task.tests if not t.passed]
    assert messages and any("Softmax" in m and "Hint:" in m for m in messages), messages


def test_regrading_writes_identical_files(graded_samples, tmp_path: Path) -> None:
    """Same submissions, same files, byte for byte (timings aside)."""
    graded = graded_samples["autodiff"]
    args = ["grade", str(graded.folder), "--assignment", "autodiff", "--quiet", "-j", "2",
            "--out", str(tmp_path)]
    cli.main(args)
    for first in graded.out.rglob("*"):
        if first.is_file() and first.name not in TIMED_FILES:
            second = tmp_path / first.relative_to(graded.out)
            assert second.read_bytes() == first.read_bytes(), first.relative_to(graded.out)
