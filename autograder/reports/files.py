"""Per-submission and per-class output files, written atomically so a killed batch loses nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from pathlib import Path

from autograder.results import SubmissionResult

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(student: str) -> str:
    """A folder name for a student id that cannot escape the output folder."""
    return SAFE_NAME.sub("_", student).strip("._") or "unnamed"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)
    os.replace(temporary, path)


def gradescope_json(result: SubmissionResult) -> str:
    """Gradescope's results.json: one entry per task; hidden tests visible after publishing."""
    tests = []
    for task in result.tasks:
        failed = [t for t in task.tests if not t.passed]
        lines = [f"{t.name}: {t.message}" for t in failed if t.visibility == "public"]
        hidden = sum(t.visibility == "private" for t in failed)
        if hidden:
            lines.append(f"{hidden} hidden test(s) failed; see your feedback for details")
        tests.append({
            "name": task.name, "score": task.points, "max_score": task.max_points,
            "status": "passed" if task.points == task.max_points else "failed",
            "output": "\n".join(lines) or f"all {len(task.tests)} tests passed",
            "visibility": "visible",
        })
    payload = {
        "score": result.final,
        "output": (f"raw {result.raw:g} / {result.max_points:g}; late multiplier "
                   f"{result.multiplier:.4f}; isolation: {result.isolation or 'none'}"),
        "tests": tests,
    }
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"


def feedback_markdown(result: SubmissionResult) -> str:
    """The student's feedback: per task, points, what passed, what failed and why, with hints."""
    lines = [f"# Feedback: {result.assignment}, {result.student}", "",
             f"**Score: {result.final:g} / {result.max_points:g}**"
             + (f" (raw {result.raw:g}, {result.late_minutes:g} minutes late, "
                f"x{result.multiplier:.4f})" if result.multiplier != 1 else ""), ""]
    lines += [f"- Note: {message}" for message in result.intake_messages]
    for task in result.tasks:
        lines += ["", f"## {task.name}: {task.points:g} / {task.max_points:g}", ""]
        if not task.tests:
            lines.append("No test of this task could run (see the notes above).")
        for test in task.tests:
            mark = "passed" if test.passed else test.outcome
            lines.append(f"- `{test.name}` ({test.visibility}): {mark}")
            if test.message:
                lines += ["", "  ```", *(f"  {line}" for line in test.message.splitlines()),
                          "  ```"]
    return "\n".join(lines) + "\n"


def gradebook_csv(spec_tasks: list[str], results: list[SubmissionResult]) -> str:
    """One row per student, one column per task, then raw, late multiplier, final and flags."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["student", *spec_tasks, "raw", "multiplier", "final", "isolation",
                     "grader_errors", "notes"])
    for result in sorted(results, key=lambda r: r.student):
        points = {t.name: t.points for t in result.tasks}
        writer.writerow([result.student, *(f"{points.get(name, 0.0):g}" for name in spec_tasks),
                         f"{result.raw:g}", f"{result.multiplier:.4f}", f"{result.final:g}",
                         result.isolation, result.grader_errors,
                         " | ".join(result.intake_messages)])
    return stream.getvalue()


def write_submission(out_dir: Path, result: SubmissionResult, internal: list[str]) -> None:
    """Write one student's results.json, feedback.md, result.json (for resuming), errors."""
    folder = out_dir / safe_name(result.student)
    write_atomic(folder / "results.json", gradescope_json(result))
    write_atomic(folder / "feedback.md", feedback_markdown(result))
    write_atomic(folder / "timing.json", json.dumps(result.timings, indent=2) + "\n")
    if internal:
        write_atomic(folder / "grader-errors.log", "\n\n".join(internal) + "\n")
