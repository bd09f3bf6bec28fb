"""Reports people read: the student's feedback, Gradescope's results.json, the LMS imports, the
instructor's page and its integrity flags; on a small hand-made result and on the graded samples."""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json
import re

import pytest
from reports_helpers import SHAPE_MESSAGE, make_result, record, statement_lines

from autograder import config
from autograder.reports import feedback, files, gradescope, instructor, lms
from autograder.reports.flags import integrity_flags
from autograder.reports.language import language
from autograder.results import SubmissionResult, TaskResult, TestRecord


def test_split_hint_separates_the_check_hint_and_falls_back_to_one_per_outcome() -> None:
    problem, hint = feedback.split_hint(SHAPE_MESSAGE, "failed")
    assert problem.endswith("expected 1.5") and hint.startswith("y = x @ W.T + b")
    problem, hint = feedback.split_hint("Dropout.forward did not finish within 10 s", "timeout")
    assert problem == "Dropout.forward did not finish within 10 s"
    assert hint == feedback.OUTCOME_HINTS["timeout"]


def test_identical_failures_of_a_task_are_said_once_with_every_test_named() -> None:
    same = "Linear.__init__ is not implemented yet (it raised NotImplementedError)"
    task = TaskResult("Linear", 0.0, 1.0, tuple(record(f"t{i}", "Linear", "error", same)
                                                 for i in range(5)))
    view = feedback.task_feedback(task)
    assert len(view.failures) == 1 and view.failures[0].tests == ("t0", "t1", "t2", "t3", "t4")
    assert view.failures[0].names(language()) == "t0, t1, t2 and 2 more" and view.total == 5


def test_markdown_feedback_gives_points_passes_failures_with_shapes_and_hints() -> None:
    text = feedback.feedback_markdown(make_result(), {"Linear": "modules.layers.Linear"})
    assert "**Score: 1.28 / 2.5 (raw 1.5, 24.0 hours late, x0.8500)**" in text
    assert "## Linear: 0 / 1" in text and "_modules.layers.Linear_" in text
    assert "Passed 1 of 3 tests: `test_linear[no-bias]`" in text
    assert "does not match torch.nn.Linear (shape (4, 2))" in text
    assert "  Hint: y = x @ W.T + b, with W of shape (out_features, in_features)." in text
    assert "`test_linear_float64` (hidden test): failed" in text
    assert "- Note: modules/x.py: a symbolic link, ignored" in text


def test_html_feedback_escapes_what_students_wrote_and_shows_each_part() -> None:
    page = feedback.feedback_html(make_result(), "Autodiff")
    assert "&lt;student Linear&gt; &amp; co" in page and "<student Linear>" not in page
    assert 'class="hint"><b>Hint:</b> y = x @ W.T + b' in page
    assert page.count('<span class="badge ok">done</span>') == 2  # summary row and section
    assert "<script" not in page and "http" not in page  # self-contained, nothing to fetch


def test_gradescope_puts_points_on_visible_entries_and_hidden_details_after_publishing() -> None:
    payload = json.loads(gradescope.gradescope_json(make_result()))
    names = [t["name"] for t in payload["tests"]]
    assert names == ["Linear", "Linear: hidden tests", "Dropout", "Dropout: hidden tests"]
    visible = [t for t in payload["tests"] if t["visibility"] == "visible"]
    hidden = [t for t in payload["tests"] if t["visibility"] != "visible"]
    assert [t["score"] for t in visible] == [0.0, 1.5] and [t["max_score"] for t in visible] == [1, 1.5]
    assert all(t["visibility"] == "after_published" and t["max_score"] == 0 for t in hidden)
    assert payload["score"] == 1.28
    linear = payload["tests"][0]["output"]
    assert "public tests: 1 of 2 passed" in linear and "hidden tests: 0 of 1 passed" in linear
    assert "no grad_weight" not in linear and "no grad_weight" in payload["tests"][1]["output"]
    assert "all" not in payload["tests"][2]["output"]  # never "all tests passed" for one part


def test_gradescope_json_is_byte_for_byte_stable() -> None:
    first = gradescope.gradescope_json(make_result())
    assert first == gradescope.gradescope_json(make_result()) and first.endswith("}\n")
    assert first.startswith('{\n  "output": "raw 1.5 / 2.5; late multiplier 0.8500; isolation: '
                            'bubblewrap\\nmodules/x.py: a symbolic link, ignored",\n  "score": 1.28,')


def test_canvas_csv_has_the_identity_columns_then_the_assignment() -> None:
    text = lms.canvas_csv("Autodiff", [make_result("bob"), make_result("alice")])
    assert text == ("Student,ID,SIS User ID,SIS Login ID,Section,Autodiff\n"
                    "alice,,,alice,,1.28\n"
                    "bob,,,bob,,1.28\n")


def test_moodle_csv_pairs_each_grade_with_its_feedback() -> None:
    rows = list(csv.reader(io.StringIO(lms.moodle_csv("Autodiff", [make_result()]))))
    assert rows == [["Username", "Autodiff", "Autodiff (feedback)"],
                    ["alice", "1.28", "raw 1.5 / 2.5; late penalty x0.8500; lost points in: "
                                      "Linear (0 / 1); details in your feedback file"]]


def test_flags_name_identical_code_but_not_shared_untouched_templates() -> None:
    results = [make_result("a", fingerprint="f1"), make_result("b", fingerprint="f1"),
               make_result("c", fingerprint="f2")]
    zero = SubmissionResult("d", "autodiff", (), 0.0, 1.0, 0.0, fingerprint="f3")
    results += [zero, SubmissionResult("e", "autodiff", (), 0.0, 1.0, 0.0, fingerprint="f3")]
    flags = [(f.student, f.detail) for f in integrity_flags(results) if f.kind == "identical code"]
    assert flags == [("a", "same code as b"), ("b", "same code as a")]


def test_flags_report_lateness_intake_notes_and_an_unusual_sandbox() -> None:
    results = [make_result("a"), make_result("b"), SubmissionResult("c", "autodiff", (), 0, 1, 0,
                                                                  isolation="fallback")]
    kinds = {(f.student, f.kind) for f in integrity_flags(results)}
    assert {("a", "late"), ("a", "intake"), ("c", "isolation")} <= kinds
    assert ("a", "isolation") not in kinds


def test_instructor_page_embeds_png_charts_and_renders_the_same_twice() -> None:
    spec = config.load("autodiff")
    results = [make_result("alice"), make_result("bob")]
    links = {"alice": "alice/feedback.html", "bob": "bob/feedback.html"}
    page = instructor.index_html(spec, results, links)
    assert page == instructor.index_html(spec, results, links)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2
    assert all(base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n") for image in images)
    assert '<a href="alice/feedback.html">alice</a>' in page
    assert "https://" not in page and "<link" not in page  # no CDN: works offline


# ---- what `make grade` wrote for the kit's samples ---------------------------------------------

CLASS_FILES = ["index.html", "gradebook.csv", "canvas.csv", "moodle.csv"]
STUDENT_FILES = ["feedback.html", "feedback.md", "results.json"]


@pytest.mark.parametrize("assignment", config.available())
def test_grading_writes_every_report_for_the_class_and_each_student(graded_samples, assignment):
    graded = graded_samples[assignment]
    missing = [name for name in CLASS_FILES if not (graded.out / name).is_file()]
    missing += [f"{student}/{name}" for student in graded.results for name in STUDENT_FILES
                if not (graded.out / files.safe_name(student) / name).is_file()]
    assert not missing


@pytest.mark.parametrize("assignment", config.available())
def test_lms_exports_carry_every_students_final_score(graded_samples, assignment):
    graded = graded_samples[assignment]
    title = config.load(assignment).title
    canvas = {r["SIS Login ID"]: r[title]
              for r in csv.DictReader(io.StringIO((graded.out / "canvas.csv").read_text()))}
    moodle = {r["Username"]: r[title]
              for r in csv.DictReader(io.StringIO((graded.out / "moodle.csv").read_text()))}
    expected = {name: f"{result.final:g}" for name, result in graded.results.items()}
    assert canvas == expected and moodle == expected


def test_html_reports_never_show_hidden_test_source(graded_samples):
    for assignment, graded in graded_samples.items():
        private = config.load(assignment).test_dirs["private"]
        source = {line for path in private.glob("*.py") for line in statement_lines(path)
                  if len(line) > 25}
        for page in graded.out.rglob("*.html"):
            text = page.read_text()
            leaked = [line for line in source if line in text]
            assert not leaked, f"{page} shows hidden test source: {leaked[:3]}"


def test_sample_page_flags_the_identical_reference_and_the_infinite_loop(graded_samples):
    flags = {(f.student, f.kind) for f in integrity_flags(list(graded_samples["autodiff"].results.values()))}
    assert {("reference", "identical code"), ("late-reference", "identical code"),
            ("infinite-loop-in-dropout", "timeout"), ("late-reference", "late")} <= flags
    assert not any(student == "untouched" and kind == "identical code" for student, kind in flags)


def with_finding() -> SubmissionResult:
    """The hand-made result with a failed robustness probe in Dropout (full points kept)."""
    result = make_result()
    probe = TestRecord("test_softmax_huge_logits", "Dropout", "failed",
                       "Softmax on logits of +-1000: got nan <b>&</b>\n  Hint: subtract the row maximum.",
                       "private", kind="finding", advice="log(softmax) is a bad idea")
    dropout = dataclasses.replace(result.tasks[1], tests=result.tasks[1].tests + (probe,))
    return dataclasses.replace(result, tasks=(result.tasks[0], dropout))


def test_a_failed_robustness_probe_is_a_finding_with_the_courses_words_never_a_failure() -> None:
    result = with_finding()
    view = feedback.feedback_view(result, {})[1]
    assert view.full and not view.failures and view.passed == ("test_dropout[0.5]", "test_dropout_rate")
    text = feedback.feedback_markdown(result)
    section = text[text.index("## Dropout"):]
    assert ("- Beyond the course (no points taken): test_softmax_huge_logits (hidden test): "
            "`Softmax on logits of +-1000: got nan <b>&</b>`: Hint: subtract the row maximum. "
            'The course: "log(softmax) is a bad idea"') in section
    assert "failed" not in section.split("Besides the tests")[0]
    page = feedback.feedback_html(result, "Autodiff")
    assert "got nan &lt;b&gt;&amp;&lt;/b&gt;" in page and "<b>&</b>" not in page
    assert "Beyond the course (no points taken)" in page


def test_gradescope_keeps_the_points_and_shows_a_hidden_finding_when_grades_are_published() -> None:
    visible, hidden = [t for t in json.loads(gradescope.gradescope_json(with_finding()))["tests"]
                       if t["name"].startswith("Dropout")]
    assert (visible["status"], visible["score"]) == ("passed", 1.5)
    assert "hidden tests: 1 of 1 passed; their details appear when grades" in visible["output"]
    assert "test_softmax_huge_logits" not in visible["output"]
    assert hidden["visibility"] == "after_published" and hidden["status"] == "passed"
    assert "Beyond the course (no points taken): test_softmax_huge_logits" in hidden["output"]


def test_the_instructor_sees_a_finding_in_the_flags_and_the_gradebook_at_full_points() -> None:
    result = with_finding()
    row = next(csv.DictReader(io.StringIO(files.gradebook_csv(["Linear", "Dropout"], [result]))))
    assert row["Dropout"] == "1.5" and row["beyond_course"] == "Dropout: test_softmax_huge_logits"
    flags = [(f.kind, f.detail) for f in integrity_flags([result])]
    assert ("beyond the course", "Dropout: test_softmax_huge_logits (a finding, no points taken)") in flags
