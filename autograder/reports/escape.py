"""One home for making text a student controls inert in each output it reaches.

A student controls their submission's name, the names of the files in it, their code (quoted by
the scan) and everything their code says (exception messages, printed output). Each output format
has its own way of turning such text into something else, so each has one function here, and every
report calls it on every student-controlled string:

- CSV (`csv_cell`, `csv_text`): a spreadsheet evaluates a cell that starts with `=`, `+`, `-`, `@`,
  a tab or a carriage return as a formula (OWASP, "CSV Injection"); a leading apostrophe makes it
  text. A carriage return inside a cell must be quoted, or it starts a new row whose first cell
  nothing neutralised.
- The terminal (`terminal`): Rich reads `[...]` as markup (`[link=...]` makes a hyperlink) and
  `:name:` as an emoji, and a terminal obeys escape sequences (ESC[1A ESC[2K erase lines).
- Markdown (`md_text`, `md_code`, `md_fence`): GitHub and GitLab render raw HTML, links and
  headings; a code fence ends at the first line holding as many backticks as opened it.
- XML and every format above (`strip_controls`): control characters are illegal in XML 1.0 (a
  JUnit report holding one does not parse) and move a terminal's cursor; bidirectional overrides
  make text read differently from what it is; a lone surrogate cannot be written as UTF-8.

HTML needs nothing here: Jinja autoescapes every page (reports/html.py).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from rich.markup import escape as rich_escape

# OWASP's list: what makes a spreadsheet cell a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# C0 controls but newline and tab, DEL, C1 controls; bidirectional marks, embeddings, overrides
# and isolates (the "Trojan Source" characters); lone surrogates and the two non-characters XML
# forbids, which become U+FFFD.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNWRITABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")
# Markdown's inline syntax: code, emphasis, links and images, raw HTML and entities, table cells,
# strikethrough, and the backslash itself. An underscore inside a word (grad_weight) is no emphasis
# in CommonMark, so it stays as it is; one at a word's edge is escaped.
_MARKDOWN_INLINE = re.compile(r"[\\`*\[\]<>&|~]|(?<![^\W_])_|_(?![^\W_])")
_BACKTICK_RUN = re.compile("`+")


def starts_formula(text: str) -> bool:
    """Whether a spreadsheet would evaluate `text` as a cell's content."""
    return text.startswith(FORMULA_START)


def csv_cell(text: str) -> str:
    """A free-text CSV cell a spreadsheet shows as text: a formula gets a leading apostrophe.
    Never for an identity column an import matches on (see reports/lms.py)."""
    return f"'{text}" if starts_formula(text) else text


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """CSV, one row per line ending in a newline, with every cell that holds a newline or a carriage
    return quoted (csv's writer quotes only the characters of its line terminator, so a writer
    ending lines in "\\n" leaves a lone "\\r" bare). Neutralising formulas is `csv_cell`'s job."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\r\n")
    lines = []
    for row in rows:
        writer.writerow(row)
        lines.append(stream.getvalue().removesuffix("\r\n") + "\n")
        stream.seek(0)
        stream.truncate()
    return "".join(lines)


def strip_controls(text: str) -> str:
    """`text` without control characters (newlines and tabs stay) and with what UTF-8 or XML
    cannot carry replaced by U+FFFD."""
    return _UNWRITABLE.sub("\ufffd", _CONTROLS.sub("", text))


def terminal(text: str) -> str:
    """For a Rich console (which prints with `emoji=False`): no control characters, markup shown
    as written."""
    return rich_escape(strip_controls(text))


def one_line(text: str) -> str:
    """Every run of whitespace (newlines included) as one space: text that must stay on its line."""
    return " ".join(strip_controls(text).split())


def md_text(text: str) -> str:
    """Inline Markdown that renders as exactly `text`, on one line (a newline could start a
    heading or a list; a `<script>` or a `[link](...)` shows as written)."""
    return _MARKDOWN_INLINE.sub(lambda m: "\\" + m.group(), one_line(text))


def _fence_for(text: str, shortest: int) -> str:
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    return "`" * max(shortest, longest + 1)


def md_code(text: str) -> str:
    """An inline code span holding exactly `text` on one line, whatever backticks it holds."""
    line = one_line(text)
    ticks = _fence_for(line, 1)
    return f"{ticks} {line} {ticks}" if "`" in line else f"{ticks}{line}{ticks}"


def md_fence(text: str, indent: str = "") -> list[str]:
    """The lines of a fenced code block holding `text`, each prefixed with `indent` (to stay in a
    list item): its fence is longer than any run of backticks inside, so nothing inside closes it."""
    body = strip_controls(text)
    fence = indent + _fence_for(body, 3)
    return [fence, *(indent + line for line in body.split("\n")), fence]
