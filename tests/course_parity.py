"""Course parity: a course's own checks, run in this process on the kit's samples (trusted code,
written by the kit), against the verdicts the grader gave them (tests/test_course_parity_*.py).

The rule: for every sample and every task whose course checks all pass, the kit awards the task in
full, unless the sample declares itself "a bug the course misses" (`course_misses` quotes the
sentence of the course it violates, `shown_by` names the public test that shows it) and that
public test is among the task's failed tests. A declaration that no longer holds is stale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from autograder import config
from autograder.intake.notebook import notebook_statements
from autograder.results import TaskResult

# One course check: takes the sample's namespace, raises when the course's check fails.
CourseCheck = Callable[[dict[str, Any]], None]


def sample_namespace(spec: config.AssignmentSpec, folder: Path) -> dict[str, Any]:
    """The sample's notebook as intake keeps it (imports, definitions, answers), run here; a
    statement that fails is skipped, as the worker skips it."""
    namespace: dict[str, Any] = {}
    data = (folder / spec.notebook).read_bytes()
    for statement in notebook_statements(data, spec.notebook, spec.answers, []):
        try:
            exec(compile(statement.source, spec.notebook, "exec"), namespace)
        except Exception:  # noqa: BLE001 - a failing cell costs only what it defines
            continue
    return namespace


def course_verdicts(checks: Mapping[str, CourseCheck], namespace: dict[str, Any]
                    ) -> dict[str, str]:
    """Each course check's outcome: "" when it passed, else why it failed."""
    verdicts = {}
    for name, course_check in checks.items():
        try:
            course_check(namespace)
        except Exception as error:  # noqa: BLE001 - any failure of the sample's code fails it
            verdicts[name] = f"{type(error).__name__}: {str(error)[:200]}"
        else:
            verdicts[name] = ""
    return verdicts


def public_failures(task: TaskResult) -> set[str]:
    """The public tests a task failed, by function name (parameters left out)."""
    return {t.name.split("[")[0] for t in task.graded if not t.passed and t.visibility == "public"}


def parity_violations(graded: Any, sample_name: str, checks_of_task: Mapping[str, tuple[str, ...]],
                      verdicts: Mapping[str, str]) -> list[str]:
    """The tasks the course passes (all their checks pass) that the kit did not award, where the
    sample does not declare a bug the course misses shown by a failed public test of that task."""
    sample = graded.samples[sample_name]
    problems = []
    for task in graded.results[sample_name].tasks:
        checks = checks_of_task.get(task.name, ())
        if not checks or any(verdicts[name] for name in checks) or task.points == task.max_points:
            continue
        if sample.course_misses and sample.shown_by in public_failures(task):
            continue
        failed = [f"{t.name}: {t.message[:160]}" for t in task.graded if not t.passed]
        problems.append(f"{task.name}: the course's checks {list(checks)} pass, the kit gave "
                        f"{task.points}/{task.max_points} (failed: {failed}); declare "
                        "course_misses and shown_by if the course misses this bug")
    return problems


def declared_miss_holds(graded: Any, sample_name: str,
                        checks_of_task: Mapping[str, tuple[str, ...]],
                        verdicts: Mapping[str, str]) -> bool:
    """Whether a sample declared "a bug the course misses" still is one: some task the course's
    checks pass loses points, with the declared public test among its failures."""
    sample = graded.samples[sample_name]
    return any(checks_of_task.get(task.name) and task.points < task.max_points
               and not any(verdicts[name] for name in checks_of_task[task.name])
               and sample.shown_by in public_failures(task)
               for task in graded.results[sample_name].tasks)
