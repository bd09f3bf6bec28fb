"""The instructor's page, `index.html`: one self-contained page per graded folder with the gradebook
(sortable), the students to enter by hand in the LMS (lms.manual_entry), the score distribution,
the pass rate per task, the slowest submissions, the integrity flags and the similarity report's
top pairs (reports.similarity_pages). Charts are PNGs embedded as data: URIs; sorting is a few
lines of inline script.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from autograder.config import AssignmentSpec, Deadlines
from autograder.reports import lms, plots
from autograder.reports.flags import Flag, integrity_flags
from autograder.reports.html import render
from autograder.results import EntryConflict, ManifestProblem, SubmissionResult
from autograder.scoring import policy

SLOWEST_SHOWN = 5
# index.html shows grading times, which differ from run to run, and result.json (the stored result
# a resumed batch reads back) keeps them; every other file must not differ.
TIMED_FILES = frozenset({"timing.json", "index.html", "result.json"})


@dataclass(frozen=True)
class TaskStats:
    name: str
    points: float
    full_rate: float
    tests_passed_rate: float


@dataclass(frozen=True)
class Slow:
    student: str
    seconds: float
    slowest_task: str
    task_seconds: float


@dataclass(frozen=True)
class SimilarPair:
    """A flagged pair's task as the page lists it, with its side-by-side page (`page`, relative)."""

    student_a: str
    student_b: str
    task: str
    score: float
    code_score: float
    behaviour_score: float
    evidence: str
    page: str


@dataclass(frozen=True)
class SimilaritySection:
    """The similarity report's part of the page (built by reports.similarity_pages): the top
    flagged pairs of `flagged` in all, and the clusters of three or more students."""

    pairs: tuple[SimilarPair, ...]
    flagged: int
    clusters: tuple[tuple[str, ...], ...]


def task_stats(spec: AssignmentSpec, results: list[SubmissionResult]) -> list[TaskStats]:
    stats = []
    for spec_task in spec.tasks:
        tasks = [t for r in results for t in r.tasks if t.name == spec_task.name]
        tests = [test for t in tasks for test in t.tests]
        stats.append(TaskStats(
            spec_task.name, spec_task.points,
            sum(t.points == t.max_points and bool(t.tests) for t in tasks) / max(len(tasks), 1),
            sum(t.passed for t in tests) / max(len(tests), 1)))
    return stats


def slowest(results: list[SubmissionResult], count: int = SLOWEST_SHOWN) -> list[Slow]:
    """The submissions that took longest to grade, with the task that took longest in each."""
    rows = []
    for result in results:
        per_task = {t.name: sum(test.seconds for test in t.tests) for t in result.tasks}
        task = max(per_task, key=per_task.__getitem__, default="")
        rows.append(Slow(result.student, result.timings.get("total", 0.0), task,
                         per_task.get(task, 0.0)))
    return sorted(rows, key=lambda s: -s.seconds)[:count]


def summary(spec: AssignmentSpec, results: list[SubmissionResult], flags: list[Flag]
            ) -> list[tuple[str, str]]:
    finals = [r.final for r in results]
    return [
        ("submissions", str(len(results))),
        ("mean", f"{statistics.fmean(finals):.2f}" if finals else "-"),
        ("median", f"{statistics.median(finals):g}" if finals else "-"),
        ("full marks", str(sum(r.final == spec.max_points for r in results))),
        ("flagged", str(len({f.student for f in flags}))),
        ("grader errors", str(sum(r.grader_errors for r in results))),
    ]


def index_html(spec: AssignmentSpec, results: list[SubmissionResult],
               feedback_links: dict[str, str], *, conflicts: tuple[EntryConflict, ...] = (),
               manifest_problems: tuple[ManifestProblem, ...] = (),
               deadlines: Deadlines | None = None,
               similarity: SimilaritySection | None = None) -> str:
    """The page; `feedback_links` maps each student to their feedback page, relative to it.
    `conflicts` and `manifest_problems` (grading.roster) are listed with the students whose
    lateness is unknown, so the instructor can fix the folder or the manifest and grade again.
    The `deadlines` the results were reported under head the page ("no deadlines set"), with a
    loud warning when every submission is past the hard one (another term's deadlines?). The
    `similarity` section, when the batch made one, lists the top flagged pairs and clusters."""
    results = sorted(results, key=lambda r: r.student)
    flags = integrity_flags(results)
    stats = task_stats(spec, results)
    flagged = {f.student: [] for f in flags}
    for flag in flags:
        flagged[flag.student].append(flag.kind)
    return render(
        "index.html.j2", spec=spec, results=results, links=feedback_links, flags=flags,
        flagged=flagged, stats=stats, slowest=slowest(results),
        summary=summary(spec, results, flags),
        isolation=sorted({r.isolation for r in results if r.isolation}),
        histogram=plots.score_histogram([r.final for r in results], spec.max_points),
        pass_rates=plots.pass_rate_chart([s.name for s in stats], [s.full_rate for s in stats]),
        manual_entry=lms.manual_entry(results),
        conflicts=conflicts, manifest_problems=manifest_problems,
        lateness_unknown=[r.student for r in results if r.lateness_unknown],
        deadlines=policy.deadlines_sentence(deadlines) if deadlines else "",
        all_past=(policy.all_past_warning(deadlines)
                  if deadlines and policy.all_past_hard_deadline(results, deadlines) else ""),
        similarity=similarity,
    )
