"""The similarity report's pages: one side-by-side page per flagged pair of students
(`similarity/<a>+<b>.html`: per task, both students' compared code with the matched fragments
marked, the tests both failed with the same wrong outputs, and the sources each cites), and the
instructor page's section of top pairs and clusters.

Rendered from the report as plain data (`dataclasses.asdict` of autograder.similarity's report,
the shape `similarity.json` holds: reports sit below similarity and never import it). Every
student string reaches the page through Jinja's autoescape, code inside <pre>; a page is one file
with its CSS inline and no script."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from autograder.atomic import write_atomic
from autograder.reports.escape import strip_controls
from autograder.reports.files import SIMILARITY_PAGES, safe_name
from autograder.reports.html import render
from autograder.reports.instructor import SimilaritySection, SimilarPair

# the flagged pairs' tasks the instructor's page lists; similarity.csv has them all
SHOWN = 20


class FragmentData(TypedDict):
    where_a: str
    lines_a: Sequence[int]
    where_b: str
    lines_b: Sequence[int]


class PairData(TypedDict):
    student_a: str
    student_b: str
    task: str
    score: float
    code_score: float
    behaviour_score: float
    flagged: bool
    evidence: str
    fragments: Sequence[FragmentData]
    shared_wrong: Sequence[str]


class SnippetData(TypedDict):
    student: str
    task: str
    where: str
    lines: Sequence[int]
    text: str


class ReportData(TypedDict):
    """autograder.similarity's SimilarityReport as plain data."""

    pairs: Sequence[PairData]
    clusters: Sequence[Sequence[str]]
    snippets: Sequence[SnippetData]


@dataclass(frozen=True)
class Line:
    """One line of a student's code; `fragment` numbers the match it is in (0: none)."""

    number: int
    text: str
    fragment: int


@dataclass(frozen=True)
class Code:
    """One compared definition of a student's, where it sits and its lines."""

    where: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class TaskView:
    """One task of a pair page: its row of the report, its fragments numbered from 1, and each
    side's code."""

    pair: PairData
    fragments: tuple[tuple[int, FragmentData], ...]
    code_a: tuple[Code, ...]
    code_b: tuple[Code, ...]


def page_name(student_a: str, student_b: str) -> str:
    """A pair page's file name, from both students' folder names (files.safe_name). They are
    joined by `+`, which no folder name holds, so two pairs never share a page."""
    return f"{safe_name(student_a)}+{safe_name(student_b)}.html"


def flagged_pairs(report: ReportData) -> list[tuple[str, str]]:
    """The pairs of students flagged on some task, in the report's order (highest score first).
    The engine names a pair's students in one order on every task."""
    return list(dict.fromkeys((p["student_a"], p["student_b"]) for p in report["pairs"]
                              if p["flagged"]))


def section(report: ReportData) -> SimilaritySection:
    """The instructor page's part: the top flagged pairs' tasks, each linking its pair's page,
    and the clusters."""
    flagged = [p for p in report["pairs"] if p["flagged"]]
    return SimilaritySection(
        tuple(SimilarPair(p["student_a"], p["student_b"], p["task"], p["score"], p["code_score"],
                          p["behaviour_score"], p["evidence"],
                          f"{SIMILARITY_PAGES}/{page_name(p['student_a'], p['student_b'])}")
              for p in flagged[:SHOWN]),
        len(flagged), tuple(tuple(cluster) for cluster in report["clusters"]))


def pair_html(report: ReportData, student_a: str, student_b: str,
              sources: Mapping[str, str]) -> str:
    """The side-by-side page of two students: every task of theirs the report lists, flagged or
    not, with the sources each cites (`sources`: student -> the text, "" or missing: none)."""
    tasks = [_task_view(pair, report["snippets"]) for pair in report["pairs"]
             if (pair["student_a"], pair["student_b"]) == (student_a, student_b)]
    return render("similarity_pair.html.j2", student_a=student_a, student_b=student_b, tasks=tasks,
                  sources={s: strip_controls(sources.get(s, "")) for s in (student_a, student_b)})


def remove_pages(out_dir: Path) -> None:
    """Take away an earlier run's pages: they must not pass for this run's."""
    shutil.rmtree(out_dir / SIMILARITY_PAGES, ignore_errors=True)


def write_pages(out_dir: Path, report: ReportData, sources: Mapping[str, str]) -> None:
    """Write one page per flagged pair into `out_dir/similarity/`, an earlier run's removed
    first."""
    remove_pages(out_dir)
    for student_a, student_b in flagged_pairs(report):
        write_atomic(out_dir / SIMILARITY_PAGES / page_name(student_a, student_b),
                     pair_html(report, student_a, student_b, sources))


def _task_view(pair: PairData, snippets: Sequence[SnippetData]) -> TaskView:
    fragments = tuple(enumerate(pair["fragments"], start=1))
    marks_a = [(n, f["where_a"], f["lines_a"]) for n, f in fragments]
    marks_b = [(n, f["where_b"], f["lines_b"]) for n, f in fragments]

    def code(student: str, marks: list[tuple[int, str, Sequence[int]]]) -> tuple[Code, ...]:
        return tuple(_code(s, marks) for s in snippets
                     if s["student"] == student and s["task"] == pair["task"])

    return TaskView(pair, fragments, code(pair["student_a"], marks_a),
                    code(pair["student_b"], marks_b))


def _code(snippet: SnippetData, marks: list[tuple[int, str, Sequence[int]]]) -> Code:
    """A snippet's lines, each numbered as the student sees it and marked with the first fragment
    (of those on this side's file or cell) that covers it."""
    here = [(n, lines) for n, where, lines in marks if where == snippet["where"]]
    first = snippet["lines"][0]
    return Code(snippet["where"], tuple(
        Line(number, strip_controls(text),
             next((n for n, (start, end) in here if start <= number <= end), 0))
        for number, text in enumerate(snippet["text"].split("\n"), start=first)))
