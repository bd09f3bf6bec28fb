"""The student-repository CI templates are safe and valid: every GitHub action pinned by the commit
hash verified from its own repository (tag in a comment), a checkout that keeps no credentials,
nothing `zizmor` (the GitHub Actions security linter) finds, and both templates valid against
GitHub's and GitLab's schemas (`check-jsonschema`'s built-in copies; both tools work offline).

A tool that is not installed skips its tests, saying so; `pip install -e '.[dev]'` installs both."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autograder import config

TEMPLATES = config.REPO_ROOT / "templates" / "student-repo"
WORKFLOW = TEMPLATES / ".github" / "workflows" / "classroom.yml"
GITLAB = TEMPLATES / ".gitlab-ci.yml"
# Verified from the actions' own repositories (issue 13, section 4): action -> (commit, tag).
PINNED = {
    "actions/checkout": ("11d5960a326750d5838078e36cf38b85af677262", "v4.4.0"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "classroom-resources/autograding-grading-reporter": ("d13b5912daf5042ac1b71bc38bdb4a6bcd61d8ca", "v1"),
}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[^@\s]+)@(?P<ref>\S+)\s*(?:#\s*(?P<tag>\S+))?\s*$")


def tool(name: str) -> str:
    """The tool beside this interpreter (the kit's venv) or on PATH; skip, saying why, without it."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]' installs it)")
    return found


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_every_action_is_pinned_by_its_verified_commit_with_the_tag_in_a_comment() -> None:
    uses = [USES.match(line) for line in WORKFLOW.read_text().splitlines() if "uses:" in line]
    found = {m["action"]: (m["ref"], m["tag"]) for m in uses if m}
    assert len(found) == len(uses) and found == PINNED


def test_the_checkout_keeps_no_credentials_for_the_code_graded_next() -> None:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["run-autograding-tests"]["steps"]
    checkouts = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(s.get("with", {}).get("persist-credentials") is False for s in checkouts)


def test_zizmor_finds_nothing_in_the_student_repository_workflow() -> None:
    found = run(tool("zizmor"), "--offline", "--no-progress", str(TEMPLATES))
    assert found.returncode == 0, found.stdout + found.stderr


def test_zizmor_would_flag_an_action_pinned_by_tag_and_a_checkout_keeping_credentials(tmp_path) -> None:
    """The check above can fail: the template as it was before pinning is flagged."""
    copy = tmp_path / ".github" / "workflows" / "classroom.yml"
    copy.parent.mkdir(parents=True)
    text = WORKFLOW.read_text().replace(f"@{PINNED['actions/checkout'][0]}", "@v4")
    copy.write_text(re.sub(r"\n\s*with:\n\s*persist-credentials: false[^\n]*", "", text))
    found = run(tool("zizmor"), "--offline", "--no-progress", str(tmp_path))
    assert found.returncode != 0
    assert "unpinned-uses" in found.stdout and "artipacked" in found.stdout, found.stdout


@pytest.mark.parametrize(("schema", "template"), [("vendor.github-workflows", WORKFLOW),
                                                  ("vendor.gitlab-ci", GITLAB)],
                         ids=["github", "gitlab"])
def test_each_template_is_valid_against_its_platforms_schema(schema: str, template: Path) -> None:
    checked = run(tool("check-jsonschema"), "--builtin-schema", schema, str(template))
    assert checked.returncode == 0, checked.stdout + checked.stderr


# A key each platform's job does not know, inserted after a line of the template's one job.
UNKNOWN_KEY = {"github": (WORKFLOW, "    timeout-minutes: 30\n", "    timeout-minute: 30\n"),
               "gitlab": (GITLAB, "  image: python:3.11-slim-bookworm\n", "  scripts: [true]\n")}


@pytest.mark.parametrize("platform", UNKNOWN_KEY)
def test_the_schema_check_would_reject_a_job_with_an_unknown_key(tmp_path, platform: str) -> None:
    """The check above can fail: the template with one more key, unknown to the platform, fails."""
    template, line, added = UNKNOWN_KEY[platform]
    schema = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}[platform]
    text = template.read_text()
    assert text.count(line) == 1
    broken = tmp_path / template.name
    broken.write_text(text.replace(line, line + added))
    assert run(tool("check-jsonschema"), "--builtin-schema", schema, str(broken)).returncode != 0
