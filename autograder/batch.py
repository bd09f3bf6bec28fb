"""Grade a folder of submissions in parallel and report them; every submission gets a result,
whatever happens. The orchestration above both rooms it joins: grading (one submission) and
reports (its files, then the class's).

Results are graded and stored raw; the late penalty of the course offering (its `course.toml`) is
applied as each is reported, so a batch re-run with other deadlines only reports again."""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import traceback
from collections.abc import Callable, Collection
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from autograder import config, similarity
from autograder.atomic import write_atomic
from autograder.grading import packed, resume, roster
from autograder.grading.roster import MANIFEST, Handin
from autograder.reports import files, similarity_pages
from autograder.reports.instructor import SimilaritySection
from autograder.results import (
    EntryConflict,
    ManifestProblem,
    SubmissionResult,
    TaskResult,
    TestRecord,
)
from autograder.sandbox import isolation
from autograder.scoring import policy
from autograder.similarity.sources import cited_sources

__all__ = ["MANIFEST", "BatchReport", "Graders", "GradersLost", "LocalPool", "failed_result", "grade_batch",
           "grade_folder", "write_similarity"]


@dataclass(frozen=True)
class BatchReport:
    """A graded folder: one result per student (by identity), and what the folder's names and
    manifest got wrong, for the instructor (also on the instructor's page)."""

    results: list[SubmissionResult]
    conflicts: tuple[EntryConflict, ...]
    manifest_problems: tuple[ManifestProblem, ...]
    # the deadlines the results were reported under
    deadlines: config.Deadlines = config.Deadlines()
    # what went wrong beside the grades (the similarity report could not be made), for the terminal
    notes: tuple[str, ...] = ()


def _init_grader_process() -> None:
    """One thread for torch per grading process: the pool already runs one process per core."""
    import torch

    torch.set_num_threads(1)


class GradersLost(Exception):
    """The graders can grade nothing more (a lost Dask scheduler): the batch stops, with what it
    graded so far stored and no class file written, so the same command resumes."""


class Graders(Protocol):
    """Where a batch's submissions are graded, bytes in and JSON out (`grading.packed`): the local
    process pool (`LocalPool`) or a Dask cluster (`autograder.cluster`). The batch alone claims,
    stores and reports: both give it the same answers."""

    mode: str  # the isolation mode the batch asks every grading process for
    allow_fallback: bool

    def submit(self, job: packed.Job) -> Any:
        """Start grading `job`; a handle for `finished` and `answer`."""

    def finished(self, handles: Collection[Any]) -> Collection[Any]:
        """Wait until some of `handles` are done (or will never be); return those."""

    def answer(self, handle: Any) -> str:
        """A finished handle's JSON (`packed.grade_job`); raises if it was not graded."""

    def workers(self) -> int:
        """How many grading processes work for the batch now."""

    def close(self) -> None:
        """Stop what this object started (never an existing cluster's scheduler or workers)."""


class LocalPool:
    """Grading processes on this machine: one per job, forked from a fresh interpreter."""

    def __init__(self, jobs: int) -> None:
        self.mode = isolation.detect().mode
        self.allow_fallback = False
        self.jobs = jobs
        self.pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.jobs, initializer=_init_grader_process,
                                   mp_context=multiprocessing.get_context("forkserver"))

    def submit(self, job: packed.Job) -> Future[str]:
        """Submit to the pool; a pool broken by a grading process that died (its submissions in
        flight failed) is replaced, so the rest of the batch is graded."""
        try:
            return self.pool.submit(packed.grade_job, job)
        except BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._start()
            return self.pool.submit(packed.grade_job, job)

    def finished(self, handles: Collection[Future[str]]) -> Collection[Future[str]]:
        return wait(handles, return_when=FIRST_COMPLETED).done

    def answer(self, handle: Future[str]) -> str:
        return handle.result()

    def workers(self) -> int:
        return self.jobs

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


@dataclass
class _InFlight:
    """A submission being graded: the lock held on it (released once its files are written)."""

    handin: Handin
    key: str
    lock: contextlib.ExitStack


def _report(out_dir: Path, spec: config.AssignmentSpec, handin: Handin, deadlines: config.Deadlines,
            lang: str, result: SubmissionResult, internal: list[str]) -> SubmissionResult:
    """Write a student's files with the late penalty under `deadlines`, in `lang`; the result
    shown (stored raw, before the penalty, and in English)."""
    shown = policy.reported(result, deadlines, handin.submitted_at, spec.late_base)
    files.write_submission(out_dir, spec, shown, internal, lang)
    return shown


def _graded(spec: config.AssignmentSpec, handin: Handin, answer: Callable[[], str]
            ) -> tuple[SubmissionResult, list[str]]:
    """A submission's raw result from its grading process's answer, annotated as the roster
    says; the grader's failure (its traceback for the instructor) when there is none."""
    try:
        result, internal = packed.read_graded(answer())
    except GradersLost:
        raise
    except Exception:
        result, internal = None, [traceback.format_exc()]
    return handin.annotate(result or failed_result(spec, handin.student)), internal


def _grade_all(graders: Graders, handins: dict[str, Handin], spec: config.AssignmentSpec,
               only_tasks: frozenset[str], out_dir: Path, deadlines: config.Deadlines, lang: str,
               done: Callable[[SubmissionResult], None]) -> None:
    """Grade every hand-in unless graded unchanged before, each under its lock, at most a few per
    grading process at a time, and call `done` with each reported result. A submission another
    grader holds is waited for after the rest, with nothing of ours in flight (or two graders
    could each wait for the other)."""
    in_flight: dict[Any, _InFlight] = {}

    def settle(handles: Collection[Any]) -> None:
        for handle in handles:
            flight = in_flight.pop(handle)
            with flight.lock:
                result, internal = _graded(spec, flight.handin, functools.partial(graders.answer, handle))
                done(_report(out_dir, spec, flight.handin, deadlines, lang, result, internal))
                if not internal:  # a grader error is ours to fix: grade it again
                    resume.save(out_dir / files.safe_name(flight.handin.student), flight.key, result)

    try:
        pending = list(handins.values())
        for blocking in (False, True):
            later = []
            for handin in pending:
                while len(in_flight) >= max(2, 2 * graders.workers()) or (blocking and in_flight):
                    settle(graders.finished(list(in_flight)))
                folder = out_dir / files.safe_name(handin.student)
                key = resume.submission_key(handin.path, spec.name, handin.submitted_at, only_tasks,
                                            student=handin.student, notes=handin.notes)
                lock = contextlib.ExitStack()
                if not lock.enter_context(resume.claimed(folder, blocking)):
                    lock.close()
                    later.append(handin)
                    continue
                with lock:
                    stored = resume.load(folder, key)
                    if stored is not None:  # reported again: the deadlines may have changed
                        done(_report(out_dir, spec, handin, deadlines, lang, stored, []))
                        continue
                    try:
                        job = packed.job_for(handin.path, handin.student, spec.name, only_tasks,
                                             mode=graders.mode, allow_fallback=graders.allow_fallback)
                    except (packed.PackError, OSError):  # too large to send, or unreadable
                        done(_report(out_dir, spec, handin, deadlines, lang,
                                     handin.annotate(failed_result(spec, handin.student)),
                                     [traceback.format_exc()]))
                        continue
                    in_flight[graders.submit(job)] = _InFlight(handin, key, lock.pop_all())
            pending = later
            while in_flight:
                settle(graders.finished(list(in_flight)))
    finally:
        for flight in in_flight.values():
            flight.lock.close()


def failed_result(spec: config.AssignmentSpec, student: str) -> SubmissionResult:
    """The result recorded when the grader itself failed on a submission: zero, and flagged (each
    task holds one grader error, so the gradebook counts them and `grade` exits non-zero)."""
    failure = "the grader itself failed on this submission (not your fault); the instructor has been told"
    score = policy.score(tuple(TaskResult(t.name, 0.0, t.points,
                                          (TestRecord("grading", t.name, "grader-error", failure),))
                               for t in spec.tasks))
    return SubmissionResult(student=student, assignment=spec.name, tasks=score.tasks, raw=score.raw,
                            multiplier=score.multiplier, final=score.final,
                            intake_messages=("the grader failed on this submission; "
                                             "the instructor has been told",))


def grade_batch(folder: Path, assignment: str, out_dir: Path, jobs: int,
                use_file_times: bool = True, show_progress: bool = True,
                only_tasks: frozenset[str] = frozenset(),
                offering: config.Offering | None = None, similarity: bool = True,
                lang: str = "", graders: Graders | None = None) -> BatchReport:
    """Grade every student of `folder` (see `roster`: who, and when), writing their files as each
    finishes, then the gradebook.

    Submissions graded unchanged by an earlier run (one that was killed, say) keep their results;
    those another grader is busy with are waited for after the rest (see `resume`). A student the
    manifest does not time is timed by their entry's modification time if `use_file_times`. The
    late penalty follows `offering`'s deadlines, by default those of the folder's course file, and
    the students' files are in `lang`, by default the offering's or the assignment's language.
    Then, unless `similarity` is off, the similarity report (`write_similarity`). `graders` grade
    the submissions (a Dask cluster, `autograder.cluster`); by default a local pool of `jobs`
    processes. If they fail the batch (a lost scheduler), the error propagates with every
    submission graded so far stored, and no class file written: the same command resumes."""
    spec = config.load(assignment)
    offering = offering or config.offering(assignment, folder / config.COURSE_FILE)
    deadlines = offering.deadlines
    lang = config.feedback_language(spec, offering, lang)
    class_list = roster.read(folder, use_file_times)
    submissions = class_list.handins
    out_dir.mkdir(parents=True, exist_ok=True)
    isolation.detect().hide(folder, out_dir)
    results: list[SubmissionResult] = []
    own = graders is None
    chosen: Graders = LocalPool(jobs) if graders is None else graders
    try:
        # submissions done of the batch's (across the cluster), with the graders' count
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), disable=not show_progress, transient=True) as progress:
            bar = progress.add_task(f"grading {assignment}", total=len(submissions))

            def done(result: SubmissionResult) -> None:
                results.append(result)
                progress.update(bar, advance=1, description=f"grading {assignment} "
                                f"({chosen.workers()} workers)")

            _grade_all(chosen, submissions, spec, only_tasks, out_dir, deadlines, lang, done)
    finally:
        if own:
            chosen.close()
    similar_to: dict[str, str] = {}
    section: SimilaritySection | None = None
    notes: tuple[str, ...] = ()
    for name in files.SIMILARITY_FILES:  # an earlier run's report must not pass for this one's
        (out_dir / name).unlink(missing_ok=True)
    similarity_pages.remove_pages(out_dir)
    if similarity:
        try:
            similar_to, section = write_similarity(
                out_dir, spec, {s: h.path for s, h in submissions.items()},
                {r.student: r for r in results})
        except Exception as exc:  # a report beside the grades must never cost the grades
            notes = (f"the similarity report could not be made ({type(exc).__name__}: {exc}); "
                     "the grades are not affected",)
    files.write_class(out_dir, spec, results, conflicts=class_list.conflicts,
                      manifest_problems=class_list.manifest_problems, deadlines=deadlines,
                      similar_to=similar_to, similarity=section, lang=lang)
    return BatchReport(sorted(results, key=lambda r: r.student), class_list.conflicts,
                       class_list.manifest_problems, deadlines, notes)


def write_similarity(out_dir: Path, spec: config.AssignmentSpec, submissions: dict[str, Path],
                     results: dict[str, SubmissionResult], *,
                     against: dict[str, Path] | None = None
                     ) -> tuple[dict[str, str], SimilaritySection]:
    """Compare the batch (autograder.similarity), write `similarity.csv`, `similarity.json` and a
    side-by-side page per flagged pair (with the sources each student cites) into `out_dir`, and
    return each student's flagged partners for the gradebook's `similar_to` and the instructor
    page's section. Scores never change."""
    report = similarity.compare(spec, submissions, results, against=against or {})
    write_atomic(out_dir / "similarity.csv", similarity.similarity_csv(report))
    write_atomic(out_dir / "similarity.json", similarity.similarity_json(report))
    data = asdict(report)  # reports sit below similarity: they read the report as plain data
    entries = {**submissions, **(against or {})}
    paired = {student for pair in similarity_pages.flagged_pairs(data) for student in pair}
    sources = {student: cited_sources(entries[student], spec) for student in paired}
    similarity_pages.write_pages(out_dir, data, sources)
    return similarity.similar_to(report), similarity_pages.section(data)


def grade_folder(folder: Path, assignment: str, out_dir: Path, jobs: int,
                 use_file_times: bool = True, show_progress: bool = True,
                 only_tasks: frozenset[str] = frozenset()) -> list[SubmissionResult]:
    """`grade_batch`'s results alone, one per student, by identity."""
    return grade_batch(folder, assignment, out_dir, jobs, use_file_times, show_progress,
                       only_tasks).results
