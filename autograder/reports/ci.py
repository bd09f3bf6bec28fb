"""What `autograder ci` leaves for a CI system to show: GitHub Classroom's grader output, a job
summary, and a JUnit report for GitLab merge requests.

GitHub Classroom reads points through `classroom-resources/autograding-grading-reporter`: its
`runners` input names grader steps, and for each it reads the environment variable
`<STEP-ID in capitals>_RESULTS`, decodes it from base64 and parses a JSON object
`{version, status, max_score, tests: [{name, status, score, message, ...}]}`; it adds up the tests'
`score` against `max_score` and fails the step when `status` is "fail" or "error" (src/main.js,
src/notify-classroom.js). The classroom's own graders write that object, base64-encoded, as the
step output `result` (autograding-python-grader bin/run.sh; format version 3 as in its runner, whose
test entries also carry test_code, filename, line_no, duration and task_id). GitHub has since
sunset the Classroom application; the reporter and this format still work in existing workflows.

GitLab shows a job's JUnit XML (`artifacts:reports:junit`) in merge requests, reading
testsuites/testsuite `name` and `time`, testcase `classname` (shown as the suite), `name`, `file`,
`time`, and the text of `failure`, `error` and `system-out` (docs.gitlab.com/ci/testing/
unit_test_reports, "JUnit XML format specification"). A duplicate test name is dropped, so the
names here are unique within their task.
"""

from __future__ import annotations

import base64
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autograder import N_
from autograder.atomic import write_atomic
from autograder.config import AssignmentSpec
from autograder.reports.check_table import check_rows, verdict
from autograder.reports.escape import md_text, strip_controls
from autograder.reports.files import write_feedback
from autograder.reports.language import SOURCE_LANGUAGE, Language, language
from autograder.results import SubmissionResult, TaskResult

CLASSROOM_FORMAT_VERSION = 3
ADVISORY = N_("CI scores are advisory: your repository is yours to change, so the instructor "
              "grades every repository again, centrally, with private tests.")
FALLBACK_NOTE = N_("The grader's sandbox ran in its fallback mode: this runner allows no user "
                   "namespaces (ubuntu-24.04 restricts them unless the workflow lifts that).")
ALL_TESTS_NOTE = N_("Public and private tests ran: this kit holds the private tests.")
JUNIT_OUTCOMES = {"failed": "failure", "error": "error", "timeout": "error", "crash": "error",
                  "grader-error": "error"}


def student_name(env: Mapping[str, str], path: Path) -> str:
    """Who is graded: the repository's name on GitHub or GitLab, else the folder's."""
    for key in ("GITHUB_REPOSITORY", "CI_PROJECT_PATH"):
        if env.get(key):
            return env[key].rstrip("/").rpartition("/")[2]
    return path.resolve().name or "student"


def _task_message(task: TaskResult, _: Language) -> str:
    """What happened to a task's tests, naming which tests they were (public, or all), without
    control characters: the reporter prints it to the job's log, JUnit carries it in XML."""
    public = all(t.visibility == "public" for t in task.tests)
    failed = [t for t in task.graded if not t.passed]
    findings = (_("; {count} finding(s) beyond the course, costing nothing", count=len(task.findings))
                if task.findings else "")
    if not task.graded:
        return _("no test of {task} ran", task=task.name)
    if not failed:
        return (_("{count} public tests passed", count=len(task.graded)) if public
                else _("{count} tests passed", count=len(task.graded))) + findings
    first = (_.message(failed[0].message.strip()).splitlines()[0] if failed[0].message
             else failed[0].outcome)
    counts = dict(failed=len(failed), total=len(task.graded), test=failed[0].name, first=first)
    return strip_controls((_("{failed} of {total} public tests failed; first: {test}: {first}", **counts)
                           if public else
                           _("{failed} of {total} tests failed; first: {test}: {first}", **counts))
                          + findings)


def classroom_payload(result: SubmissionResult, lang: str = SOURCE_LANGUAGE) -> dict[str, Any]:
    """The grader output GitHub Classroom's reporter reads: one test per task, with its points."""
    _ = language(lang)
    tests = []
    for number, task in enumerate(result.tasks, start=1):
        status = ("error" if task.grader_errors else
                  "pass" if task.tests and task.points == task.max_points else "fail")
        tests.append({
            "name": task.name, "status": status, "score": task.points,
            "max_score": task.max_points, "message": _task_message(task, _),
            "test_code": "", "filename": "", "line_no": 0,
            "duration": round(sum(t.seconds for t in task.tests), 3), "task_id": number,
        })
    statuses = {t["status"] for t in tests}
    overall = "error" if "error" in statuses else "fail" if "fail" in statuses else "pass"
    return {"version": CLASSROOM_FORMAT_VERSION, "status": overall,
            "max_score": result.max_points, "tests": tests}


def classroom_json(result: SubmissionResult, lang: str = SOURCE_LANGUAGE) -> str:
    return json.dumps(classroom_payload(result, lang), separators=(",", ":"))


def classroom_output(result: SubmissionResult, lang: str = SOURCE_LANGUAGE) -> str:
    """The `result=<base64>` line a grader step appends to $GITHUB_OUTPUT."""
    encoded = base64.b64encode(classroom_json(result, lang).encode()).decode("ascii")
    return f"result={encoded}\n"


def step_summary(spec: AssignmentSpec, result: SubmissionResult, scope: str = "public",
                 lang: str = SOURCE_LANGUAGE) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY (and summary.md), in `lang`: a table of the tasks and
    their points, what the student controls escaped (reports/escape.py) so that it stays in its
    cell as text."""
    _ = language(lang)
    rows = check_rows(result, lang=lang)
    score = _.points(result.raw, result.max_points)
    lines = [f"### {md_text(_(spec.title))}", "",
             (_("**{score} points** from the public tests.", score=score) if scope == "public" else
              _("**{score} points** from the public and private tests.", score=score))
             + f" {_(ADVISORY)}", "",
             "| {} | {} | {} | {} |".format(_("task"), _("points"), _("tests passed"), _("first problem")),
             "|---|---:|---:|---|"]
    for task, row in zip(result.tasks, rows, strict=True):
        mark = "✅" if row.ok else "❌"
        lines.append(f"| {mark} {md_text(task.name)} | {_.points(task.points, task.max_points)} | "
                     f"{row.passed} / {row.total} | {md_text(row.problem)} |")
    lines += ["", verdict(rows, lang) if scope == "public" else _(ALL_TESTS_NOTE), "",
              _("Sandbox: {isolation}.", isolation=result.isolation or _("not started"))]
    if result.isolation.startswith("fallback"):
        lines.append(_(FALLBACK_NOTE))
    lines += [f"> {_('Note: {note}', note=md_text(_.message(message)))}"
              for message in result.intake_messages]
    return "\n".join(lines) + "\n"


def junit_xml(spec: AssignmentSpec, result: SubmissionResult, scope: str = "public",
              lang: str = SOURCE_LANGUAGE) -> str:
    """One testsuite per task: a `points` case that fails when the task lost points, then one case
    per test (hidden ones marked so) with what failed as the failure's text (without the control
    characters XML cannot hold; ElementTree escapes the rest). Names stay identifiers; the
    words are in `lang`."""
    _ = language(lang)
    root = ET.Element("testsuites", name=f"autograder {spec.name} ({scope} tests)",
                      time=f"{sum(t.seconds for task in result.tasks for t in task.tests):.3f}")
    for task in result.tasks:
        suite = ET.SubElement(root, "testsuite", name=task.name, tests=str(len(task.tests) + 1),
                              time=f"{sum(t.seconds for t in task.tests):.3f}")
        points = ET.SubElement(suite, "testcase", classname=task.name, name="points", time="0")
        summary = _("{score} points; {detail}", score=_.points(task.points, task.max_points),
                    detail=_task_message(task, _))
        if task.points < task.max_points or not task.tests:
            ET.SubElement(points, "failure", message=summary).text = summary
        else:
            ET.SubElement(points, "system-out").text = summary
        for test in task.tests:
            name = test.name if test.visibility == "public" else f"{test.name} (hidden)"
            case = ET.SubElement(suite, "testcase", classname=task.name, name=name,
                                 time=f"{test.seconds:.3f}")
            message = strip_controls(_.message(test.message))
            if test.is_finding:
                ET.SubElement(case, "system-out").text = _("finding, costing nothing: {message}",
                                                           message=message)
            elif not test.passed and not test.counts:  # a probe of code not written yet
                ET.SubElement(case, "skipped", message=message.splitlines()[0])
            elif not test.passed:
                problem = message or test.outcome
                ET.SubElement(case, JUNIT_OUTCOMES[test.outcome], type=test.outcome,
                              message=problem.splitlines()[0]).text = problem
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(text)


def write_ci_files(out: Path, spec: AssignmentSpec, result: SubmissionResult, internal: list[str],
                   env: Mapping[str, str] = os.environ, scope: str = "public",
                   lang: str = SOURCE_LANGUAGE) -> list[Path]:
    """Write the reports into `out`, in `lang`; on GitHub Actions also the step output and the job
    summary."""
    write_feedback(out, spec, result, lang)
    written = {"classroom.json": classroom_json(result, lang) + "\n",
               "summary.md": step_summary(spec, result, scope, lang),
               "junit.xml": junit_xml(spec, result, scope, lang)}
    if internal:
        written["grader-errors.log"] = "\n\n".join(internal) + "\n"
    for name, text in written.items():
        write_atomic(out / name, text)
    _append(env.get("GITHUB_OUTPUT"), classroom_output(result, lang))
    _append(env.get("GITHUB_STEP_SUMMARY"), written["summary.md"])
    return sorted([out / "results.json", out / "feedback.md", out / "feedback.html",
                   *(out / name for name in written)])

