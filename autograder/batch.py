"""Grade a folder of submissions in parallel and report them; every submission gets a result,
whatever happens. The orchestration above both rooms it joins: grading (one submission) and
reports (its files, then the class's).

Results are graded and stored raw; the late penalty of the course offering (its `course.toml`) is
applied as each is reported, so a batch re-run with other deadlines only reports again."""

from __future__ import annotations

import gc
import multiprocessing
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.progress import Progress

from autograder import config, similarity
from autograder.atomic import write_atomic
from autograder.grading import resume, roster
from autograder.grading.roster import MANIFEST, Handin
from autograder.grading.runner import Graded, grade_submission
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

__all__ = ["MANIFEST", "BatchReport", "failed_result", "grade_batch", "grade_folder",
           "write_similarity"]


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


def _freeze_long_lived_objects() -> None:
    """Keep the garbage collector off what outlives a submission (torch, keras, pytest, the
    checks' caches: ~440,000 objects): its full collections cost 0.8 s per ownpackage submission
    before, 0.03 s after. Whatever a submission's grading leaves is collected before the next."""
    gc.collect()
    gc.freeze()


def _grade_one(handin: Handin, assignment: str, only_tasks: frozenset[str], out_dir: Path,
               wait: bool, deadlines: config.Deadlines, lang: str) -> SubmissionResult | None:
    """Grade one submission, unless it was graded unchanged before (then its stored result), and
    write its files with the late penalty under `deadlines`, in `lang`; None if another grader
    holds it and `wait` is off. The result is stored raw, before the penalty, and in English."""
    spec = config.load(assignment)
    folder = out_dir / files.safe_name(handin.student)
    key = resume.submission_key(handin.path, assignment, handin.submitted_at, only_tasks,
                                student=handin.student, notes=handin.notes)
    with resume.claimed(folder, wait) as ours:
        if not ours:
            return None
        stored = resume.load(folder, key)
        result, internal = stored, []
        if result is None:
            _freeze_long_lived_objects()
            try:
                graded = grade_submission(handin.path, spec, student=handin.student,
                                          only_tasks=only_tasks)
            except Exception:
                graded = Graded(failed_result(spec, handin.student), [traceback.format_exc()])
            result, internal = handin.annotate(graded.result), graded.internal_errors
        # a stored result is reported again too: the deadlines or the language may have changed since
        shown = policy.reported(result, deadlines, handin.submitted_at, spec.late_base)
        files.write_submission(out_dir, spec, shown, internal, lang)
        if stored is None and not internal:  # a grader error is ours to fix: grade it again
            resume.save(folder, key, result)
        return shown


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
                lang: str = "") -> BatchReport:
    """Grade every student of `folder` (see `roster`: who, and when), writing their files as each
    finishes, then the gradebook.

    Submissions graded unchanged by an earlier run (one that was killed, say) keep their results;
    those another grader is busy with are waited for after the rest (see `resume`). A student the
    manifest does not time is timed by their entry's modification time if `use_file_times`. The
    late penalty follows `offering`'s deadlines, by default those of the folder's course file, and
    the students' files are in `lang`, by default the offering's or the assignment's language.
    Then, unless `similarity` is off, the similarity report (`write_similarity`)."""
    spec = config.load(assignment)
    offering = offering or config.offering(assignment, folder / config.COURSE_FILE)
    deadlines = offering.deadlines
    lang = config.feedback_language(spec, offering, lang)
    class_list = roster.read(folder, use_file_times)
    submissions = class_list.handins
    out_dir.mkdir(parents=True, exist_ok=True)
    isolation.detect().hide(folder, out_dir)
    results: list[SubmissionResult] = []
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                             initializer=_init_grader_process) as pool, \
            Progress(disable=not show_progress, transient=True) as progress:
        bar = progress.add_task(f"grading {assignment}", total=len(submissions))
        pending = list(submissions)
        for wait in (False, True):
            futures = {pool.submit(_grade_one, submissions[student], assignment, only_tasks,
                                   out_dir, wait, deadlines, lang): student
                       for student in pending}
            pending = []
            for future in as_completed(futures):
                student = futures[future]
                try:
                    result = future.result()
                except Exception:
                    result = submissions[student].annotate(failed_result(spec, student))
                    files.write_submission(out_dir, spec, result, [traceback.format_exc()], lang)
                if result is None:
                    pending.append(student)
                    continue
                results.append(result)
                progress.advance(bar)
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
