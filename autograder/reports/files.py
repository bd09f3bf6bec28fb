"""Per-submission and per-class output files, written atomically so a killed batch loses nothing."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path

from anyascii import anyascii

from autograder.atomic import write_atomic
from autograder.config import AssignmentSpec, Deadlines
from autograder.reports import lms
from autograder.reports.escape import csv_cell, csv_text
from autograder.reports.feedback import feedback_html, feedback_markdown
from autograder.reports.gradescope import gradescope_json
from autograder.reports.instructor import SimilaritySection, index_html
from autograder.reports.language import SOURCE_LANGUAGE
from autograder.results import INTEGRITY_FLAGS, EntryConflict, ManifestProblem, SubmissionResult
from autograder.scoring.policy import lateness_label

# What write_class writes beside the students' folders, which no student's folder may be named.
CLASS_FILES = frozenset({"gradebook.csv", "canvas.csv", "moodle.csv", "index.html"})
# What the batch's similarity step writes beside them (autograder.similarity), nobody's folder too.
SIMILARITY_FILES = frozenset({"similarity.csv", "similarity.json"})
# ... and the folder of its side-by-side pages (reports.similarity_pages).
SIMILARITY_PAGES = "similarity"
NOT_IN_SLUG = re.compile(r"[^a-z0-9._-]+")
SLUG_LENGTH = 64
HASH_LENGTH = 12
HASHED = re.compile(rf"-[0-9a-f]{{{HASH_LENGTH}}}$")


def safe_name(student: str) -> str:
    """The folder of the student whose identity is `student` (grading.roster), from it alone, so
    that it never changes when other students are added and a resumed batch finds its results.

    It is a readable slug: the name transliterated to lower-case ASCII (anyascii: `Иванов` is
    `ivanov`), with runs of other characters as `_`, no leading or trailing dot, dash or
    underscore, at most 64 characters. Where the slug is not exactly the identity, a hash of the
    identity follows it (`ivanov-1f0c...`), so no two identities share a folder, even on a
    case-insensitive file system (`Alice` is hashed, `alice` is not) or when their slugs agree;
    a slug that ends like such a hash, or is the name of a class file, is hashed too. The name is
    never `.`, `..` or empty, holds no `/`, and is at most 77 bytes long."""
    slug = NOT_IN_SLUG.sub("_", anyascii(student).lower())[:SLUG_LENGTH].strip("._-") or "student"
    if (slug == student and slug not in CLASS_FILES | SIMILARITY_FILES | {SIMILARITY_PAGES}
            and not HASHED.search(slug)):
        return slug
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]
    return f"{slug}-{digest}"


def integrity_cell(result: SubmissionResult) -> str:
    """The static scan's findings, by task ("submission" for code outside every task)."""
    return " | ".join(f"{f.task or 'submission'}: {f.kind} at {f.where}:{f.line}"
                      for f in result.findings if f.kind in INTEGRITY_FLAGS)


def slow_cell(result: SubmissionResult) -> str:
    """The speed flags, by the threshold passed (the measured ratio varies from run to run)."""
    return " | ".join(f"{c.task}: over {c.threshold:g}x, -{c.deducted:g}" for c in result.slow)


def findings_cell(result: SubmissionResult) -> str:
    """The failed robustness probes (beyond what the course requires, costing nothing), by task."""
    return " | ".join(f"{task.name}: {', '.join(t.name for t in task.findings)}"
                      for task in result.tasks if task.findings)


def gradebook_csv(spec_tasks: list[str], results: list[SubmissionResult],
                  deadlines: Deadlines | None = None,
                  similar_to: Mapping[str, str] | None = None) -> str:
    """One row per student, one column per task, then raw, late multiplier, lateness in words
    under `deadlines` ("no deadlines set" when there are none; left empty if not given), final
    and flags; `similar_to` gives a student's flagged similarity partners and tasks
    (autograder.similarity: "bob (Linear, Dropout)"), a fact to look at that changes no score.

    The gradebook is read by people, not imported: every text cell, the student's name included,
    is neutralised so that a spreadsheet shows it and never evaluates it (escape.csv_cell)."""
    rows = [["student", *spec_tasks, "raw", "multiplier", "lateness", "final", "isolation",
             "grader_errors", "integrity", "slow", "beyond_course", "similar_to", "notes"]]
    for result in sorted(results, key=lambda r: r.student):
        points = {t.name: t.points for t in result.tasks}
        text = [result.isolation, str(result.grader_errors), integrity_cell(result),
                slow_cell(result), findings_cell(result),
                (similar_to or {}).get(result.student, ""), " | ".join(result.intake_messages)]
        rows.append([csv_cell(result.student), *(f"{points.get(name, 0.0):g}" for name in spec_tasks),
                     f"{result.raw:g}", f"{result.multiplier:.4f}",
                     lateness_label(result, deadlines) if deadlines else "", f"{result.final:g}",
                     *map(csv_cell, text)])
    return csv_text(rows)


def write_feedback(folder: Path, spec: AssignmentSpec, result: SubmissionResult,
                   lang: str = SOURCE_LANGUAGE) -> None:
    """The student's results.json (Gradescope), feedback.md and feedback.html, in `lang`."""
    descriptions = {t.name: t.description for t in spec.tasks}
    write_atomic(folder / "results.json", gradescope_json(result, lang))
    write_atomic(folder / "feedback.md", feedback_markdown(result, descriptions, lang))
    write_atomic(folder / "feedback.html", feedback_html(result, spec.title, descriptions, lang))


def write_submission(out_dir: Path, spec: AssignmentSpec, result: SubmissionResult,
                     internal: list[str], lang: str = SOURCE_LANGUAGE) -> None:
    """Write one student's feedback files (in `lang`), timings and, if any, the grader's errors."""
    folder = out_dir / safe_name(result.student)
    write_feedback(folder, spec, result, lang)
    write_atomic(folder / "timing.json", json.dumps(result.timings, indent=2) + "\n")
    log = folder / "grader-errors.log"
    if internal:
        write_atomic(log, "\n\n".join(internal) + "\n")
    else:
        log.unlink(missing_ok=True)  # left by an earlier run of a since-fixed grader


def write_class(out_dir: Path, spec: AssignmentSpec, results: list[SubmissionResult], *,
                conflicts: tuple[EntryConflict, ...] = (),
                manifest_problems: tuple[ManifestProblem, ...] = (),
                deadlines: Deadlines | None = None,
                similar_to: Mapping[str, str] | None = None,
                similarity: SimilaritySection | None = None, lang: str = SOURCE_LANGUAGE) -> None:
    """The class's files (CLASS_FILES): the gradebook (with `similar_to`), the instructor's page,
    which also lists the folder's conflicting entries and unusable manifest rows, the
    `deadlines` the results were reported under and the `similarity` report's top pairs, and the
    LMS imports (Moodle's feedback cell, which students read, in `lang`; the rest is the
    instructor's, in English)."""
    write_atomic(out_dir / "gradebook.csv",
                 gradebook_csv([t.name for t in spec.tasks], results, deadlines, similar_to))
    write_atomic(out_dir / "canvas.csv", lms.canvas_csv(spec.title, results))
    write_atomic(out_dir / "moodle.csv", lms.moodle_csv(spec.title, results, lang))
    links = {r.student: f"{safe_name(r.student)}/feedback.html" for r in results}
    write_atomic(out_dir / "index.html", index_html(spec, results, links, conflicts=conflicts,
                                                    manifest_problems=manifest_problems,
                                                    deadlines=deadlines, similarity=similarity))
