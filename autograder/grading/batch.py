"""Grade a folder of submissions in parallel; every submission gets a result, whatever happens."""

from __future__ import annotations

import csv
import gc
import multiprocessing
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path

from rich.progress import Progress

from autograder import config
from autograder.grading import resume
from autograder.grading.runner import grade_submission
from autograder.reports import files
from autograder.results import SubmissionResult, TaskResult
from autograder.sandbox import isolation

MANIFEST = "manifest.csv"


def discover(folder: Path) -> dict[str, Path]:
    """Each entry of `folder` (a sub-folder, a .zip, a notebook, or anything else handed in, which
    intake then explains) is one student's submission, named after it without its suffix."""
    found = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name == MANIFEST:
            continue
        name = entry.stem if entry.is_file() else entry.name
        found[name if name not in found else entry.name] = entry
    return found


def submission_times(folder: Path, submissions: dict[str, Path]) -> dict[str, datetime]:
    """From `manifest.csv` (student, submitted_at) where present, else the file's time."""
    times = {student: datetime.fromtimestamp(path.stat().st_mtime, UTC)
             for student, path in submissions.items()}
    manifest = folder / MANIFEST
    if manifest.is_file():
        with open(manifest, newline="") as stream:
            for row in csv.DictReader(stream):
                stamp = datetime.fromisoformat(row["submitted_at"])
                times[row["student"]] = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return times


def _init_grader_process() -> None:
    """One thread for torch per grading process: the pool already runs one process per core."""
    import torch

    torch.set_num_threads(1)


def _freeze_long_lived_objects() -> None:
    """Keep the garbage collector off what outlives a submission (torch, keras, pytest, the
    checks' caches: ~440,000 objects): its full collections cost 0.8 s per ownpackage submission
    before, 0.03 s after. Whatever a submission's grading leaves is collected before the next."""
    gc.collect()
    gc.freeze()


def _grade_one(path: Path, assignment: str, student: str, submitted_at: datetime | None,
               only_tasks: frozenset[str], out_dir: Path, wait: bool) -> SubmissionResult | None:
    """Grade one submission and write its files, unless it was graded unchanged before (then its
    stored result); None if another grader holds it and `wait` is off."""
    spec = config.load(assignment)
    folder = out_dir / files.safe_name(student)
    key = resume.submission_key(path, assignment, submitted_at, only_tasks)
    with resume.claimed(folder, wait) as ours:
        if not ours:
            return None
        stored = resume.load(folder, key)
        if stored is not None:
            return stored
        _freeze_long_lived_objects()
        try:
            result, internal = grade_submission(path, spec, student=student,
                                                submitted_at=submitted_at, only_tasks=only_tasks)
        except Exception:
            result, internal = failed_result(spec, student), [traceback.format_exc()]
        files.write_submission(out_dir, spec, result, internal)
        if not internal:  # a grader error is ours to fix: grade it again next time
            resume.save(folder, key, result)
        return result


def failed_result(spec: config.AssignmentSpec, student: str) -> SubmissionResult:
    """The result recorded when the grader itself failed on a submission: zero, and flagged."""
    tasks = tuple(TaskResult(t.name, 0.0, t.points, ()) for t in spec.tasks)
    return SubmissionResult(student=student, assignment=spec.name, tasks=tasks, raw=0.0,
                            multiplier=1.0, final=0.0,
                            intake_messages=("the grader failed on this submission; "
                                             "the instructor has been told",))


def grade_folder(folder: Path, assignment: str, out_dir: Path, jobs: int,
                 use_file_times: bool = True, show_progress: bool = True,
                 only_tasks: frozenset[str] = frozenset()) -> list[SubmissionResult]:
    """Grade every submission in `folder`, writing its files as it finishes, then the gradebook.

    Submissions graded unchanged by an earlier run (one that was killed, say) keep their results;
    those another grader is busy with are waited for after the rest (see `resume`)."""
    spec = config.load(assignment)
    out_dir.mkdir(parents=True, exist_ok=True)
    isolation.detect().hide(folder, out_dir)
    submissions = discover(folder)
    times = submission_times(folder, submissions) if use_file_times else {}
    results: list[SubmissionResult] = []
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                             initializer=_init_grader_process) as pool, \
            Progress(disable=not show_progress, transient=True) as progress:
        bar = progress.add_task(f"grading {assignment}", total=len(submissions))
        pending = list(submissions)
        for wait in (False, True):
            futures = {pool.submit(_grade_one, submissions[student], assignment, student,
                                   times.get(student), only_tasks, out_dir, wait): student
                       for student in pending}
            pending = []
            for future in as_completed(futures):
                student = futures[future]
                try:
                    result = future.result()
                except Exception:
                    result = failed_result(spec, student)
                    files.write_submission(out_dir, spec, result, [traceback.format_exc()])
                if result is None:
                    pending.append(student)
                    continue
                results.append(result)
                progress.advance(bar)
    files.write_class(out_dir, spec, results)
    return sorted(results, key=lambda r: r.student)
