"""One student, one identity, one row, one folder: whatever the names in a submissions folder
(Cyrillic, CJK, emoji, case, Unicode spellings, spaces, dots, leading dashes, 255 bytes, entries
that share a name) and whatever the state of its manifest.csv.

The end-to-end batch grades cheap "lecture" notebooks: the reference (full marks), the reference
without its PReLU cell, and an empty notebook (zero), so that a student holding another's result
shows as a wrong score.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import unicodedata
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from reports_helpers import make_result

from autograder import cli, config
from autograder.batch import BatchReport, grade_batch
from autograder.grading import resume, roster
from autograder.reports import files, instructor
from autograder.reports.escape import starts_formula
from autograder.results import EntryConflict, ManifestProblem
from autograder.scoring import policy

ASSIGNMENT = "lecture"
SPEC = config.load(ASSIGNMENT)
FULL = sum(task.points for task in SPEC.tasks)
PRELU = next(task.points for task in SPEC.tasks if task.name == "PReLU")
NFC_JOSE = unicodedata.normalize("NFC", "Jos\u00e9")
NFD_JOSE = unicodedata.normalize("NFD", NFC_JOSE)
LONG_ASCII = "a" * 249  # with ".ipynb", a 255-byte file name
LONG_ASCII_TWIN = "a" * 248 + "b"
LONG_CYRILLIC = "\u044f" * 124 + "x"  # 249 bytes in UTF-8
IVANOV, IVANOV_LOWER, PETROV, NEW = "Иванов Иван", "иванов иван", "Петров", "Новый"
WANG, FOX = "王伟", "\U0001f98a"
TRICKY_NAMES = ["reference", "Alice", "alice", IVANOV, IVANOV_LOWER, PETROV, WANG, FOX, FOX * 2,
                "ann lee", "ann_lee", "ann.lee", "a.b.c", "-rf",
                "--help", "rf", ".", "..", "...", "", " ", "index.html", "gradebook.csv",
                "alice-0123456789ab", LONG_ASCII, LONG_ASCII_TWIN, LONG_CYRILLIC, NFC_JOSE, NFD_JOSE,
                "a/../../etc", "con", "caf\\xe9"]


def notebook(variant: str) -> bytes:
    """A lecture notebook earning full marks, all but PReLU's, or nothing."""
    if variant == "empty":
        return nbformat.writes(nbformat.v4.new_notebook()).encode()
    book = nbformat.read(SPEC.solution_dir / SPEC.notebook, as_version=4)
    if variant == "no-prelu":
        book.cells = [c for c in book.cells if not (c.cell_type == "code" and "class PReLU" in c.source)]
    return nbformat.writes(book).encode()


SCORES = {"full": FULL, "no-prelu": FULL - PRELU, "empty": 0.0}


def set_time(path: Path, seconds: int) -> None:
    os.utime(path, ns=(seconds * 10**9, seconds * 10**9))


# ---- folder names: from the identity alone, unique, inside the output folder ---------------------

def test_every_tricky_identity_gets_its_own_folder_even_on_a_case_insensitive_file_system():
    identities = {unicodedata.normalize("NFC", name) for name in TRICKY_NAMES}
    folders = [files.safe_name(name) for name in identities]
    assert len({folder.casefold() for folder in folders}) == len(identities)


@pytest.mark.parametrize("name", TRICKY_NAMES, ids=ascii)
def test_a_folder_name_stays_inside_the_output_folder_and_fits_a_file_name(name, tmp_path):
    folder = files.safe_name(name)
    assert folder not in ("", ".", "..") and "/" not in folder and "\\" not in folder
    assert not folder.startswith((".", "-")) and len(folder.encode()) <= 255
    assert folder not in files.CLASS_FILES
    assert (tmp_path / folder).resolve().parent == tmp_path.resolve()


def test_a_plain_login_is_its_own_folder_and_any_other_name_a_slug_with_a_hash():
    assert [files.safe_name(n) for n in ("reference", "ann_lee", "ivan.petrov")] == [
        "reference", "ann_lee", "ivan.petrov"]
    cyrillic = files.safe_name(IVANOV)
    assert cyrillic.startswith("ivanov_ivan-") and len(cyrillic) == len("ivanov_ivan-") + files.HASH_LENGTH
    assert files.safe_name("Alice") != files.safe_name("alice") == "alice"
    # a name shaped like a hashed folder cannot take another student's hashed folder
    assert files.safe_name(files.safe_name("Alice")) != files.safe_name("Alice")


def test_write_class_writes_exactly_the_files_no_student_folder_may_be_named(tmp_path):
    files.write_class(tmp_path, config.load("autodiff"), [make_result("alice")])
    assert {p.name for p in tmp_path.iterdir()} == files.CLASS_FILES


# ---- identities and conflicts ------------------------------------------------------------------

def test_an_identity_is_the_entry_name_without_its_suffix_case_kept_and_nfc(tmp_path):
    (tmp_path / "Alice.ipynb").write_bytes(b"")
    (tmp_path / "ivan.petrov").mkdir()
    (tmp_path / f"{NFD_JOSE}.zip").write_bytes(b"")
    assert [roster.identity(tmp_path / n) for n in ("Alice.ipynb", "ivan.petrov", f"{NFD_JOSE}.zip")] \
        == ["Alice", "ivan.petrov", NFC_JOSE]


def test_a_name_that_is_not_utf8_is_an_identity_of_its_own_with_its_bytes_visible(tmp_path):
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.ipynb"), "wb"):
        pass
    (tmp_path / "caf\u00e9.ipynb").write_bytes(b"")
    submissions, conflicts = roster.discover(tmp_path)
    assert sorted(submissions) == ["caf\\xe9", "caf\u00e9"] and not conflicts


def test_entries_sharing_an_identity_are_a_conflict_and_the_newest_is_graded(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice.zip").write_bytes(b"")
    (tmp_path / "alice.ipynb").write_bytes(b"")
    (tmp_path / f"{NFC_JOSE}.ipynb").write_bytes(b"")
    (tmp_path / f"{NFD_JOSE}.ipynb").write_bytes(b"")
    (tmp_path / "Alice.zip").write_bytes(b"")
    for seconds, name in enumerate(["alice.ipynb", "alice", "alice.zip", f"{NFD_JOSE}.ipynb",
                                    f"{NFC_JOSE}.ipynb", "Alice.zip"]):
        set_time(tmp_path / name, 1_700_000_000 + seconds)
    submissions, conflicts = roster.discover(tmp_path)
    assert submissions == {"Alice": tmp_path / "Alice.zip", "alice": tmp_path / "alice.zip",
                           NFC_JOSE: tmp_path / f"{NFC_JOSE}.ipynb"}
    assert conflicts == (
        EntryConflict(NFC_JOSE, f"{NFC_JOSE}.ipynb",
                      (f"{NFD_JOSE}.ipynb (a decomposed Unicode spelling)",)),
        EntryConflict("alice", "alice.zip", ("alice/", "alice.ipynb")))


def test_a_tie_between_entries_of_one_identity_is_broken_the_same_way_every_time(tmp_path):
    chosen = set()
    for order in (["alice.zip", "alice.ipynb"], ["alice.ipynb", "alice.zip"]):
        folder = tmp_path / "-".join(order)
        folder.mkdir()
        for name in order:
            (folder / name).write_bytes(b"")
            set_time(folder / name, 1_700_000_000)
        chosen.add(roster.discover(folder)[0]["alice"].name)
    assert chosen == {"alice.zip"}


def test_a_missing_submissions_folder_is_a_clear_error_not_a_traceback(tmp_path):
    with pytest.raises(config.ConfigError, match="is not a folder of submissions"):
        roster.read(tmp_path / "nowhere")


def test_the_stored_result_key_names_the_student(tmp_path):
    (tmp_path / "same.ipynb").write_bytes(b"{}")
    when = datetime(2026, 10, 1, tzinfo=UTC)
    keys = {resume.submission_key(tmp_path / "same.ipynb", ASSIGNMENT, when, frozenset(), student=s)
            for s in ("alice", "Alice", "bob")}
    assert len(keys) == 3


# ---- manifest.csv: every problem reported at its line, everyone graded --------------------------

STUDENTS = ("alice", "bob", "carol", "dave", "Erin")


def manifest(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "manifest.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_a_good_manifest_gives_every_time_it_holds(tmp_path):
    path = manifest(tmp_path, "\ufeffStudent , Submitted_At\nalice,2026-10-01T12:00:00+03:00\n\n"
                              "bob,2026-10-02T09:00:00Z\n")
    times, problems = roster.read_manifest(path, STUDENTS)
    assert times == {"alice": datetime(2026, 10, 1, 9, tzinfo=UTC),
                     "bob": datetime(2026, 10, 2, 9, tzinfo=UTC)}
    assert problems == ()


def test_each_bad_manifest_row_is_reported_at_its_line_and_leaves_only_its_student_untimed(tmp_path):
    path = manifest(tmp_path, "student,submitted_at\n"
                              "alice,yesterday\n"               # 2: not a time
                              "bob,2026-10-01T12:00:00\n"       # 3: no time zone
                              "mallory,2026-10-01T12:00:00Z\n"  # 4: no such submission
                              "erin,2026-10-01T12:00:00Z\n"     # 5: no such submission, but Erin
                              "carol,2026-10-01T12:00:00Z\n"
                              "carol,2026-10-01T15:00:00+03:00\n"  # 7: the same time again
                              "dave,2026-10-01T12:00:00Z\n"
                              "dave,2026-10-03T12:00:00Z\n"     # 9: another time
                              ",2026-10-01T12:00:00Z\n"         # 10: no student
                              "Erin\n")                         # 11: no time at all
    times, problems = roster.read_manifest(path, STUDENTS)
    assert times == {"carol": datetime(2026, 10, 1, 12, tzinfo=UTC)}
    assert [(p.line, p.student, p.lateness_unknown) for p in problems] == [
        (2, "alice", True), (3, "bob", True), (4, "mallory", False), (5, "erin", False),
        (7, "carol", False), (9, "dave", True), (10, "", False), (11, "Erin", True)]
    messages = {p.line: p.message for p in problems}
    assert "'yesterday' is not a time" in messages[2] and "with a time zone" in messages[2]
    assert "has no time zone" in messages[3]
    assert "no submission is named mallory" in messages[4]
    assert "did you mean Erin?" in messages[5]
    assert "repeats dave of line 8 with another time" in messages[9]


@pytest.mark.parametrize("text, line, says", [
    ("name,time\nalice,2026-10-01T12:00:00Z\n", 1, "no student and no submitted_at column"),
    ("", 1, "no student and no submitted_at column"),
    (b"student,submitted_at\nalice,2026-10-01T12:00:00Z\nb\xf6b,2026-10-01T12:00:00Z\n", 3, "not UTF-8"),
    ("student,submitted_at\nalice," + "x" * 200_000 + "\n", 2, "not valid CSV"),
], ids=["missing-columns", "empty-file", "not-utf8", "not-csv"])
def test_a_manifest_that_cannot_be_read_leaves_everyone_untimed_and_says_where(tmp_path, text, line,
                                                                                 says):
    times, problems = roster.read_manifest(manifest(tmp_path, text), STUDENTS)
    assert times == {}
    assert [(p.line, p.student, p.lateness_unknown) for p in problems] == [(line, "", True)]
    assert says in problems[0].message


def test_a_student_whose_manifest_row_is_bad_gets_no_time_a_note_and_so_no_late_penalty(tmp_path):
    for name in ("alice.ipynb", "bob.ipynb", "carol.ipynb"):
        (tmp_path / name).write_bytes(b"{}")
        set_time(tmp_path / name, 2_000_000_000)  # 2033: after every deadline
    manifest(tmp_path, "student,submitted_at\nalice,2026-13-01T00:00:00Z\nbob,2026-10-01T12:00:00Z\n")
    handins = roster.read(tmp_path).handins
    alice, bob, carol = handins["alice"], handins["bob"], handins["carol"]
    assert (alice.submitted_at, alice.lateness_unknown) == (None, True)
    assert alice.notes == (roster.lateness_note(ManifestProblem(
        2, "'2026-13-01T00:00:00Z' is not a time: write " + roster.TIME_FORMAT
        + "; alice's lateness is unknown", "alice", True)),)
    assert "manifest.csv line 2" in alice.notes[0] and "no late penalty" in alice.notes[0]
    assert (bob.submitted_at, bob.lateness_unknown, bob.notes) == (
        datetime(2026, 10, 1, 12, tzinfo=UTC), False, ())
    assert carol.submitted_at == datetime.fromtimestamp(2_000_000_000, UTC)
    deadlines = config.Deadlines(datetime(2026, 10, 4, tzinfo=UTC), datetime(2026, 10, 11, tzinfo=UTC))
    assert policy.late_multiplier(deadlines, alice.submitted_at, 0.85) == 1
    assert policy.late_multiplier(deadlines, carol.submitted_at, 0.85) == 0


def test_the_instructor_page_lists_conflicts_bad_manifest_rows_and_unknown_lateness_escaped():
    spec = config.load("autodiff")
    results = [make_result("<b>eve</b>"), make_result("bob")]
    results[1] = roster.Handin("bob", Path("bob"), lateness_unknown=True).annotate(results[1])
    page = instructor.index_html(
        spec, results, {r.student: "x/feedback.html" for r in results},
        conflicts=(EntryConflict("<b>eve</b>", "<b>eve</b>.zip", ("<b>eve</b>/",)),),
        manifest_problems=(ManifestProblem(7, "'<i>soon</i>' is not a time", "bob", True),))
    assert 'id="conflicts"' in page and 'id="manifest-problems"' in page
    assert "&lt;b&gt;eve&lt;/b&gt;.zip" in page and "<b>eve</b>" not in page
    assert '<td class="num">7</td><td>bob</td><td>&#39;&lt;i&gt;soon&lt;/i&gt;&#39; is not a time</td>' \
        in page
    assert "Lateness unknown, graded with no late penalty: bob." in page
    assert 'id="names"' in instructor.index_html(spec, [make_result("bob")], {"bob": "b/feedback.html"})


# ---- end to end: a class of tricky names graded, then graded again ------------------------------

# identity -> (entries: name -> notebook variant, oldest first), what the identity is graded as
def notebook_named(name: str, variant: str) -> tuple[dict[str | bytes, str], str]:
    return {f"{name}.ipynb": variant}, variant


CLASS: dict[str, tuple[dict[str | bytes, str], str]] = {
    **{name: notebook_named(name, variant) for name, variant in [
        (IVANOV, "full"), (IVANOV_LOWER, "empty"), (PETROV, "no-prelu"), (WANG, "full"),
        (FOX, "no-prelu"), ("Alice", "empty"), ("ann lee", "full"), ("ann_lee", "empty"),
        ("a.b.c", "no-prelu"), ("-rf", "empty"), ("--help", "full"), (LONG_ASCII, "full"),
        (LONG_ASCII_TWIN, "empty"), (LONG_CYRILLIC, "no-prelu"),
        ("twin-one", "full"), ("twin-two", "full"),  # byte-identical, handed in at one time
    ]},
    "alice": ({"alice": "no-prelu", "alice.zip": "full"}, "full"),
    NFC_JOSE: ({f"{NFC_JOSE}.ipynb": "empty", f"{NFD_JOSE}.ipynb": "no-prelu"}, "no-prelu"),
    "caf\\xe9": ({b"caf\xe9.ipynb": "empty"}, "empty"),  # not UTF-8: \xNN kept as text
}
MANIFEST = ("student,submitted_at\n"
            f"{FOX},tomorrow\n"                  # line 2: lateness unknown
            "sidorov,2026-10-01T12:00:00Z\n"     # line 3: no such student
            f"{WANG},2026-10-01T12:00:00Z\n"
            f"{WANG},2026-10-01T12:00:00Z\n")    # line 5: repeated, same time


def write_entry(folder: Path, name: str | bytes, variant: str, seconds: int) -> None:
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), os.fsencode(name))))
    if name == "alice":
        path.mkdir()
        (path / "work.ipynb").write_bytes(notebook(variant))
    elif path.suffix == ".zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hw/notebook.ipynb", notebook(variant))
    else:
        path.write_bytes(notebook(variant))
    set_time(path, seconds)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[BatchReport, Path, Path]:
    folder = tmp_path_factory.mktemp("identity") / "submissions"
    folder.mkdir()
    for entries, _ in CLASS.values():
        for age, (name, variant) in enumerate(entries.items()):
            write_entry(folder, name, variant, 1_700_000_000 + age)
    (folder / "manifest.csv").write_text(MANIFEST)
    out = folder.parent / "grades"
    report = grade_batch(folder, ASSIGNMENT, out, jobs=2, use_file_times=False, show_progress=False)
    return report, folder, out


@pytest.mark.slow
def test_every_identity_gets_exactly_one_result_holding_its_own_score(graded):
    report, _, _ = graded
    assert [r.student for r in report.results] == sorted(CLASS)
    wrong = {r.student: (r.raw, SCORES[CLASS[r.student][1]]) for r in report.results
             if r.raw != pytest.approx(SCORES[CLASS[r.student][1]]) or r.grader_errors
             or any("grader failed" in note for note in r.intake_messages)}
    assert not wrong, wrong


@pytest.mark.slow
def test_every_identity_has_its_own_folder_and_feedback_naming_it_with_its_score(graded):
    report, _, out = graded
    folders = {files.safe_name(r.student): r for r in report.results}
    assert len(folders) == len(CLASS)
    assert {p.name for p in out.iterdir() if p.is_dir()} == set(folders)
    for folder, result in folders.items():
        stored = json.loads((out / folder / resume.RESULT_FILE).read_text())["result"]
        assert (stored["student"], stored["raw"]) == (result.student, result.raw)
        feedback = (out / folder / "feedback.md").read_text()
        assert f"{result.raw:g} / {FULL:g}" in feedback, folder
        assert json.loads((out / folder / "results.json").read_text())["score"] == result.final


@pytest.mark.slow
def test_the_gradebook_and_the_lms_files_have_one_row_per_identity(graded):
    _, _, out = graded
    gradebook = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert len(gradebook) == len(CLASS)
    plain = sorted(s for s in CLASS if not starts_formula(s))
    assert sorted(row["student"] for row in gradebook if row["student"] in CLASS) == plain
    canvas = list(csv.DictReader(io.StringIO((out / "canvas.csv").read_text())))
    moodle = list(csv.DictReader(io.StringIO((out / "moodle.csv").read_text())))
    for rows, column in ((canvas, "Student"), (canvas, "SIS Login ID"), (moodle, "Username")):
        assert sorted(row[column] for row in rows) == plain  # exactly the identity, never altered


@pytest.mark.slow
def test_conflicts_are_graded_once_reported_and_told_to_the_student(graded):
    report, _, out = graded
    assert [(c.student, c.graded) for c in report.conflicts] == [
        (NFC_JOSE, f"{NFD_JOSE}.ipynb (a decomposed Unicode spelling)"), ("alice", "alice.zip")]
    page = (out / "index.html").read_text()
    assert page.count('id="conflicts"') == 1 and "alice.zip" in page and "alice/" in page
    alice = next(r for r in report.results if r.student == "alice")
    assert any("alice.zip was graded" in note for note in alice.intake_messages)


@pytest.mark.slow
def test_a_malformed_manifest_row_is_reported_and_everyone_still_graded(graded):
    report, _, out = graded
    assert [(p.line, p.lateness_unknown) for p in report.manifest_problems] == [
        (2, True), (3, False), (5, False)]
    fox = next(r for r in report.results if r.student == FOX)
    assert fox.lateness_unknown and fox.raw == pytest.approx(FULL - PRELU)
    assert any("manifest.csv line 2" in note for note in fox.intake_messages)
    assert [r.student for r in report.results if r.lateness_unknown] == [FOX]
    page = (out / "index.html").read_text()
    assert 'id="manifest-problems"' in page and "no submission is named sidorov" in page


@pytest.mark.slow
def test_a_second_run_reuses_every_stored_result_even_with_a_student_added(graded, tmp_path):
    report, folder, out = graded
    folder_copy, out_copy = tmp_path / "submissions", tmp_path / "grades"
    shutil.copytree(folder, folder_copy, symlinks=True)
    shutil.copytree(out, out_copy)
    write_entry(folder_copy, f"{NEW}.ipynb", "empty", 1_700_000_000)
    before = {p.parent.name: p.read_bytes() for p in out_copy.glob(f"*/{resume.RESULT_FILE}")}
    again = grade_batch(folder_copy, ASSIGNMENT, out_copy, jobs=2, use_file_times=False,
                        show_progress=False)
    after = {p.parent.name: p.read_bytes() for p in out_copy.glob(f"*/{resume.RESULT_FILE}")}
    assert {name: after[name] for name in before} == before, "graded again, though unchanged"
    assert set(after) - set(before) == {files.safe_name(NEW)}
    assert [r.student for r in again.results] == sorted([*CLASS, NEW])
    assert len(list(csv.DictReader(io.StringIO((out_copy / "gradebook.csv").read_text())))) \
        == len(CLASS) + 1


@pytest.mark.slow
def test_autograder_grade_prints_every_conflict_and_bad_manifest_row(graded, tmp_path, capsys):
    """The command an instructor runs says what the page lists (from stored results: no re-grade)."""
    report, folder, out = graded
    shutil.copytree(out, tmp_path / "grades")
    assert cli.main(["grade", str(folder), "--assignment", ASSIGNMENT, "--out",
                     str(tmp_path / "grades"), "--quiet"]) == 0
    printed = capsys.readouterr().out
    notes = [line for line in printed.splitlines() if line.startswith("note: ")]
    assert notes and len(notes) == len(report.conflicts) + len(report.manifest_problems)
    assert any("manifest.csv line 2" in note for note in notes)
    assert any("alice.zip was graded (the newest)" in note for note in notes)
