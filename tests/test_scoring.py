"""Points per task under each policy, and the course's late penalty."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from autograder import config
from autograder.grading import plugin
from autograder.results import SpeedCheck, TaskResult, TestRecord
from autograder.scoring import policy

SPEC = config.load("autodiff")
# An offering's deadlines (its course.toml: tests/test_deadlines.py)
MSK = timezone(timedelta(hours=3))
DEADLINES = config.Deadlines(datetime(2026, 10, 4, 23, 59, tzinfo=MSK),
                             datetime(2026, 10, 11, 23, 59, tzinfo=MSK))
SOFT = DEADLINES.soft


def records(task: str, outcomes: list[str]) -> list[TestRecord]:
    return [TestRecord(f"test_{i}", task, outcome) for i, outcome in enumerate(outcomes)]


def points_of(spec: config.AssignmentSpec, task: str, outcomes: list[str]) -> float:
    results = {t.name: t for t in policy.score_tasks(spec, records(task, outcomes))}
    return results[task].points


def test_all_or_nothing_gives_the_task_only_when_every_test_passes() -> None:
    assert points_of(SPEC, "BatchNormalization", ["passed"] * 3) == 2.5
    assert points_of(SPEC, "BatchNormalization", ["passed", "passed", "failed"]) == 0.0


def test_fraction_policy_gives_points_per_passed_test() -> None:
    fraction = dataclasses.replace(SPEC, policy="fraction")
    assert points_of(fraction, "BatchNormalization", ["passed", "failed", "timeout", "passed"]) \
        == 1.25


def test_a_task_without_tests_earns_nothing() -> None:
    assert points_of(SPEC, "Linear", []) == 0.0


@pytest.mark.parametrize("late, full, expected", [
    (timedelta(0), 10, 10.0),
    (timedelta(days=1), 10, 8.5),      # the course: "after a day, at most 8.5"
    (timedelta(days=4), 10, 5.22),     # the course: "four days late, at most 5.22"
    (timedelta(minutes=-5), 10, 10.0),  # early is on time
])
def test_late_penalty_matches_the_course(late: timedelta, full: float, expected: float) -> None:
    multiplier = policy.late_multiplier(DEADLINES, SOFT + late, SPEC.late_base)
    assert policy.final_score(full, multiplier) == expected


def test_nothing_after_the_hard_deadline() -> None:
    after = DEADLINES.hard + timedelta(seconds=1)
    assert policy.late_multiplier(DEADLINES, after, SPEC.late_base) == 0.0


def test_unknown_submission_time_is_not_penalised() -> None:
    assert policy.late_multiplier(DEADLINES, None, SPEC.late_base) == 1.0


def test_no_deadlines_no_penalty_however_late() -> None:
    assert policy.late_multiplier(config.Deadlines(), datetime(2099, 1, 1, tzinfo=MSK),
                                  SPEC.late_base) == 1.0


def test_a_score_takes_the_speed_deductions_off_sums_them_to_raw_and_applies_the_multiplier() -> None:
    tasks = (TaskResult("Linear", 2.0, 2.0, ()), TaskResult("Dropout", 1.5, 1.5, ()))
    score = policy.score(tasks, (SpeedCheck("Linear", 25.0, 20.0, 3, 0.5),), 0.85)
    assert [(t.name, t.points) for t in score.tasks] == [("Linear", 1.5), ("Dropout", 1.5)]
    assert (score.raw, score.multiplier, score.final) == (3.0, 0.85, 2.55)
    assert (policy.score(tasks).raw, policy.score(tasks).final) == (3.5, 3.5)  # graded: no penalty


def test_a_stored_result_is_reported_on_its_own_raw_score() -> None:
    """Its tasks carry their deductions already: reporting it again never takes them twice."""
    stored = (TaskResult("Linear", 1.5, 2.0, ()),)
    again = policy.score(stored, (), 0.5, raw=1.5)
    assert (again.tasks, again.raw, again.final) == (stored, 1.5, 0.75)


def test_each_task_carries_its_worker_time_to_four_digits() -> None:
    scored = policy.score_tasks(SPEC, records("Linear", ["passed"]), {"Linear": 0.123456})
    assert {t.name: t.worker_seconds for t in scored if t.worker_seconds} == {"Linear": 0.1235}


def test_points_of_the_course_add_up_to_ten() -> None:
    assert SPEC.max_points == 10.0
    assert {t.name: t.points for t in SPEC.tasks} == {
        "Linear": 1.0, "BatchNormalization": 2.5, "Dropout": 1.0, "Activations": 1.5,
        "Sequential": 1.0, "Criterions": 1.0, "Optimizers": 1.5, "DataLoader": 0.5}


def test_bonus_tasks_count_above_the_maximum() -> None:
    spec = config.load("ownpackage")
    assert (spec.max_points, spec.bonus_points) == (20.0, 25.0)
    bonus = {t.name: t.points for t in policy.score_tasks(spec, records("Optimizer", ["passed"]))}
    assert bonus["Optimizer"] == 5.0 and spec.task("Optimizer").bonus


# -- requirements and findings ----------------------------------------------------------------------

def test_a_failed_robustness_finding_costs_nothing_and_a_failed_requirement_its_task() -> None:
    tests = [TestRecord("test_shapes", "Activations", "passed"),
             TestRecord("test_huge_logits", "Activations", "failed", kind="finding", advice="a bad idea")]
    task = {t.name: t for t in policy.score_tasks(SPEC, tests)}["Activations"]
    assert (task.points, task.passed, [t.name for t in task.findings]) == (1.5, 1, ["test_huge_logits"])
    required = [dataclasses.replace(tests[1], kind="requirement")]
    assert {t.name: t.points for t in policy.score_tasks(SPEC, required)}["Activations"] == 0.0


def test_a_task_with_only_findings_earns_nothing() -> None:
    only = [TestRecord("test_huge_logits", "Activations", "passed", kind="finding")]
    assert {t.name: t.points for t in policy.score_tasks(SPEC, only)}["Activations"] == 0.0


def test_robustness_deduction_is_off_unless_the_assignment_turns_it_on(tmp_path, monkeypatch) -> None:
    assert not any(config.load(name).robustness_deducts for name in config.available())
    folder = tmp_path / "strict"
    folder.mkdir()
    monkeypatch.setattr(config, "ASSIGNMENTS_DIR", tmp_path)
    head = 'title = "x"\npackage = "m"\n[[tasks]]\nname = "A"\npoints = 1\n'
    (folder / "assignment.toml").write_text(head + "[robustness]\ndeduct = true\n")
    assert config.load("strict").robustness_deducts
    (folder / "assignment.toml").write_text(head + "[robustness]\ndeduct = 'yes'\n")
    with pytest.raises(config.ConfigError, match=r"\[robustness\] takes only deduct"):
        config.load("strict")


@pytest.mark.parametrize("deducts, kind", [(False, "finding"), (True, "requirement")])
def test_the_robustness_marker_makes_a_finding_unless_the_assignment_deducts(deducts, kind) -> None:
    class Item:
        def get_closest_marker(self, name: str):
            return (SimpleNamespace(kwargs={"advice": "numerically unstable"})
                    if name == "robustness" else None)
    assert plugin.test_kind(Item(), deducts) == (kind, "numerically unstable")  # type: ignore[arg-type]


def test_a_probe_of_code_not_written_yet_is_no_finding() -> None:
    unwritten = TestRecord("test_huge_logits", "Activations", "error",
                           "Softmax.forward is not implemented yet (it raised NotImplementedError)",
                           kind="finding")
    assert not unwritten.is_finding and not unwritten.counts
    assert dataclasses.replace(unwritten, message="got nan").is_finding
    task = {t.name: t for t in policy.score_tasks(SPEC, [unwritten])}["Activations"]
    assert task.findings == () and task.points == 0.0
