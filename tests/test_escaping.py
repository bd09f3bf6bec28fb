"""Nothing a student controls is injected into any output: their name, file names, code and messages
reach CSV files as text a spreadsheet never evaluates (and never altered in an LMS identity column),
the terminal without markup or control characters, Markdown (feedback.md, the CI job summary) as
text that renders as written, JUnit as XML that parses, and HTML escaped (proved in Chromium).

The Markdown is read back with markdown-it-py (CommonMark, with raw HTML, tables and strikethrough
on, as GitHub and GitLab render them), the CSV files with the csv module."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import stat
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from reports_helpers import make_result, record
from test_reports_browser import BROWSER_SKIP, CHROMIUM, chromium, probe

from autograder import config
from autograder.atomic import write_atomic
from autograder.authoring.samples import load_samples, write_sample
from autograder.batch import grade_folder
from autograder.reports import ci, escape, feedback, files, instructor, lms, terminal
from autograder.results import Finding, SubmissionResult, TaskResult

FORMULA_NAMES = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A9)",
                 "\tcmd", "\rcmd"]
# the last two would start a row with a formula if a carriage return or newline left their cell
PLAIN_NAMES = ["alice", "ann lee", "Иван Петров", "李雷", "zoë 🎓", "o'brien", "a=b", "x\r=1+1",
               "y\n@SUM(A1)"]
MARKUP_NAME = "[link=https://evil.example]eve[/link] :skull:"
ESCAPES_NAME = "mallory\x1b[1A\x1b[2K\x07\x9b31m\u202eevil"
NEWLINE_NAME = "eve\n# Injected heading"
# What injected script would run: it marks the page (alert() would block headless Chromium).
MARK = "document.body.dataset.pwned=1"
# An exception message that tries to close the fence, start a heading and run a script; its first
# line (what the CI summary shows) tries a table cell, raw HTML and a link.
HOSTILE_MESSAGE = (f"x | y <script>{MARK}</script> [click](https://evil.example) *bold* ``` end\n"
                   f"```\n````\n# Pwned\n<img src=x onerror={MARK}>\n"
                   "  Hint: <b>bold</b> [click](https://evil.example) \x1b[2K")
HOSTILE_NOTE = f"modules/<script>{MARK}</script>.py\n# Note heading: a symbolic link, ignored"


def hostile_result(student: str) -> SubmissionResult:
    """A result whose every student-controlled string is hostile: name, test message, intake note,
    scanned file name and code."""
    linear = TaskResult("Linear", 0.0, 1.0, (
        record("test_linear[bias]", "Linear", "failed", HOSTILE_MESSAGE),
        record("test_linear[no-bias]", "Linear"),
    ))
    dropout = TaskResult("Dropout", 1.5, 1.5, (record("test_dropout[0.5]", "Dropout"),))
    scan = Finding("escape", "Linear", "modules/`x`.py\n# F", 3, "exec('```\\n# code heading')")
    return SubmissionResult(student=student, assignment="autodiff", tasks=(linear, dropout),
                            raw=1.5, multiplier=1.0, final=1.5, isolation="bubblewrap",
                            intake_messages=(HOSTILE_NOTE,), findings=(scan,))


# ---- the escaping functions ----------------------------------------------------------------------

@pytest.mark.parametrize("text", FORMULA_NAMES)
def test_a_csv_cell_that_starts_like_a_formula_gets_an_apostrophe(text: str) -> None:
    assert escape.starts_formula(text) and escape.csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", [*PLAIN_NAMES, "", "'quoted", " =spaced"])
def test_a_csv_cell_that_is_no_formula_is_left_as_it_is(text: str) -> None:
    assert not escape.starts_formula(text) and escape.csv_cell(text) == text


def test_stripping_controls_keeps_newlines_tabs_and_unicode_and_drops_escapes_and_overrides() -> None:
    text = "a\tb\nc\x1b[2K\x00\x07\r\x7f\x85\x9b\u202e\u2066d Иван 🎓 ok\u200d"
    assert escape.strip_controls(text) == "a\tb\nc[2Kd Иван 🎓 ok\u200d"
    assert escape.strip_controls("lone \ud800 surrogate") == "lone \ufffd surrogate"


def test_a_code_fence_is_longer_than_any_run_of_backticks_inside() -> None:
    lines = escape.md_fence("a ``` b\n`````\nc", indent="  ")
    assert lines[0] == lines[-1] == "  ``````" and lines[1:-1] == ["  a ``` b", "  `````", "  c"]
    assert escape.md_fence("plain")[0] == "```"


def test_an_inline_code_span_holds_backticks_and_newlines_on_one_line() -> None:
    assert escape.md_code("a``b\nc") == "``` a``b c ```" and escape.md_code("x") == "`x`"


def test_terminal_text_shows_markup_as_written_without_control_characters() -> None:
    assert escape.terminal("[link=x]y[/link]\x1b[1A") == "\\[link=x]y\\[/link][1A"


# ---- Markdown: feedback.md and the CI job summary ------------------------------------------------

MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
INJECTED = {"html_block", "html_inline", "link_open", "image", "s_open", "em_open"}


def tokens(text: str) -> Iterator[Token]:
    """Every token of the rendered Markdown, inline ones included."""
    for token in MARKDOWN.parse(text):
        yield token
        yield from token.children or ()


def headings(text: str) -> list[str]:
    found = list(MARKDOWN.parse(text))
    return [found[i + 1].content for i, t in enumerate(found) if t.type == "heading_open"]


def test_feedback_markdown_renders_what_the_student_wrote_as_written() -> None:
    text = feedback.feedback_markdown(hostile_result(NEWLINE_NAME))
    parsed = list(tokens(text))
    assert not [t.type for t in parsed if t.type in INJECTED], text
    assert [t.type for t in parsed].count("strong_open") == 1  # the score's own
    assert headings(text) == ["Feedback: autodiff, eve # Injected heading", "Linear: 0 / 1",
                              "Dropout: 1.5 / 1.5"]
    fences = [t.content for t in parsed if t.type == "fence"]
    problem, _ = feedback.split_hint(HOSTILE_MESSAGE, "failed")
    assert fences == [escape.strip_controls(problem) + "\n"]
    shown = "".join(t.content for t in parsed if t.type in ("text", "code_inline"))
    assert f"modules/<script>{MARK}</script>.py # Note heading" in shown
    assert "exec('```\\n# code heading')" in shown and "modules/`x`.py # F" in shown
    assert "Hint: <b>bold</b> [click](https://evil.example) [2K" in shown


def test_the_ci_job_summary_keeps_each_problem_in_its_cell_as_text(tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(tmp_path / "output")}
    ci.write_ci_files(tmp_path / "out", config.load("autodiff"), hostile_result(NEWLINE_NAME), [], env)
    text = summary.read_text()
    parsed = list(tokens(text))
    assert not [t.type for t in parsed if t.type in INJECTED], text
    assert [t.type for t in parsed].count("strong_open") == 1  # the points' own
    assert "<script" not in MARKDOWN.render(text)
    rows = [t for t in MARKDOWN.parse(text) if t.type == "tr_open"]
    cells = [t.content for t in MARKDOWN.parse(text) if t.type == "inline" and t.level > 3]
    assert len(rows) == 3 and len(cells) == 3 * 4  # a header and one row per task, four cells each
    shown = "".join(t.content for t in tokens(text) if t.type == "text")
    assert f"x | y <script>{MARK}</script> [click](https://evil.example)" in shown
    assert headings(text) == [config.load("autodiff").title]


def test_junit_parses_whatever_control_characters_a_message_holds() -> None:
    result = hostile_result(ESCAPES_NAME)
    root = ET.fromstring(ci.junit_xml(config.load("autodiff"), result).encode())
    failure = next(case.find("failure") for case in root.iter("testcase")
                   if case.get("name") == "test_linear[bias]")
    assert failure.text == escape.strip_controls(HOSTILE_MESSAGE)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", json.dumps(ci.classroom_payload(result),
                                                                     ensure_ascii=False))


# ---- the terminal ---------------------------------------------------------------------------------

SGR = re.compile(r"\x1b\[[0-9;]*m")  # Rich's own colours, on a terminal


def control_characters(text: str) -> list[str]:
    return sorted({repr(c) for c in text if c != "\n" and unicodedata.category(c) == "Cc"})


@pytest.mark.parametrize("colour", [False, True], ids=["plain", "terminal"])
def test_the_gradebook_table_prints_names_literally_and_moves_no_cursor(capsys, monkeypatch,
                                                                      colour: bool) -> None:
    if colour:
        monkeypatch.setenv("FORCE_COLOR", "1")
    results = [make_result(name) for name in (MARKUP_NAME, ESCAPES_NAME, "alice")]
    terminal.print_gradebook("Autodiff", ["Linear", "Dropout"], results)
    out = capsys.readouterr().out
    assert "\x1b]8;" not in out  # no hyperlink
    assert control_characters(SGR.sub("", out)) == [], out
    plain = SGR.sub("", out)
    assert "[link=https://evil.example]eve[/link] :skull:" in plain and "💀" not in plain
    assert "mallory[1A[2K31mevil" in plain


def test_the_self_check_prints_messages_literally_and_moves_no_cursor(capsys, monkeypatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    terminal.print_check(hostile_result("self-check"), frozenset())
    out = capsys.readouterr().out
    assert "\x1b]8;" not in out and control_characters(SGR.sub("", out)) == [], out
    assert "[click](https://evil.example)" in SGR.sub("", out)


# ---- CSV: the gradebook and the LMS imports -------------------------------------------------------

def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def class_results() -> list[SubmissionResult]:
    results = [make_result(name) for name in FORMULA_NAMES + PLAIN_NAMES]
    return [*results, hostile_result("=cmd|' /C calc'!A0")]


def test_no_gradebook_cell_is_a_formula_and_names_stay_readable() -> None:
    table = rows(files.gradebook_csv(["Linear", "Dropout"], class_results()))
    assert [cell for row in table for cell in row if escape.starts_formula(cell)] == []
    students = [row[0] for row in table[1:]]
    assert sorted(students) == sorted([*("'" + n for n in FORMULA_NAMES), *PLAIN_NAMES,
                                       "'=cmd|' /C calc'!A0"])
    notes = {row[0]: row[-1] for row in table[1:]}
    assert notes["alice"] == "modules/x.py: a symbolic link, ignored"


@pytest.mark.parametrize("export", [lms.canvas_csv, lms.moodle_csv], ids=["canvas", "moodle"])
def test_lms_files_leave_formula_names_out_and_every_other_identity_unaltered(export) -> None:
    table = rows(export("Autodiff", class_results()))
    assert sorted(row[0] for row in table[1:]) == sorted(PLAIN_NAMES)
    assert [cell for row in table for cell in row if escape.starts_formula(cell)] == []
    if export is lms.canvas_csv:
        assert all(row[3] == row[0] for row in table[1:])  # SIS Login ID, unaltered too


def test_the_instructor_page_lists_the_students_to_enter_by_hand() -> None:
    spec = config.load("autodiff")
    results = class_results()
    page = instructor.index_html(spec, results, {r.student: "x/feedback.html" for r in results})
    listed = re.search(r'<table id="manual-entry">(.*?)</table>', page, re.S)
    assert listed, "no table of students to enter by hand"
    shown = re.findall(r"<tr><td>(.*?)</td>", listed.group(1), re.S)
    assert sorted(html.unescape(s) for s in shown) == sorted([*FORMULA_NAMES, "=cmd|' /C calc'!A0"])
    plain = [make_result(n) for n in PLAIN_NAMES]
    assert 'id="manual-entry"' not in instructor.index_html(spec, plain, {n: "x" for n in PLAIN_NAMES})


# ---- HTML, in a real browser ---------------------------------------------------------------------

SCRIPT_NAME = f"<script>{MARK}</script>"
IMAGE_NAME = f'<img src=x onerror="{MARK}">'


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason=f"{BROWSER_SKIP}: no chromium on PATH")
def test_html_pages_show_hostile_names_and_messages_as_text_in_chromium(tmp_path: Path) -> None:
    spec = config.load("autodiff")
    results = [hostile_result(SCRIPT_NAME), hostile_result(IMAGE_NAME), make_result("alice")]
    pages = {"index.html": instructor.index_html(spec, results, {r.student: "f.html" for r in results}),
             "f.html": feedback.feedback_html(results[0], spec.title)}
    for name, text in pages.items():
        (tmp_path / name).write_text(text)
    for name, text in pages.items():
        dom = chromium(tmp_path / name, tmp_path / "profile", "--virtual-time-budget=3000",
                       "--dump-dom").stdout
        assert "<body" in dom and "pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
        assert dom.count("<script") == text.count("<script")  # only the page's own
        assert "<img src" not in dom  # the charts are <img id=...>; an injected one would be this
    found = probe(tmp_path / "index.html", tmp_path)
    assert sorted(found["rows"]) == sorted(r.student for r in results)


# ---- end to end: a graded batch whose names and zip members are hostile ---------------------------

BATCH_NAMES = ["=2+5+cmd|' -C calc'!A0", "[link=https:evil.example]eve", "mallory\x1b[1A\x1b[2K", "alice"]


def zipped(folder: Path, target: Path) -> None:
    """`folder` as a zip, plus a symbolic link member whose name starts like a formula (intake
    ignores it and says so in a note that starts with the name)."""
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
        link = zipfile.ZipInfo("=HYPERLINK(1).py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "modules/layers.py")


@pytest.mark.slow
@pytest.mark.sandbox
def test_a_graded_batch_with_hostile_names_writes_outputs_that_stay_well_formed(tmp_path, capsys,
                                                                               monkeypatch) -> None:
    spec = config.load("autodiff")
    reference = next(s for s in load_samples(spec) if s.name == "reference")
    for name in BATCH_NAMES[1:]:
        write_sample(spec, reference, tmp_path / "in" / name)
    write_sample(spec, reference, tmp_path / "zipped")
    zipped(tmp_path / "zipped", tmp_path / "in" / f"{BATCH_NAMES[0]}.zip")
    results = grade_folder(tmp_path / "in", "autodiff", tmp_path / "out", jobs=2, show_progress=False)
    assert sorted(r.student for r in results) == sorted(BATCH_NAMES)
    assert all(r.raw == spec.max_points for r in results), [(r.student, r.raw) for r in results]

    gradebook = rows((tmp_path / "out" / "gradebook.csv").read_text())
    assert len(gradebook) == 1 + len(BATCH_NAMES)
    assert [cell for row in gradebook for cell in row if escape.starts_formula(cell)] == []
    notes = {row[0]: row[-1] for row in gradebook[1:]}
    assert notes["'" + BATCH_NAMES[0]].startswith("'=HYPERLINK(1).py: a symbolic link")
    for export in ("canvas.csv", "moodle.csv"):
        table = rows((tmp_path / "out" / export).read_text())
        assert sorted(row[0] for row in table[1:]) == sorted(BATCH_NAMES[1:])
    page = (tmp_path / "out" / "index.html").read_text()
    listed = re.search(r'<table id="manual-entry">(.*?)</table>', page, re.S)
    assert listed and BATCH_NAMES[0] in html.unescape(listed.group(1))
    described = sum(bool(task.description) for task in spec.tasks)  # each in _emphasis_, ours
    for markdown in (tmp_path / "out").glob("*/feedback.md"):
        found = [t.type for t in tokens(markdown.read_text()) if t.type in INJECTED]
        assert found == ["em_open"] * described, found
        assert len(headings(markdown.read_text())) == 1 + len(spec.tasks)

    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "300")  # a name on one line, however many tasks
    terminal.print_gradebook(spec.title, [t.name for t in spec.tasks], results)
    out = capsys.readouterr().out
    assert control_characters(out) == [] and BATCH_NAMES[1] in out and "mallory[1A[2K" in out


def test_a_lone_surrogate_in_a_students_message_is_written_as_its_escape(tmp_path):
    """`raise ValueError("\ud800")` reaches the grader as a lone surrogate, which UTF-8 cannot
    encode: every file the kit writes spells it out instead of losing the file."""
    target = tmp_path / "feedback.md"
    write_atomic(target, "bad \ud800 message")
    assert target.read_text() == "bad \\ud800 message"
