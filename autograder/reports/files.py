"""Per-submission and per-class output files, written atomically so a killed batch loses nothing."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from autograder.atomic import write_atomic
from autograder.config import AssignmentSpec
from autograder.intake.scan import KINDS
from autograder.reports import lms
from autograder.reports.feedback import feedback_html, feedback_markdown
from autograder.reports.gradescope import gradescope_json
from autograder.reports.instructor import index_html
from autograder.results import SubmissionResult

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(student: str) -> str:
    """A folder name for a student id that cannot escape the output folder."""
    return SAFE_NAME.sub("_", student).strip("._") or "unnamed"


def integrity_cell(result: SubmissionResult) -> str:
    """The static scan's findings, by task ("submission" for code outside every task)."""
    return " | ".join(f"{f.task or 'submission'}: {f.kind} at {f.where}:{f.line}"
                      for f in result.findings if f.kind in KINDS)


def slow_cell(result: SubmissionResult) -> str:
    """The speed flags, by the threshold passed (the measured ratio varies from run to run)."""
    return " | ".join(f"{c.task}: over {c.threshold:g}x, -{c.deducted:g}" for c in result.slow)


def findings_cell(result: SubmissionResult) -> str:
    """The failed robustness probes (beyond what the course requires, costing nothing), by task."""
    return " | ".join(f"{task.name}: {', '.join(t.name for t in task.findings)}"
                      for task in result.tasks if task.findings)


def gradebook_csv(spec_tasks: list[str], results: list[SubmissionResult]) -> str:
    """One row per student, one column per task, then raw, late multiplier, final and flags."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["student", *spec_tasks, "raw", "multiplier", "final", "isolation",
                     "grader_errors", "integrity", "slow", "beyond_course", "notes"])
    for result in sorted(results, key=lambda r: r.student):
        points = {t.name: t.points for t in result.tasks}
        writer.writerow([result.student, *(f"{points.get(name, 0.0):g}" for name in spec_tasks),
                         f"{result.raw:g}", f"{result.multiplier:.4f}", f"{result.final:g}",
                         result.isolation, result.grader_errors, integrity_cell(result),
                         slow_cell(result), findings_cell(result),
                         " | ".join(result.intake_messages)])
    return stream.getvalue()


def write_feedback(folder: Path, spec: AssignmentSpec, result: SubmissionResult) -> None:
    """The student's results.json (Gradescope), feedback.md and feedback.html."""
    descriptions = {t.name: t.description for t in spec.tasks}
    write_atomic(folder / "results.json", gradescope_json(result))
    write_atomic(folder / "feedback.md", feedback_markdown(result, descriptions))
    write_atomic(folder / "feedback.html", feedback_html(result, spec.title, descriptions))


def write_submission(out_dir: Path, spec: AssignmentSpec, result: SubmissionResult,
                     internal: list[str]) -> None:
    """Write one student's feedback files, timings and, if any, the grader's errors."""
    folder = out_dir / safe_name(result.student)
    write_feedback(folder, spec, result)
    write_atomic(folder / "timing.json", json.dumps(result.timings, indent=2) + "\n")
    log = folder / "grader-errors.log"
    if internal:
        write_atomic(log, "\n\n".join(internal) + "\n")
    else:
        log.unlink(missing_ok=True)  # left by an earlier run of a since-fixed grader


def write_class(out_dir: Path, spec: AssignmentSpec, results: list[SubmissionResult]) -> None:
    """The class's files: the gradebook, the instructor's page and the LMS imports."""
    write_atomic(out_dir / "gradebook.csv", gradebook_csv([t.name for t in spec.tasks], results))
    write_atomic(out_dir / "canvas.csv", lms.canvas_csv(spec.title, results))
    write_atomic(out_dir / "moodle.csv", lms.moodle_csv(spec.title, results))
    links = {r.student: f"{safe_name(r.student)}/feedback.html" for r in results}
    write_atomic(out_dir / "index.html", index_html(spec, results, links))
