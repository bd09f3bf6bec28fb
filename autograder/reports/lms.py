"""Grades shaped for import into a learning-management system's gradebook.

Students are identified by their submission's name (the folder, zip or notebook handed in): name
submissions after the LMS login and these files import as they are.

- Canvas ("Import grades" in the Gradebook): the first five columns identify the student (`Student`,
  `ID`, `SIS User ID`, `SIS Login ID`, `Section`; one identifier is enough), then one column per
  assignment; a header that names no existing assignment creates one. We fill `Student` and
  `SIS Login ID`.
- Moodle ("Import grades from CSV", docs.moodle.org/en/Grade_import): any columns; at import, one is
  mapped to a user field (username, ID number or email) and the others to grade items and their
  feedback. Importing feedback without its grade column erases the grades, so both are written.

An identity column is never altered: the import matches it against the LMS's logins. So a student
whose identity a spreadsheet would evaluate as a formula (escape.starts_formula: `=cmd`, `-x`, `@x`)
is left out of both files, and the instructor's page lists them for entry by hand
(`manual_entry`). Free-text cells (the feedback) are neutralised (escape.csv_cell).
"""

from __future__ import annotations

from autograder.reports.escape import csv_cell, csv_text, starts_formula
from autograder.reports.language import SOURCE_LANGUAGE, language
from autograder.results import SubmissionResult

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def importable(results: list[SubmissionResult]) -> list[SubmissionResult]:
    """The results an LMS file can carry as they are, by student."""
    return sorted((r for r in results if not starts_formula(r.student)), key=lambda r: r.student)


def manual_entry(results: list[SubmissionResult]) -> list[SubmissionResult]:
    """The results left out of the LMS files, to be entered by hand, by student."""
    return sorted((r for r in results if starts_formula(r.student)), key=lambda r: r.student)


def canvas_csv(title: str, results: list[SubmissionResult]) -> str:
    rows = [[*CANVAS_IDENTITY, title]]
    rows += [[r.student, "", "", r.student, "", f"{r.final:g}"] for r in importable(results)]
    return csv_text(rows)


def short_feedback(result: SubmissionResult, lang: str = SOURCE_LANGUAGE) -> str:
    """One line for an LMS feedback cell, in `lang`: raw score, penalty, and the tasks that lost
    points."""
    _ = language(lang)
    parts = [_("raw {score}", score=_.points(result.raw, result.max_points))]
    if result.multiplier != 1:
        parts.append(_("late penalty x{multiplier}", multiplier=f"{result.multiplier:.4f}"))
    lost = [f"{t.name} ({_.points(t.points, t.max_points)})" for t in result.tasks
            if t.points < t.max_points]
    parts.append(_("lost points in: {tasks}", tasks=", ".join(lost)) if lost
                 else _("every task in full"))
    return "; ".join([*parts, _("details in your feedback file")])


def moodle_csv(title: str, results: list[SubmissionResult], lang: str = SOURCE_LANGUAGE) -> str:
    """Moodle's import: the headers as Moodle expects them, the feedback cell in `lang`."""
    rows = [["Username", title, f"{title} (feedback)"]]
    rows += [[r.student, f"{r.final:g}", csv_cell(short_feedback(r, lang))] for r in importable(results)]
    return csv_text(rows)
