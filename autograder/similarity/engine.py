"""Compare a batch per task, on code and behaviour, through inverted indexes: each fingerprint
(and each wrong output) lists the students who have it, and only students who share one are ever
paired, so a batch of hundreds costs about what reading it costs.

What everyone shares is taken out first: the course's given code (never extracted), the student
version's template (its fingerprints, per task), and whatever more than `common_share` of the
batch has (common code, a common bug)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from autograder.config import AssignmentSpec, SimilaritySpec
from autograder.intake import IntakeError, prepare_for
from autograder.intake.notebook import Source
from autograder.intake.scan import code_owners
from autograder.results import SubmissionResult
from autograder.similarity.behaviour import (
    WrongOutput,
    behaviour_score,
    right_outputs,
    tests_sentence,
    wrong_outputs,
)
from autograder.similarity.extract import Piece, task_pieces
from autograder.similarity.fingerprint import Fingerprint, Token, tokens, winnow
from autograder.similarity.report import Fragment, PairScore, SimilarityReport, Snippet

# Two students are always "the batch" to each other: a fingerprint two or fewer students share is
# never common, however small the batch.
LEAST_COMMON = 2
DIGITS = 4


@dataclass
class Participant:
    """One student's (or `against` entry's) task code, its fingerprints each with the piece it is
    in, the fingerprints left as their own once shared code is taken out, and wrong outputs."""

    name: str
    against: bool = False
    pieces: list[Piece] = field(default_factory=list)
    prints: dict[str, list[tuple[Fingerprint, Piece]]] = field(default_factory=dict)
    own: dict[str, set[int]] = field(default_factory=dict)  # hashes left after every removal
    wrong: dict[str, set[WrongOutput]] = field(default_factory=dict)


def compare(spec: AssignmentSpec, submissions: Mapping[str, Path],
            results: Mapping[str, SubmissionResult] = {}, *,  # noqa: B006 (read, never changed)
            against: Mapping[str, Path] = {}) -> SimilarityReport:  # noqa: B006
    """The similarity report of a batch: `submissions` (identity -> entry handed in) compared with
    each other and with `against` (earlier terms' or public solutions, named apart from the
    batch), which are not compared with each other; `results` (identity -> graded result, for
    either) give the behaviour signal."""
    settings = spec.similarity
    owners, given = code_owners(spec), frozenset(spec.given)
    template = {task: {fp.hash for fp, _ in prints} for task, prints
                in _prints(task_pieces(_code(spec.student_dir, spec), owners, given)).items()}
    people = [Participant(name) for name in sorted(submissions)]
    people += [Participant(name, against=True) for name in sorted(against)]
    right = right_outputs(results.values())
    for person in people:
        path = (against if person.against else submissions)[person.name]
        person.pieces = task_pieces(_code(path, spec), owners, given)
        person.prints = _prints(person.pieces)
        person.own = {task: {fp.hash for fp, _ in prints} - template.get(task, set())
                      for task, prints in person.prints.items()}
        if person.name in results:
            person.wrong = wrong_outputs(results[person.name], right)
    batch = sum(not p.against for p in people)
    limit = max(LEAST_COMMON, settings.common_share * batch)
    code = _shared(people, lambda p: p.own, limit)
    behaviour = _shared(people, lambda p: p.wrong, limit)
    for person in people:  # what is common counts for nobody
        for task, hashes in person.own.items():
            hashes -= code.common.get(task, set())
    pairs = [pair for key in sorted(set(code.pairs) | set(behaviour.pairs))
             if (pair := _score(people, *key, code.pairs.get(key, set()),
                                behaviour.pairs.get(key, set()), settings)).score >= settings.floor]
    pairs.sort(key=lambda p: (-p.score, p.student_a, p.student_b, p.task))
    return SimilarityReport(tuple(pairs), _clusters(p for p in pairs if p.flagged),
                            _snippets(people, pairs))


def _code(path: Path, spec: AssignmentSpec) -> list[Source]:
    """The code a submission holds, as intake reads it for grading; none if intake cannot read
    it (a graded output folder given as `against` has results, not code)."""
    try:
        bundle = prepare_for(path, spec)
    except IntakeError:
        return []
    bundle.cleanup()
    return bundle.code


def _prints(pieces: Sequence[Piece]) -> dict[str, list[tuple[Fingerprint, Piece]]]:
    """Per task, the fingerprints of its pieces, each with the piece it is in (each source is
    tokenised once)."""
    prints: dict[str, list[tuple[Fingerprint, Piece]]] = defaultdict(list)
    streams: dict[str, tuple[list[Token], list[int]]] = {}
    for piece in pieces:
        if piece.source.where not in streams:
            stream = tokens(piece.source.text)
            streams[piece.source.where] = stream, [t.line for t in stream]
        stream, lines = streams[piece.source.where]
        inside = stream[bisect_left(lines, piece.first):bisect_right(lines, piece.last)]
        prints[piece.task] += [(fp, piece) for fp in winnow(inside)]
    return dict(prints)


@dataclass
class Shared:
    """What an index found: per task, the keys too common to count, and per (task, a, b) the
    keys the two students share."""

    common: dict[str, set] = field(default_factory=dict)
    pairs: dict[tuple[str, int, int], set] = field(default_factory=dict)


def _shared(people: Sequence[Participant], keys_of, limit: float) -> Shared:
    """Index every participant's keys per task (`keys_of`: task -> keys) and pair those who share
    a key that no more than `limit` of the batch has; the `against` are never paired together."""
    index: dict[tuple[str, object], list[int]] = defaultdict(list)
    for number, person in enumerate(people):
        for task, keys in keys_of(person).items():
            for key in keys:
                index[(task, key)].append(number)
    shared = Shared()
    for (task, key), holders in index.items():
        if sum(not people[h].against for h in holders) > limit:
            shared.common.setdefault(task, set()).add(key)
            continue
        for a, b in combinations(holders, 2):
            if not (people[a].against and people[b].against):
                shared.pairs.setdefault((task, a, b), set()).add(key)
    return shared


def _score(people: Sequence[Participant], task: str, a: int, b: int, hashes: set[int],
           wrong: set[WrongOutput], settings: SimilaritySpec) -> PairScore:
    """One pair's task: the share of the smaller own code that both hold, weighed by how much
    code that is; the shared wrong outputs; combined as independent evidence."""
    first, second = people[a], people[b]
    size = min(len(first.own.get(task, ())), len(second.own.get(task, ())))
    code_score = len(hashes) / size if size else 0.0
    weight = min(1.0, size / settings.min_fingerprints) if settings.min_fingerprints else 1.0
    behaviour = behaviour_score(len(wrong))
    score = 1 - (1 - code_score * weight) * (1 - behaviour)
    flagged = score >= settings.threshold and (weight == 1.0 or behaviour > 0)
    evidence = []
    if hashes:
        evidence.append(f"{code_score:.0%} of {task}'s own fingerprints shared "
                        f"({len(hashes)} of {size})"
                        + ("" if weight == 1.0 else ": little own code, never flagged on code alone"))
    shared_wrong = sorted(wrong, key=lambda w: (w.test, w.outputs))
    if shared_wrong:
        evidence.append(tests_sentence(shared_wrong))
    return PairScore(first.name, second.name, task, round(score, DIGITS), round(code_score, DIGITS),
                     round(behaviour, DIGITS), flagged, "; ".join(evidence),
                     _fragments(first.prints.get(task, []), second.prints.get(task, []), hashes),
                     tuple(dict.fromkeys(w.test for w in shared_wrong)))


def _fragments(first: list[tuple[Fingerprint, Piece]], second: list[tuple[Fingerprint, Piece]],
               hashes: set[int]) -> tuple[Fragment, ...]:
    """The matched lines of both sides, in the first student's order: each shared fingerprint
    where it first occurs in the second's code, adjacent matches merged."""
    places = {}
    for fp, piece in second:
        places.setdefault(fp.hash, (piece, fp))
    fragments: list[Fragment] = []
    for fp, piece in first:
        if fp.hash not in hashes:
            continue
        other, match = places[fp.hash]
        offset, other_offset = piece.source.line_offset, other.source.line_offset
        found = Fragment(piece.source.where, (fp.first + offset, fp.last + offset),
                         other.source.where, (match.first + other_offset, match.last + other_offset))
        if fragments and _adjacent(fragments[-1], found):
            last = fragments[-1]
            found = Fragment(last.where_a, _union(last.lines_a, found.lines_a),
                             last.where_b, _union(last.lines_b, found.lines_b))
            fragments[-1] = found
        else:
            fragments.append(found)
    return tuple(fragments)


def _adjacent(one: Fragment, other: Fragment) -> bool:
    def near(a: tuple[int, int], b: tuple[int, int]) -> bool:
        return b[0] <= a[1] + 1 and a[0] <= b[1] + 1

    return (one.where_a == other.where_a and one.where_b == other.where_b
            and near(one.lines_a, other.lines_a) and near(one.lines_b, other.lines_b))


def _union(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return min(a[0], b[0]), max(a[1], b[1])


def _clusters(flagged: Iterable[PairScore]) -> tuple[tuple[str, ...], ...]:
    """Groups of three or more students connected by flagged pairs (any task)."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for pair in flagged:
        parent[root(pair.student_a)] = root(pair.student_b)
    groups: dict[str, list[str]] = defaultdict(list)
    for name in parent:
        groups[root(name)].append(name)
    return tuple(sorted(tuple(sorted(g)) for g in groups.values() if len(g) >= 3))


def _snippets(people: Sequence[Participant], pairs: Sequence[PairScore]) -> tuple[Snippet, ...]:
    """The compared code of every student's task that is in a pair, for a side-by-side page."""
    wanted = {(side, p.task) for p in pairs for side in (p.student_a, p.student_b)}
    return tuple(Snippet(person.name, piece.task, piece.source.where, piece.lines, piece.text)
                 for person in people for piece in person.pieces
                 if (person.name, piece.task) in wanted)
