"""Each task's own code in a submission: the definitions its `code = [...]` names and the helpers
they call (intake.namespace), without the course's given code. Read as text, never run."""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autograder.intake.namespace import Namespace
from autograder.intake.notebook import Source


@dataclass(frozen=True)
class Piece:
    """One definition a task owns: `source` is the file or cell it sits in, `first` and `last`
    its lines in that source's text (1-based, inclusive)."""

    task: str
    source: Source
    first: int
    last: int

    @property
    def lines(self) -> tuple[int, int]:
        """The lines as the student sees them (a notebook cell's dropped magic line counted)."""
        return self.first + self.source.line_offset, self.last + self.source.line_offset

    @property
    def text(self) -> str:
        return "\n".join(self.source.text.splitlines()[self.first - 1:self.last])


def task_pieces(sources: Sequence[Source], owners: Mapping[str, str],
                given: frozenset[str]) -> list[Piece]:
    """Every piece of task code in `sources`, in source order; code that does not parse is left
    out (the grader does not run it either)."""
    trees = []
    for source in sources:
        try:
            trees.append((source, ast.parse(source.text)))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    try:
        namespace = Namespace([tree for _, tree in trees], owners)
    except RecursionError:
        return []
    return [piece for source, tree in trees for node in tree.body
            for piece in _pieces(node, source, namespace, given)]


def _pieces(node: ast.stmt, source: Source, namespace: Namespace,
            given: frozenset[str]) -> list[Piece]:
    """The pieces of one top-level statement: a class by its members (a given method is the
    course's), a function, or an answer's assignment."""
    if isinstance(node, ast.ClassDef):
        if node.name in given:
            return []
        pieces = []
        for member in node.body:
            name = getattr(member, "name", None)
            qualname = f"{node.name}.{name}" if name else node.name
            if qualname not in given:
                pieces += [_piece(task, member, source) for task in namespace.owner(qualname)]
        return pieces
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return [] if node.name in given else [_piece(task, node, source)
                                              for task in namespace.owner(node.name)]
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        tasks = sorted({namespace.owners[t.id] for t in targets
                        if isinstance(t, ast.Name) and t.id in namespace.owners})
        return [_piece(task, node, source) for task in tasks]
    return []


def _piece(task: str, node: ast.stmt, source: Source) -> Piece:
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(d.lineno for d in decorators)])
    return Piece(task, source, first, node.end_lineno or node.lineno)
