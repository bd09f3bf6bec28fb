"""Deadlines belong to a course offering, not to the kit: its `course.toml` (beside the submissions,
or `grade --course FILE`) and `--soft-deadline` / `--hard-deadline` set them; with none there is no
late penalty, and the gradebook and the instructor's page say so; when every submission is past the
hard deadline the terminal and the page say so loudly. The penalty is applied when results are
reported, from the stored raw result: other deadlines re-report a graded batch without grading it
again, and `autograder ci` applies none.

The end-to-end batch grades two autodiff samples: the reference (10) and one losing DataLoader (9.5).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from reports_helpers import make_result

from autograder import cli, config
from autograder.authoring.samples import load_samples, write_sample, write_samples
from autograder.batch import BatchReport, grade_batch
from autograder.grading import resume
from autograder.reports import files, instructor
from autograder.reports.terminal import print_deadlines
from autograder.scoring import policy

ASSIGNMENT = "autodiff"
SPEC = config.load(ASSIGNMENT)
MSK = timezone(timedelta(hours=3))
SOFT = datetime(2026, 10, 4, 23, 59, tzinfo=MSK)
HARD = datetime(2026, 10, 11, 23, 59, tzinfo=MSK)
DEADLINES = config.Deadlines(SOFT, HARD)
COURSE = f"[{ASSIGNMENT}]\nsoft = {SOFT.isoformat()}\nhard = {HARD.isoformat()}\n"
# student -> (sample, handed in)
CLASS = {"alice": ("reference", SOFT + timedelta(days=1)),
         "bob": ("dataloader-drops-last-batch", SOFT - timedelta(hours=12))}
RAW = {"alice": 10.0, "bob": 9.5}


def course_file(folder: Path, text: str) -> Path:
    path = folder / config.COURSE_FILE
    path.write_text(text)
    return path


# ---- the course file ------------------------------------------------------------------------------

def test_the_course_file_gives_each_assignment_its_deadlines_and_language(tmp_path):
    path = course_file(tmp_path, COURSE + 'lang = "ru"\n\n[engine]\nhard = "2026-12-01T12:00:00Z"\n')
    assert config.offering(ASSIGNMENT, path) == config.Offering(DEADLINES, "ru")
    assert config.offering("engine", path) == config.Offering(
        config.Deadlines(None, datetime(2026, 12, 1, 12, tzinfo=UTC)))  # lang "": the assignment's
    assert config.offering("lecture", path) == config.Offering()  # no table: no deadlines


def test_without_a_course_file_there_are_no_deadlines_unless_one_was_named(tmp_path):
    missing = tmp_path / config.COURSE_FILE
    assert not config.offering(ASSIGNMENT, missing).deadlines.is_set
    with pytest.raises(config.ConfigError, match=f"{missing}: cannot be read"):
        config.offering(ASSIGNMENT, missing, required=True)


def test_command_line_deadlines_replace_the_course_files(tmp_path):
    path = course_file(tmp_path, COURSE + 'lang = "ru"\n')
    moved = config.offering(ASSIGNMENT, path, soft="2026-10-06T23:59:00+03:00")
    assert moved == config.Offering(config.Deadlines(SOFT + timedelta(days=2), HARD), "ru")
    alone = config.offering(ASSIGNMENT, tmp_path / "none.toml", hard=HARD.isoformat())
    assert alone.deadlines == config.Deadlines(None, HARD)


@pytest.mark.parametrize("text, says", [
    ("[autodiff\nsoft = 1", "not valid TOML"),
    ("[autodiff]\nsoft = 2026-10-04T23:59:00\n", r"\[autodiff\] soft must be a date-time with a time zone"),
    ("[autodiff]\nhard = 2026-10-04\n", r"\[autodiff\] hard must be a date-time .* \(got 2026-10-04\)"),
    ("[autodiff]\nsoft = 'tomorrow'\n", r"\[autodiff\] soft must be .* \(got 'tomorrow'\)"),
    ("[autodiff]\ndeadline = 2026-10-04T23:59:00Z\n", r"\[autodiff\] deadline: unknown key"),
    ("[autodif]\nsoft = 2026-10-04T23:59:00Z\n", r"\[autodif\] is not an assignment of this kit"),
    ("autodiff = 1\n", r"autodiff must be a table, \[autodiff\], of soft, hard and lang"),
    ("[autodiff]\nlang = 'english'\n", r"\[autodiff\] lang must be a two-letter language code"),
    ("[autodiff]\nsoft = 2026-10-11T00:00:00Z\nhard = 2026-10-04T00:00:00Z\n",
     r"\[autodiff\]: the hard deadline .* is before the soft one"),
], ids=["not-toml", "no-time-zone", "a-date", "not-a-time", "unknown-key", "unknown-assignment",
        "not-a-table", "language", "hard-before-soft"])
def test_a_malformed_course_file_is_a_clear_error_naming_the_file_and_the_key(tmp_path, capsys, text,
                                                                               says):
    path = course_file(tmp_path, text)
    with pytest.raises(config.ConfigError, match=f"^{tmp_path}/{config.COURSE_FILE}: {says}"):
        config.offering(ASSIGNMENT, path)
    assert cli.main(["grade", str(tmp_path), "--assignment", ASSIGNMENT, "--out",
                     str(tmp_path / "out"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"autograder: {path}: ") and "Traceback" not in error
    assert not (tmp_path / "out").exists(), "nothing is graded under a course file in doubt"


@pytest.mark.parametrize("option, value, says", [
    ("--soft-deadline", "2026-10-04 23:59", "--soft-deadline must be a date-time with a time zone"),
    ("--hard-deadline", "2026-10-01T00:00:00+03:00", "the hard deadline .* is before the soft one"),
])
def test_a_bad_deadline_option_is_a_clear_error(tmp_path, capsys, option, value, says):
    course_file(tmp_path, COURSE)
    assert cli.main(["grade", str(tmp_path), "--assignment", ASSIGNMENT, "--out",
                     str(tmp_path / "out"), "--quiet", option, value]) == 2
    assert re.search(says, capsys.readouterr().err)


def test_the_kit_ships_no_deadlines_and_refuses_them_in_an_assignment_file(tmp_path, monkeypatch):
    folder = tmp_path / "dated"
    folder.mkdir()
    (folder / "assignment.toml").write_text(
        'title = "x"\npackage = "m"\n[deadlines]\nsoft = 2026-01-01T00:00:00Z\n'
        '[[tasks]]\nname = "A"\npoints = 1\n')
    monkeypatch.setattr(config, "ASSIGNMENTS_DIR", tmp_path)
    with pytest.raises(config.ConfigError, match=r"\[deadlines\] belongs to a course offering.* "
                                                 r"under \[dated\] in course.toml"):
        config.load("dated")


# ---- the late penalty, applied to a raw result ---------------------------------------------------

def test_a_raw_result_is_reported_with_the_courses_penalty_or_none():
    raw = replace(make_result("alice"), raw=10.0, multiplier=1.0, final=10.0, late_minutes=0.0)
    day_late = policy.reported(raw, DEADLINES, SOFT + timedelta(days=1), SPEC.late_base)
    assert (day_late.multiplier, day_late.final, day_late.late_minutes) == (0.85, 8.5, 1440.0)
    assert policy.lateness_label(day_late, DEADLINES) == "24.0 hours late"
    after = policy.reported(raw, DEADLINES, HARD + timedelta(seconds=1), SPEC.late_base)
    assert (after.final, policy.lateness_label(after, DEADLINES)) == (0.0, "after the hard deadline")
    unset = policy.reported(raw, config.Deadlines(), HARD + timedelta(days=99), SPEC.late_base)
    assert (unset.final, policy.lateness_label(unset, config.Deadlines())) == (10.0, "no deadlines set")
    unknown = policy.reported(replace(raw, lateness_unknown=True), DEADLINES, None, SPEC.late_base)
    assert (unknown.multiplier, policy.lateness_label(unknown, DEADLINES)) == (
        1.0, "time unknown: no penalty")


def test_everyone_past_the_hard_deadline_is_told_only_when_it_is_everyone_timed():
    zero, on_time = replace(make_result("a"), multiplier=0.0, final=0.0), make_result("b")
    unknown = replace(on_time, multiplier=1.0, lateness_unknown=True)
    assert policy.all_past_hard_deadline([zero, zero, unknown], DEADLINES)
    assert not policy.all_past_hard_deadline([zero, on_time], DEADLINES)
    assert not policy.all_past_hard_deadline([unknown], DEADLINES)
    assert not policy.all_past_hard_deadline([zero], config.Deadlines(SOFT, None))


# ---- a graded batch, reported under three offerings ---------------------------------------------

@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("deadlines") / "submissions"
    folder.mkdir()
    samples = {s.name: s for s in load_samples(SPEC)}
    for student, (sample, _) in CLASS.items():
        write_sample(SPEC, samples[sample], folder / student)
    (folder / "manifest.csv").write_text("student,submitted_at\n" + "".join(
        f"{student},{when.isoformat()}\n" for student, (_, when) in CLASS.items()))
    return folder


@pytest.fixture(scope="module")
def undated(submissions: Path) -> tuple[BatchReport, Path]:
    """The batch graded with no course file and no deadline given."""
    out = submissions.parent / "grades"
    return grade_batch(submissions, ASSIGNMENT, out, jobs=2, show_progress=False), out


def stored(out: Path) -> dict[str, bytes]:
    return {p.parent.name: p.read_bytes() for p in out.glob(f"*/{resume.RESULT_FILE}")}


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    return {row["student"]: row for row in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text()))}


@pytest.mark.slow
def test_with_no_deadlines_nobody_is_penalised_and_the_gradebook_and_page_say_so(undated):
    report, out = undated
    assert not report.deadlines.is_set
    assert {r.student: (r.raw, r.multiplier, r.final) for r in report.results} == {
        student: (raw, 1.0, raw) for student, raw in RAW.items()}
    assert {name: (row["multiplier"], row["lateness"], row["final"])
            for name, row in gradebook(out).items()} == {
        "alice": ("1.0000", "no deadlines set", "10"), "bob": ("1.0000", "no deadlines set", "9.5")}
    page = (out / "index.html").read_text()
    assert '<p id="deadlines" class="sub">Deadlines: no deadlines set: no late penalty' in page
    assert 'id="all-past-deadline"' not in page


@pytest.mark.slow
def test_other_deadlines_report_the_batch_again_without_grading_it_again(undated, submissions,
                                                                         tmp_path, capsys):
    """All past (another term's deadlines): every final 0 and a loud warning in the terminal and
    on the page; then this term's from the course file, one moved on the command line."""
    _, out = undated
    before = stored(out)
    past = course_file(tmp_path, f"[{ASSIGNMENT}]\nsoft = 2026-09-01T23:59:00+03:00\n"
                                 "hard = 2026-09-08T23:59:00+03:00\n")
    assert cli.main(["grade", str(submissions), "--assignment", ASSIGNMENT, "--out", str(out),
                     "--quiet", "--course", str(past)]) == 0
    printed = capsys.readouterr().out
    assert "WARNING" in printed and "Every submission is past the hard deadline" in " ".join(
        printed.split())
    assert stored(out) == before, "graded again for other deadlines"
    assert {name: (row["final"], row["lateness"]) for name, row in gradebook(out).items()} == {
        "alice": ("0", "after the hard deadline"), "bob": ("0", "after the hard deadline")}
    page = (out / "index.html").read_text()
    assert 'id="all-past-deadline"' in page and "Every submission is past the hard deadline" in page
    assert json.loads((out / "alice" / "results.json").read_text())["score"] == 0.0

    course_file(submissions, COURSE)  # this term's, beside the submissions
    try:
        report = grade_batch(submissions, ASSIGNMENT, out, jobs=2, show_progress=False)
        assert {r.student: r.final for r in report.results} == {"alice": 8.5, "bob": 9.5}
        assert gradebook(out)["alice"]["lateness"] == "24.0 hours late"
        assert "8.5 / 10" in (out / "alice" / "feedback.md").read_text()
        assert cli.main(["grade", str(submissions), "--assignment", ASSIGNMENT, "--out", str(out),
                         "--quiet", "--soft-deadline", (SOFT + timedelta(days=1)).isoformat()]) == 0
    finally:
        (submissions / config.COURSE_FILE).unlink()
    printed = capsys.readouterr().out
    assert f"deadlines: soft deadline {(SOFT + timedelta(days=1)).isoformat()}, hard deadline " \
           f"{HARD.isoformat()}" in printed and "WARNING" not in printed
    assert gradebook(out)["alice"]["final"] == "10"
    assert stored(out) == before, "graded again for other deadlines"


def test_the_terminal_says_when_no_deadlines_are_set(capsys):
    print_deadlines(config.Deadlines(), [make_result("alice")])
    assert capsys.readouterr().out.startswith("deadlines: no deadlines set: no late penalty")


def test_the_page_of_a_class_all_past_the_hard_deadline_warns_first(tmp_path):
    late = replace(make_result("alice"), multiplier=0.0, final=0.0)
    page = instructor.index_html(SPEC, [late], {"alice": "alice/feedback.html"}, deadlines=DEADLINES)
    assert page.index('id="all-past-deadline"') < page.index('id="gradebook"')
    files.write_class(tmp_path, SPEC, [late], deadlines=DEADLINES)
    assert gradebook(tmp_path)["alice"]["lateness"] == "after the hard deadline"


# ---- the samples and CI ---------------------------------------------------------------------------

def test_the_samples_keep_their_late_sample_through_a_course_file_of_their_own(tmp_path):
    samples = write_samples(SPEC, tmp_path / "autodiff")
    assert config.offering(ASSIGNMENT, tmp_path / "autodiff" / config.COURSE_FILE) == \
        config.Offering(DEADLINES)
    times = dict(csv.reader(io.StringIO((tmp_path / "autodiff" / "manifest.csv").read_text())))
    late = next(s for s in samples if s.name == "late-reference")
    assert datetime.fromisoformat(times[late.name]) == SOFT + timedelta(days=1)
    assert datetime.fromisoformat(times["reference"]) == SOFT  # handed in at the deadline
    write_samples(config.load("engine"), tmp_path / "engine")  # the seed sets no deadlines
    assert not (tmp_path / "engine" / config.COURSE_FILE).exists()


def test_ci_applies_no_late_penalty_whatever_the_course_file_says(tmp_path, monkeypatch):
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    repository = tmp_path / "repository"
    write_sample(SPEC, next(s for s in load_samples(SPEC) if s.name == "reference"), repository)
    course_file(repository, f"[{ASSIGNMENT}]\nsoft = 2020-01-01T00:00:00Z\nhard = 2020-01-02T00:00:00Z\n")
    assert cli.main(["ci", str(repository), "--assignment", ASSIGNMENT, "--out",
                     str(tmp_path / "ci")]) == 0
    assert json.loads((tmp_path / "ci" / "results.json").read_text())["score"] == 10.0
