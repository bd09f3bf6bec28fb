"""`autograder ci` and the student-repository templates: the files a CI system reads, checked byte
for byte where the format is fixed, and the command run as the templates run it."""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from reports_helpers import make_result

from autograder import cli, config
from autograder.authoring.samples import write_samples
from autograder.reports import ci

TEMPLATES = config.REPO_ROOT / "templates" / "student-repo"
WORKFLOW = TEMPLATES / ".github" / "workflows" / "classroom.yml"
GITLAB = TEMPLATES / ".gitlab-ci.yml"
CLASSROOM_JSON = (
    '{"version":3,"status":"fail","max_score":2.5,"tests":['
    '{"name":"Linear","status":"fail","score":0.0,"max_score":1.0,"message":"2 of 3 tests failed; '
    'first: test_linear[bias]: Linear.forward(x) output for x of shape (4, 3): does not match '
    'torch.nn.Linear (shape (4, 2)). Largest error at index [1, 0]: got 2.5, expected 1.5",'
    '"test_code":"","filename":"","line_no":0,"duration":0.75,"task_id":1},'
    '{"name":"Dropout","status":"pass","score":1.5,"max_score":1.5,"message":"2 tests passed",'
    '"test_code":"","filename":"","line_no":0,"duration":0.5,"task_id":2}]}')


def test_classroom_payload_is_the_reporters_format_byte_for_byte() -> None:
    assert ci.classroom_json(make_result()) == CLASSROOM_JSON


def test_classroom_step_output_is_the_payload_in_base64_on_one_line() -> None:
    line = ci.classroom_output(make_result())
    assert line.startswith("result=") and line.endswith("\n") and line.count("\n") == 1
    assert base64.b64decode(line[len("result="):]).decode() == CLASSROOM_JSON


def reporter_points(encoded: str) -> tuple[float, float]:
    """What autograding-grading-reporter computes: the tests' scores against max_score."""
    results = json.loads(base64.b64decode(encoded))
    return sum(test["score"] for test in results["tests"]), results["max_score"]


def test_the_reporter_would_count_the_raw_points_of_the_tasks() -> None:
    result = make_result()
    assert reporter_points(ci.classroom_output(result)[len("result="):]) == (1.5, 2.5)


def test_junit_report_has_a_suite_per_task_and_a_failing_points_case_for_lost_points() -> None:
    root = ET.fromstring(ci.junit_xml(config.load("autodiff"), make_result()))
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert list(suites) == ["Linear", "Dropout"]
    linear = {case.get("name"): case for case in suites["Linear"].iter("testcase")}
    assert set(linear) == {"points", "test_linear[bias]", "test_linear[no-bias]",
                           "test_linear_float64 (hidden)"}
    assert all(case.get("classname") == "Linear" for case in linear.values())
    assert linear["points"].find("failure").text.startswith("0 / 1 points; 2 of 3 tests failed")
    failure = linear["test_linear[bias]"].find("failure")
    assert "shape (4, 2)" in failure.text and "Hint: y = x @ W.T + b" in failure.text
    assert linear["test_linear[no-bias]"].find("failure") is None
    dropout_points = next(c for c in suites["Dropout"].iter("testcase") if c.get("name") == "points")
    assert dropout_points.find("failure") is None
    assert dropout_points.find("system-out").text == "1.5 / 1.5 points; 2 tests passed"


def test_junit_report_is_stable_and_escapes_what_students_wrote() -> None:
    spec = config.load("autodiff")
    text = ci.junit_xml(spec, make_result())
    assert text == ci.junit_xml(spec, make_result())
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuites name=\"autograder "
                           'autodiff (public tests)" time="1.250">\n  <testsuite name="Linear" '
                           'tests="4" time="0.750">\n')
    assert "&lt;student Linear&gt; &amp; co" in text


def test_step_summary_tables_the_tasks_and_says_the_score_is_advisory_and_public_only() -> None:
    text = ci.step_summary(config.load("autodiff"), make_result())
    assert "**1.5 / 2.5 points** from the public tests. " + ci.ADVISORY in text
    assert "| ❌ Linear | 0 / 1 | 1 / 3 | Linear.forward(x) output for x of shape (4, 3)" in text
    assert "| ✅ Dropout | 1.5 / 1.5 | 2 / 2 |  |" in text
    assert "Public tests only" in text and "all tests passed" not in text
    assert "Sandbox: bubblewrap." in text and ci.FALLBACK_NOTE not in text


def test_the_student_is_named_after_the_repository() -> None:
    assert ci.student_name({"GITHUB_REPOSITORY": "course/hw1-alice"}, Path(".")) == "hw1-alice"
    assert ci.student_name({"CI_PROJECT_PATH": "group/sub/hw1-bob"}, Path(".")) == "hw1-bob"
    assert ci.student_name({}, Path("/tmp/carol")) == "carol"


# ---- the command, run as the templates run it ---------------------------------------------------

@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ci-samples")
    write_samples(config.load("autodiff"), folder)
    return folder


def run_ci(repository: Path, out: Path, env: dict[str, str], *extra: str,
           assignment: str = "autodiff") -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("GITHUB_", "GITLAB_", "CI_"))}
    return subprocess.run(
        [sys.executable, "-m", "autograder.cli", "ci", str(repository), "--assignment", assignment,
         "--out", str(out), *extra], env={**clean, **env}, capture_output=True, text=True,
        timeout=600)


def test_ci_on_github_writes_the_classroom_output_and_the_job_summary(samples, tmp_path) -> None:
    github_output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    github_output.write_text("earlier=1\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(github_output),
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_REPOSITORY": "course/hw1-alice"}
    run = run_ci(samples / "reference", tmp_path / "out", env, "--exit-zero")
    assert run.returncode == 0, run.stdout + run.stderr
    out = tmp_path / "out"
    payload = (out / "classroom.json").read_bytes()
    expected = b"earlier=1\nresult=" + base64.b64encode(payload.rstrip(b"\n")) + b"\n"
    assert github_output.read_bytes() == expected
    assert reporter_points(expected.split(b"result=")[1].decode()) == (10.0, 10.0)
    assert json.loads(payload)["status"] == "pass"
    assert summary.read_bytes() == (out / "summary.md").read_bytes()
    assert "**10 / 10 points** from the public tests" in summary.read_text()
    assert "Feedback: " in (out / "feedback.html").read_text()
    assert "hw1-alice" in (out / "feedback.md").read_text()
    assert ci.ADVISORY in run.stdout


def test_ci_on_gitlab_fails_the_job_and_reports_the_broken_task(samples, tmp_path) -> None:
    """Also in the fallback sandbox, as on a runner without user namespaces: the summary says so."""
    env = {"GITLAB_CI": "true", "CI_PROJECT_PATH": "group/hw1-bob", "AUTOGRADER_ISOLATION": "fallback"}
    run = run_ci(samples / "raises-in-linear", tmp_path / "out", env)
    assert run.returncode == 1, run.stdout + run.stderr
    root = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    failing = {case.get("classname") for case in root.iter("testcase")
               if case.find("failure") is not None or case.find("error") is not None}
    assert failing == {"Linear"}
    linear = next(s for s in root.iter("testsuite") if s.get("name") == "Linear")
    errors = [case.find("error") for case in linear.iter("testcase") if case.find("error") is not None]
    assert errors and all("expected 32 input features" in error.text for error in errors)
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "Sandbox: fallback;" in summary and ci.FALLBACK_NOTE in summary


def test_ci_grades_a_notebook_repository_and_reports_the_task_it_lost(tmp_path) -> None:
    """A notebook assignment's repository (the engine's student notebook, with grad_b keeping the
    batch axis): the public shape check costs Linear, and only Linear, in every CI file."""
    write_samples(config.load("engine"), tmp_path / "samples")
    repository = tmp_path / "hw-engine-carol"
    (tmp_path / "samples" / "linear-bias-gradient-keepdims").rename(repository)
    github_output = tmp_path / "github_output"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(github_output),
           "GITHUB_REPOSITORY": "course/hw-engine-carol"}
    run = run_ci(repository, tmp_path / "out", env, "--exit-zero", assignment="engine")
    assert run.returncode == 0, run.stdout + run.stderr
    payload = json.loads((tmp_path / "out" / "classroom.json").read_text())
    assert {t["name"]: t["status"] for t in payload["tests"]} == {
        "Linear": "fail", "ReLU": "pass", "Training": "pass"}
    assert reporter_points(github_output.read_text().split("result=")[1]) == (6.0, 10.0)
    root = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    failing = {case.get("classname") for case in root.iter("testcase") if case.find("failure") is not None}
    assert failing == {"Linear"}
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| ❌ Linear | 0 / 4 | 0 / 3 |" in summary and "got shape (1, 7)" in summary
    assert "hw-engine-carol" in (tmp_path / "out" / "feedback.md").read_text()


# ---- the templates call the command as it is -----------------------------------------------------

def ci_command(line: str, env: dict[str, str]) -> list[str]:
    words = shlex.split(line)
    words = [env.get(word[1:], word) if word.startswith("$") else word for word in words]
    assert words[:2] == ["autograder", "ci"], line
    return words[1:]


def test_github_workflow_has_the_shape_classroom_requires() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow["name"] == "Autograding Tests"
    assert list(workflow["jobs"]) == ["run-autograding-tests"]
    job = workflow["jobs"]["run-autograding-tests"]
    assert job["runs-on"] == "ubuntu-24.04"
    steps = {step.get("id", step["name"]): step for step in job["steps"]}
    grader = steps["autograder"]
    reporter = next(s for s in job["steps"] if "autograding-grading-reporter" in s.get("uses", ""))
    assert reporter["with"]["runners"] == "autograder"
    assert reporter["env"] == {"AUTOGRADER_RESULTS": "${{ steps.autograder.outputs.result }}"}
    args = cli.build_parser().parse_args(ci_command(grader["run"], workflow["env"]))
    assert args.assignment in config.available() and args.exit_zero and args.tests == "public"
    namespaces = next(s for s in job["steps"] if "namespaces" in s["name"])
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in namespaces["run"]


def test_gitlab_template_reports_the_junit_file_the_command_writes() -> None:
    pipeline = yaml.safe_load(GITLAB.read_text())
    job = pipeline["grade"]
    args = cli.build_parser().parse_args(ci_command(job["script"][-1], job["variables"]))
    assert args.assignment in config.available() and not args.exit_zero
    assert job["artifacts"]["reports"]["junit"] == f"{args.out}/junit.xml"
    assert job["artifacts"]["when"] == "always"
