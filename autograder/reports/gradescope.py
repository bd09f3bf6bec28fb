"""Gradescope's `results.json`, per the autograder specification
(gradescope-autograders.readthedocs.io/en/latest/specs/, "Output format" and "Controlling Test Case
Visibility"): top-level `score` and `output`; per test `name`, `score`, `max_score`, `status`
("passed"/"failed"), `output` and `visibility` (hidden, after_due_date, after_published, visible).

Each task is one visible entry that carries its points, with the public tests' failures spelled out.
The hidden tests' details go into a second, zero-point entry per task, shown to students only once
the instructor publishes the grades: the spec notes that tests with points that are not visible hide
the student's total, so the points stay on the visible entry.
"""

from __future__ import annotations

import json
from typing import Any

from autograder.reports.feedback import Notice, notices, probe_notice
from autograder.reports.language import SOURCE_LANGUAGE, Language, language
from autograder.results import SubmissionResult, TaskResult

HIDDEN_DETAILS_VISIBILITY = "after_published"


def _task_entries(task: TaskResult, task_notices: tuple[Notice, ...], _: Language) -> list[dict[str, Any]]:
    """The task's visible entry, and its hidden tests' entry: a hidden robustness probe's finding
    is a hidden test's detail, shown when the grades are published like the others."""
    public = [t for t in task.graded if t.visibility == "public"]
    hidden = [t for t in task.graded if t.visibility == "private"]
    hidden_failed = [t for t in hidden if not t.passed]
    hidden_findings = [probe_notice(t, _).sentence() for t in task.findings if t.visibility == "private"]
    lines = [f"{t.name}: {_.message(t.message)}" for t in public if not t.passed]
    lines.append(_("public tests: {passed} of {total} passed",
                   passed=sum(t.passed for t in public), total=len(public)))
    if hidden:
        lines.append(_("hidden tests: {passed} of {total} passed",
                       passed=len(hidden) - len(hidden_failed), total=len(hidden))
                     + (_("; their details appear when grades are published")
                        if hidden_failed or hidden_findings else ""))
    lines += [notice.sentence() for notice in task_notices if notice.kind != "robustness"]
    lines += [probe_notice(t, _).sentence() for t in task.findings if t.visibility == "public"]
    entries = [{
        "name": task.name, "score": task.points, "max_score": task.max_points,
        "status": "passed" if task.points == task.max_points and task.tests else "failed",
        "output": "\n".join(lines), "visibility": "visible",
    }]
    if hidden or hidden_findings:
        entries.append({
            "name": _("{task}: hidden tests", task=task.name), "score": 0.0, "max_score": 0.0,
            "status": "failed" if hidden_failed else "passed",
            "output": "\n".join([*(f"{t.name}: {_.message(t.message)}" for t in hidden_failed),
                                 *hidden_findings])
            or _("{count} hidden tests passed", count=len(hidden)),
            "visibility": HIDDEN_DETAILS_VISIBILITY,
        })
    return entries


def gradescope_json(result: SubmissionResult, lang: str = SOURCE_LANGUAGE) -> str:
    """The student's results.json, its words (`output`, not its keys or statuses) in `lang`."""
    _ = language(lang)
    payload = {
        "score": result.final,
        "output": "\n".join([_("raw {raw} / {max_points}; late multiplier {multiplier}; isolation: "
                               "{isolation}", raw=f"{result.raw:g}", max_points=f"{result.max_points:g}",
                               multiplier=f"{result.multiplier:.4f}",
                               isolation=result.isolation or _("none")),
                             *map(_.message, result.intake_messages),
                             *(notice.sentence() for notice in notices(result, "", _))]),
        "tests": [entry for task in result.tasks
                  for entry in _task_entries(task, notices(result, task.name, _), _)],
    }
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"
