"""A grading process made ready for an assignment before any student's submission reaches it:
it grades the assignment's reference, which must earn full marks there.

Why the reference: grading it warms whatever a fresh process (a Dask worker that just joined)
would otherwise make the first student's submission wait for: the grading code's imports, the
zygote (started on the reference's imports, those of most submissions, which start from the same
template), the stored reference results (`testing.stored_results`: keras's take ~5 s) and the
MNIST cache. And it proves the process grades as the client would: a node whose libraries, data
or sandbox cost the reference a point would cost students points, so it must not grade.

A process is made ready once per assignment, grader and isolation mode (`_ready`): a long-lived
worker pays it for its first batch of an assignment, not for every batch."""

from __future__ import annotations

import tempfile
from pathlib import Path

from autograder import config
from autograder.grading import packed, resume
from autograder.results import SubmissionResult

__all__ = ["REFERENCE", "make_ready", "shortfall"]

REFERENCE = "reference"  # the student name the reference is graded under
_ready: set[tuple[str, str, str]] = set()  # (grader, assignment, mode) this process is ready for


def make_ready(assignment: str, mode: str, allow_fallback: bool) -> str:
    """Grade `assignment`'s reference in this process (unless done before for this grader and
    isolation mode); why this process must not grade the assignment, empty if it may."""
    key = (resume.grader_hash(), assignment, mode)
    if key in _ready:
        return ""
    spec = config.load(assignment)
    if not spec.solution_dir.is_dir():
        return f"this node has no reference for {assignment} ({spec.solution_dir}) to check itself with"
    with tempfile.TemporaryDirectory(prefix="autograder-reference-") as folder:
        entry = Path(folder) / REFERENCE
        spec.copy_as_handed_in(spec.solution_dir, entry)
        job = packed.job_for(entry, REFERENCE, assignment, frozenset(), mode=mode,
                             allow_fallback=allow_fallback)
        result, internal = packed.read_graded(packed.grade_job(job))
    why = shortfall(spec, result, internal)
    if not why:
        _ready.add(key)
    return why


def shortfall(spec: config.AssignmentSpec, result: SubmissionResult | None,
              internal: list[str]) -> str:
    """Why a grading of the reference shows that this process grades unlike the client: a
    grader error, or a task short of full marks (its first failed test's message); empty if none."""
    if result is None or internal or result.grader_errors:
        last = internal[-1].strip().splitlines()[-1] if internal and internal[-1].strip() else ""
        return f"the grader failed on the {spec.name} reference on this node ({last or 'no detail'})"
    lost = [task for task in result.tasks if task.points < task.max_points]
    if not lost:
        return ""
    first = next((test for test in lost[0].tests if not test.passed), None)
    detail = f": {first.name}: {first.message[:200]}" if first else ""
    return (f"the {spec.name} reference scored {result.raw:g} of {spec.max_points + spec.bonus_points:g} "
            f"on this node (tasks {', '.join(t.name for t in lost)}; {lost[0].name}{detail}); "
            "a node that costs the reference points would cost students points")
