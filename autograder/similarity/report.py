"""What the similarity report holds: plain records, for the CSV, the JSON and the pages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fragment:
    """Code of two students that matched: where each sits and its 1-based inclusive lines."""

    where_a: str
    lines_a: tuple[int, int]
    where_b: str
    lines_b: tuple[int, int]


@dataclass(frozen=True)
class PairScore:
    """How alike two students' code and behaviour are on one task: a fact for a human to read,
    never a verdict. `shared_wrong` names the tests both failed with the same wrong outputs."""

    student_a: str
    student_b: str
    task: str
    score: float
    code_score: float
    behaviour_score: float
    flagged: bool
    evidence: str
    fragments: tuple[Fragment, ...] = ()
    shared_wrong: tuple[str, ...] = ()


@dataclass(frozen=True)
class Snippet:
    """A student's own code for a task (a class, method, function or answer), as compared."""

    student: str
    task: str
    where: str
    lines: tuple[int, int]
    text: str


@dataclass(frozen=True)
class SimilarityReport:
    """Pairs by score (highest first, then names); clusters of three or more students connected
    by flagged pairs; the compared code of every student in a pair (`snippets`), for the pages."""

    pairs: tuple[PairScore, ...]
    clusters: tuple[tuple[str, ...], ...]
    snippets: tuple[Snippet, ...] = ()
