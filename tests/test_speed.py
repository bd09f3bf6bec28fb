"""The speed check (autograder.grading.speed): slow code is flagged, and docked only as configured,
only when every timing agrees; the reference never is; the same submission keeps the same score."""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from autograder import config
from autograder.config import ConfigError, SpeedSpec
from autograder.grading import speed
from autograder.grading.runner import grade_submission
from autograder.reports import feedback, files, terminal
from autograder.results import SpeedCheck, TaskResult, TestRecord
from autograder.scoring import policy

AUTODIFF = config.load("autodiff")
SETTINGS = SpeedSpec(flag_ratio=10.0, deduct_ratio=20.0, deduct_fraction=0.5,
                     min_reference_seconds=0.1, timings=3)
SPEC = replace(AUTODIFF, speed=SETTINGS)
ROOT = Path("/nonexistent")  # fake measures never look at it


def task(name: str = "Linear", seconds: float = 1.0, points: float = 2.0, max_points: float = 2.0,
         outcome: str = "passed") -> TaskResult:
    record = TestRecord(name="test", task=name, outcome=outcome)  # type: ignore[arg-type]
    return TaskResult(name, points, max_points, (record,), worker_seconds=seconds)


class Reference:
    """A fake reference timing: the given seconds per task, 0 for the others; notes what it is
    asked."""

    def __init__(self, **seconds: float) -> None:
        self.seconds, self.asked = seconds, []

    def __call__(self, task: str) -> float:
        self.asked.append(task)
        return self.seconds.get(task, 0.0)


class Retimings:
    """A fake measure: hands out the given times, one per retiming, and counts the calls."""

    def __init__(self, *times: float) -> None:
        self.times, self.calls = list(times), []

    def __call__(self, code_root: Path, only_tasks: frozenset[str]) -> dict[str, float]:
        self.calls.append(only_tasks)
        return {name: self.times.pop(0) for name in only_tasks}


def test_a_task_within_the_flag_ratio_is_neither_flagged_nor_timed_again() -> None:
    measure = Retimings()
    assert speed.find_slow(SPEC, (task(seconds=9.0),), ROOT, Reference(Linear=1.0), measure) == ()
    assert measure.calls == []


def test_a_slow_first_timing_that_a_retiming_contradicts_is_noise() -> None:
    measure = Retimings(3.0)
    assert speed.find_slow(SPEC, (task(seconds=15.0),), ROOT, Reference(Linear=1.0), measure) == ()
    assert measure.calls == [frozenset({"Linear"})]  # one retiming was enough to clear it


def test_a_task_slow_on_every_timing_is_flagged_with_its_least_ratio_and_nothing_taken_off() -> None:
    measure = Retimings(12.0, 14.0)
    checks = speed.find_slow(SPEC, (task(seconds=15.0),), ROOT, Reference(Linear=1.0), measure)
    assert checks == (SpeedCheck("Linear", 12.0, 10.0, 3, 0.0),) and checks[0].ratio == 12.0
    assert len(measure.calls) == 2


def test_beyond_the_deduct_ratio_a_task_loses_exactly_its_configured_share() -> None:
    tasks = (task(seconds=30.0), task("Dropout", seconds=1.0, points=1.0, max_points=1.0))
    checks = speed.find_slow(SPEC, tasks, ROOT, Reference(Linear=1.0, Dropout=1.0), Retimings(25.0, 40.0))
    assert checks == (SpeedCheck("Linear", 25.0, 20.0, 3, 1.0),)
    assert [(t.name, t.points) for t in policy.score(tasks, checks).tasks] == [("Linear", 1.0),
                                                                             ("Dropout", 1.0)]


def test_a_deduction_never_takes_more_than_the_task_earned() -> None:
    partial = task(seconds=50.0, points=0.3)
    checks = speed.find_slow(SPEC, (partial,), ROOT, Reference(Linear=1.0), Retimings(50.0, 50.0))
    assert checks[0].deducted == 0.3 and policy.score((partial,), checks).tasks[0].points == 0.0


def test_without_a_deduct_ratio_even_very_slow_code_keeps_its_points() -> None:
    spec = replace(AUTODIFF, speed=replace(SETTINGS, deduct_ratio=0.0))
    checks = speed.find_slow(spec, (task(seconds=500.0),), ROOT, Reference(Linear=1.0),
                             Retimings(500.0, 500.0))
    assert checks == (SpeedCheck("Linear", 500.0, 10.0, 3, 0.0),)


@pytest.mark.parametrize("untimed, baseline", [
    (task(seconds=50.0, points=0.0), Reference(Linear=1.0)),  # earned nothing: nothing to take
    (task(seconds=5.0), Reference(Linear=0.01)),  # the reference is too quick to time
    (task(seconds=50.0), Reference()),  # the reference has no time for it (not run)
    (task(seconds=50.0, outcome="timeout"), Reference(Linear=1.0)),  # its own flag says it already
])
def test_tasks_that_cannot_be_timed_fairly_are_never_timed(untimed, baseline) -> None:
    measure = Retimings()
    assert speed.find_slow(SPEC, (untimed,), ROOT, baseline, measure) == ()
    assert measure.calls == []


def test_the_reference_is_timed_only_for_a_task_slow_enough_to_be_flagged_by_some_reference() -> None:
    baseline = Reference(Linear=0.1, Dropout=0.1)
    quick = (task(seconds=0.9), task("Dropout", seconds=1.0))  # 10 x 0.1 s: Dropout could be slow
    assert speed.find_slow(SPEC, quick, ROOT, baseline, Retimings(0.5)) == ()
    assert baseline.asked == ["Dropout"]


def test_a_speed_flag_reads_the_same_whatever_the_measured_ratio() -> None:
    first, second = SpeedCheck("Linear", 23.1, 20.0, 3, 0.5), SpeedCheck("Linear", 41.7, 20.0, 3, 0.5)
    assert first == second and feedback.speed_text(first) == feedback.speed_text(second)
    assert "over 20 times as long as the reference" in feedback.speed_text(first)


# -- the [speed] table ---------------------------------------------------------------------------

def write_assignment(root: Path, monkeypatch: pytest.MonkeyPatch, extra: str) -> config.AssignmentSpec:
    """Load an assignment written to a temporary assignments folder, `extra` TOML appended."""
    folder = root / "made-up"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assignment.toml").write_text(
        'title = "t"\npackage = "modules"\n\n[[tasks]]\nname = "A"\npoints = 1\n' + extra)
    monkeypatch.setattr(config, "ASSIGNMENTS_DIR", root)
    return config.load("made-up")


def test_without_a_speed_table_nothing_is_timed(tmp_path, monkeypatch) -> None:
    assert write_assignment(tmp_path, monkeypatch, "").speed.flag_ratio == 0


def test_a_speed_table_is_read_with_its_ratios_as_numbers(tmp_path, monkeypatch) -> None:
    spec = write_assignment(tmp_path, monkeypatch, "\n[speed]\nflag_ratio = 10\ndeduct_ratio = 30\n"
                                                   "deduct_fraction = 0.25\n")
    assert spec.speed == SpeedSpec(10.0, 30.0, 0.25, 0.05, 3)
    assert isinstance(spec.speed.flag_ratio, float)


@pytest.mark.parametrize("table, complaint", [
    ("flag_ratio = 1", "above 1"),
    ("flag_ratio = 0.5", "above 1"),
    ("deduct_ratio = 5", "needs a speed.flag_ratio"),
    ("flag_ratio = 10\ndeduct_ratio = 5", "not above it"),
    ("flag_ratio = 10\ndeduct_fraction = 1.5", "at most 1"),
    ("flag_ratio = 10\ntimings = 0", "at least 1"),
    ("flag_ratio = 10\ntimings = 2.5", "whole number"),
    ("flag_ratio = '10'", "non-negative number"),
    ("ratio = 10", "takes only"),
])
def test_a_wrong_speed_table_names_the_key(tmp_path, monkeypatch, table, complaint) -> None:
    with pytest.raises(ConfigError, match=complaint):
        write_assignment(tmp_path, monkeypatch, f"\n[speed]\n{table}\n")


# -- real grading: a Linear written with Python loops -----------------------------------------------

SLOW_LINEAR = """        rows = []
        for i in range(input.shape[0]):
            row = [sum(float(input[i, k]) * float(self.weight[j, k]) for k in range(input.shape[1]))
                   for j in range(self.weight.shape[0])]
            rows.append(np.array(row) + (self.bias if self.bias is not None else 0.0))
        return np.array(rows).reshape(input.shape[0], self.weight.shape[0])
"""
FAST_LINEAR = """        output = input @ self.weight.T
        if self.bias is not None:
            output += self.bias
        return output
"""
# Measured on these two tasks (Linear, Dropout): the reference's Linear keeps the worker busy
# 0.05-0.6 s (a fast quiet machine to a loaded one), the Linear above 2.8-10 s (15-50x). The
# thresholds stay far from both: a reference of 0.005 s is worth timing (10x below its quickest
# measure: a quick reference must not skip the check), and 3x flags and docks (5x below the least
# ratio measured), so the machine's speed cannot change the verdict.
DOCKING = replace(AUTODIFF, speed=SpeedSpec(flag_ratio=3.0, deduct_ratio=3.0, deduct_fraction=0.5,
                                            min_reference_seconds=0.005, timings=2))
TASKS = frozenset({"Linear", "Dropout"})


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    """The slow Linear graded twice and the reference once, with a deduction configured."""
    slow = tmp_path_factory.mktemp("speed") / "slow-linear"
    shutil.copytree(AUTODIFF.solution_dir, slow, ignore=shutil.ignore_patterns("__pycache__"))
    layers = slow / "modules" / "layers.py"
    assert layers.read_text().count(FAST_LINEAR) == 1
    layers.write_text(layers.read_text().replace(FAST_LINEAR, SLOW_LINEAR))
    runs = [grade_submission(path, DOCKING, student=name, only_tasks=TASKS)
            for name, path in (("slow", slow), ("slow-again", slow), ("reference", AUTODIFF.solution_dir))]
    assert not any(run.internal_errors for run in runs), runs
    return [run.result for run in runs]


def points(result) -> dict[str, float]:
    return {t.name: t.points for t in result.tasks if t.tests}


@pytest.mark.slow
@pytest.mark.sandbox
def test_slow_code_is_flagged_and_loses_exactly_the_configured_points(graded) -> None:
    slow = graded[0]
    assert [(c.task, c.threshold, c.timings, c.deducted) for c in slow.slow] == [("Linear", 3.0, 2, 0.5)]
    assert slow.slow[0].ratio >= 3.0
    assert points(slow) == {"Linear": 0.5, "Dropout": 1.0} and slow.raw == 1.5
    linear = next(t for t in slow.tasks if t.name == "Linear")
    assert linear.worker_seconds >= 3 * next(t for t in graded[2].tasks if t.name == "Linear").worker_seconds


@pytest.mark.slow
@pytest.mark.sandbox
def test_the_same_slow_submission_graded_twice_gets_the_same_score(graded) -> None:
    first, again = graded[0], graded[1]
    assert (points(again), again.raw, again.slow) == (points(first), first.raw, first.slow)


@pytest.mark.slow
@pytest.mark.sandbox
def test_the_reference_is_never_flagged(graded) -> None:
    assert graded[2].slow == () and points(graded[2]) == {"Linear": 1.0, "Dropout": 1.0}


@pytest.mark.slow
@pytest.mark.sandbox
def test_the_reference_was_timed_once_for_the_three_gradings(graded) -> None:
    keys = [key for key in speed._reference_times if key[0] == "autodiff" and key[2] == "Linear"]
    assert len(keys) == 1


@pytest.mark.slow
@pytest.mark.sandbox
def test_the_slow_task_says_so_in_the_feedback_and_the_gradebook(graded, tmp_path) -> None:
    slow = graded[0]
    files.write_submission(tmp_path, DOCKING, slow, [])
    files.write_class(tmp_path, DOCKING, [slow])
    text = (tmp_path / "slow" / "feedback.md").read_text()
    linear = text[text.index("## Linear"):text.index("## BatchNormalization")]
    assert "over 3 times as long as the reference solution" in linear
    assert "0.5 point(s) were taken off" in linear
    assert "Hint: modules/layers.py, line" in linear and "for i in range(input.shape[0])" in linear
    console = Console(record=True, width=200)
    console.print(terminal.gradebook_table("t", ["Linear"], [slow]))
    assert "slow: Linear" in console.export_text()
    row = next(csv.DictReader(io.StringIO((tmp_path / "gradebook.csv").read_text())))
    assert row["slow"] == "Linear: over 3x, -0.5" and row["Linear"] == "0.5"
    assert "Linear: " in (page := (tmp_path / "index.html").read_text()) and "least of 2 timing(s)" in page
