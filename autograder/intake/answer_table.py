"""An answer the course has students fill in as a markdown table (seed 000's exercise 1), read from
the notebook's markdown cells into the answer variable the tests check.

A real notebook of the course has no variable for such an answer: the student types the numbers
into the table under the exercise's heading. The course's own table is malformed for a Markdown
parser (12 header cells, a 10-cell delimiter row, 13-cell data rows), so it is read as lines split
at `|`, never parsed as Markdown. A cell is read as the number a student writes by hand: a decimal
comma, LaTeX (`$0{,}45$`, `\\frac{a}{b}`, `a \\cdot 10^{-2}`), a value after `=` or `\\approx`; a cell
that is no number stays text, and the answer checks name the cell and what it holds.

When a code cell assigns the answer variable, the variable is graded and the table is not read;
either way, when a filled table is there, a note tells the student which one was graded. Nothing
here runs student code: the table becomes one statement of plain literals, `name = [[...], ...]`.
"""

from __future__ import annotations

import ast
import json
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autograder import N_
from autograder.intake.notebook import Source, Statement

if TYPE_CHECKING:
    from autograder.config import AnswerTableSpec

# The statement's own cell number: it shares no traceback lines with a code cell or the given code.
TABLE_CELL = -1
MAX_ROWS = 100
MAX_NUMBER_CHARS = 120
Cell = float | str | None  # a number, the text of a cell that is none, or an empty cell


@dataclass(frozen=True)
class FoundTable:
    """The first table under one of the exercise's headings: its data rows, cell by cell."""

    heading: str  # the heading line's text, without its markdown
    markdown_cell: int  # the table's, counted among the markdown cells from 1 ("code cell N" too)
    rows: list[list[str]]


def table_statements(data: bytes, tables: Sequence[AnswerTableSpec], code: Sequence[Source],
                     messages: list[str]) -> list[Statement]:
    """A statement defining each answer of `tables` that no code cell of `code` assigns, from its
    filled-in table in the notebook `data`; a note in `messages` for every filled table."""
    statements = []
    cells = _cells(data)
    for spec in tables:
        found = find_table(cells, spec.headings, spec.columns)
        if found is None or not _filled(found.rows, spec.given_columns):
            continue
        where = f"the table under {found.heading!r} (markdown cell {found.markdown_cell})"
        assigned = _assigning_cell(code, spec.name)
        if assigned:
            messages.append(N_(f"{spec.name} is assigned in code {assigned}, so the variable was "
                               f"graded and {where} was not read: when both are there, the variable "
                               "is graded"))
            continue
        messages.append(N_(f"no code cell assigns {spec.name}: graded {where} as {spec.name}"))
        values = [[read_cell(text) for text in row] for row in found.rows[:MAX_ROWS]]
        statements.append(Statement(TABLE_CELL, 1, f"{spec.name} = {values!r}"))
    return statements


def _cells(data: bytes) -> list[tuple[str, str]]:
    """(type, source) of every cell in notebook order, from the raw JSON (format 3 or 4): intake
    has already read the code cells, and a damaged notebook yields what can be read."""
    try:
        raw = json.loads(data.decode("utf-8", errors="replace"))
    except (json.JSONDecodeError, RecursionError):
        return []
    if not isinstance(raw, dict):
        return []
    cells = raw.get("cells")
    if not isinstance(cells, list):  # format 3 keeps cells in worksheets
        cells = [c for w in raw.get("worksheets") or [] if isinstance(w, dict)
                 for c in w.get("cells") or []]
    result = []
    for cell in cells:
        if isinstance(cell, dict):
            source = cell.get("source", cell.get("input", ""))
            text = source if isinstance(source, str) else "".join(map(str, source or []))
            result.append((str(cell.get("cell_type", "")), text))
    return result


def find_table(cells: Sequence[tuple[str, str]], headings: Sequence[str],
               columns: int) -> FoundTable | None:
    """The first table after a line that starts with one of `headings` (bold, a `#` heading or
    plain; case ignored), in that markdown cell or the markdown cells after it, before a code
    cell; its rows after the delimiter row (after the header row when there is none)."""
    patterns = [re.compile(re.escape(h.casefold()) + r"(?!\w)") for h in headings]
    heading, markdown = "", 0
    for kind, source in cells:
        if kind == "code":
            heading = ""
        if kind not in ("markdown", "heading"):  # format 3 keeps headings in cells of their own
            continue
        markdown += 1
        lines = source.splitlines()
        for index, line in enumerate(lines):
            plain = re.sub(r"[#*_\s]+", " ", line).strip()
            if any(p.match(plain.casefold()) for p in patterns):
                heading = plain
                rows = _table_after(lines[index + 1:], columns)
            elif heading and index == 0:
                rows = _table_after(lines, columns)
            else:
                continue
            if rows is not None:
                return FoundTable(heading, markdown, rows)
    return None


def _table_after(lines: Sequence[str], columns: int) -> list[list[str]] | None:
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("|")), None)
    if start is None:
        return None
    block = []
    for line in lines[start:]:
        if not line.strip().startswith("|"):
            break
        block.append(split_row(line, columns))
    delimiter = next((i for i, row in enumerate(block) if _is_delimiter(row)), 0)
    return [row for row in block[delimiter + 1:] if any(row)]


def split_row(line: str, columns: int) -> list[str]:
    """A table line's cells (`\\|` is a pipe inside a cell), without the empty cells past the
    `columns` the table has (the course's rows end in an extra `|  |`)."""
    line = line.strip()
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)][1:]
    if re.search(r"(?<!\\)\|$", line):
        cells = cells[:-1]
    while len(cells) > columns and not cells[-1]:
        cells.pop()
    return cells


def _is_delimiter(row: Sequence[str]) -> bool:
    return any(row) and all(re.fullmatch(r":?-+:?", cell) for cell in row if cell)


def _filled(rows: Sequence[Sequence[str]], given_columns: int) -> bool:
    """Whether the student wrote into the table: a cell besides those the template fills in."""
    return any(cell for row in rows for cell in row[given_columns:])


def _assigning_cell(code: Sequence[Source], name: str) -> str:
    """The code cell ("cell 5") whose top level assigns `name`, read as written: a cell with a
    syntax error counts too, so the student's variable is what gets graded (and what fails)."""
    assignment = re.compile(rf"^{re.escape(name)}\s*(?::[^=\n]*)?=(?!=)", re.MULTILINE)
    for source in code:
        try:
            tree = ast.parse(source.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            if assignment.search(source.text):
                return source.where
            continue
        for node in tree.body:
            targets = (node.targets if isinstance(node, ast.Assign) else
                       [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return source.where
    return ""


def read_cell(text: str) -> Cell:
    """A cell as a number, None when it is empty, else its text (for the checks' message)."""
    text = text.strip()
    if not text:
        return None
    number = read_number(text)
    return text[:MAX_NUMBER_CHARS] if number is None else number


# LaTeX and typography to plain arithmetic, applied in order.
_REWRITES: tuple[tuple[str, str], ...] = (
    (r"\\(?:left|right|displaystyle|mathrm|mathbf|textbf|text)\b", ""),
    (r"\\[,;:! ]|~", ""),  # thin spaces
    (r"\{([,.])\}", r"\1"),  # 0{,}45: the comma of Russian typesetting in LaTeX
    (r"(\d),(\d)", r"\1.\2"),  # decimal comma
    (r"[\u2212\u2013\u2014]", "-"),  # minus signs and dashes typed as minus
    (r"\\cdot|\\times|[\u00d7\u00b7]", "*"),
    (r"\\[dt]?frac", r"\\frac"),
)
_FRACTION = re.compile(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_POWER = re.compile(r"\^\s*\{([^{}]*)\}")
_OPERATORS: dict[type, Callable[..., float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow, ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def read_number(text: str) -> float | None:
    """The finite number `text` writes by hand, else None; an arithmetic expression of numbers
    (`\\frac{1}{2}`, `1.45 \\cdot 10^{-1}`, `e^{-2}`) is evaluated, nothing else is."""
    if len(text) > MAX_NUMBER_CHARS:
        return None
    text = text.strip("$*_` \t")  # LaTeX, bold, italics or code around the number
    text = re.sub(r"^\\\(|\\\)$", "", text)
    text = re.split(r"=|\\approx|\\simeq|\u2248", text)[-1]  # the value after "z = ..."
    for pattern, replacement in _REWRITES:
        text = re.sub(pattern, replacement, text)
    previous = None
    while previous != text:
        previous = text
        text = _FRACTION.sub(r"((\1)/(\2))", text)
        text = _POWER.sub(r"^(\1)", text)
    text = text.replace("{", "(").replace("}", ")").replace("^", "**").strip()
    try:
        value = _evaluate(ast.parse(text, mode="eval").body)
    except (SyntaxError, ValueError, TypeError, ZeroDivisionError, OverflowError, RecursionError,
            MemoryError):
        return None
    return value if math.isfinite(value) else None


def _evaluate(node: ast.expr) -> float:
    """Numbers, `e`, + - * / ** and parentheses, in floats (so a huge power overflows at once)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id == "e":
        return math.e
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return float(_OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right)))
    raise ValueError("not a number")
