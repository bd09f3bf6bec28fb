"""Intake of a notebook: pick the notebook, read it leniently, keep only the code the tests need.

Nothing is executed here. A notebook is a script full of side effects (data downloads, training
runs, plots, `!pip install`) that a grader must not replay: it keeps the top-level imports, `def`s,
`class`es, assignments of literal constants and assignments to the assignment's answer names, and
hands them to the worker as separate statements in a JSON file, which the worker runs one by one
(see `autograder.runtime.notebook`), so one broken statement costs only what depends on it.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath

import nbformat

from autograder.intake.errors import IntakeError

# Cell magics whose body is ordinary Python; every other cell magic (%%bash, %%writefile...) is
# another language or a side effect, and its cell is dropped.
TRANSPARENT_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
IPYTHON_LINE = re.compile(r"^(\s*)(?:[%!?]|\w+\s*=\s*[%!]|\S+\?\s*$)")
MAX_CELL_CHARS = 200_000
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
KEPT_NODES = (ast.Import, ast.ImportFrom, *DEFINITIONS)


@dataclass(frozen=True)
class Statement:
    """One top-level statement to run in the worker, with where it came from."""

    cell: int
    line: int
    source: str


def choose_notebook(files: dict[PurePosixPath, bytes], expected: str,
                    messages: list[str]) -> tuple[PurePosixPath, bytes]:
    """The notebook to grade: the one named as expected, else the only one, else the first."""
    notebooks = sorted((p for p in files if p.suffix == ".ipynb" and
                        ".ipynb_checkpoints" not in p.parts), key=lambda p: (len(p.parts), str(p)))
    if not notebooks:
        others = ", ".join(sorted(str(p) for p in files)[:5]) or "nothing"
        raise IntakeError(f"no Jupyter notebook (.ipynb) was found in the submission "
                          f"(found: {others}); hand in {expected}")
    named = [p for p in notebooks if p.name == expected]
    chosen = (named or notebooks)[0]
    if not named and len(notebooks) > 1:
        messages.append(f"no notebook named {expected}; graded {chosen} "
                        f"(of {', '.join(map(str, notebooks))})")
    elif len(named) > 1:
        messages.append(f"several notebooks named {expected}; graded {chosen}")
    return chosen, files[chosen]


def read_cells(data: bytes, name: str, messages: list[str]) -> list[str]:
    """The source of every code cell, from a notebook of format 3 or 4, valid or not quite."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        messages.append(f"{name}: bytes that are not UTF-8 at offset {exc.start}; "
                        "they were replaced by '\ufffd'")
        text = data.decode("utf-8", errors="replace")
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise IntakeError(f"{name} is not a notebook: it is not valid JSON ({exc}). Save it "
                          "from Jupyter (File > Save) and hand it in again.") from None
    if not isinstance(raw, dict) or not ({"cells", "worksheets"} & raw.keys()):
        raise IntakeError(f"{name} is JSON but not a Jupyter notebook (no 'cells').")
    try:
        notebook = nbformat.reads(text, as_version=4)
        cells = [cell for cell in notebook.cells if cell.get("cell_type") == "code"]
        sources = [cell.get("source", "") for cell in cells]
    except Exception as exc:  # nbformat raises many kinds on damaged files; read them by hand
        messages.append(f"{name}: not a valid notebook ({type(exc).__name__}); "
                        "its code cells were read as they are")
        sources = _raw_code_sources(raw)
    return [s if isinstance(s, str) else "".join(map(str, s)) for s in sources]


def _raw_code_sources(raw: dict) -> list[object]:
    cells = raw.get("cells")
    if not isinstance(cells, list):  # format 3 keeps cells in worksheets, as "input"
        cells = [c for w in raw.get("worksheets") or [] if isinstance(w, dict)
                 for c in w.get("cells") or []]
    return [c.get("source", c.get("input", "")) for c in cells
            if isinstance(c, dict) and c.get("cell_type") == "code"]


def strip_ipython(source: str) -> str | None:
    """The cell as plain Python: magics and shell escapes become `pass`; None drops the cell.

    A cell that already parses as Python is left alone, so a string line starting with `%` is
    never touched."""
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    else:
        return source
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(maxsplit=1)
        if not magic or magic[0] not in TRANSPARENT_CELL_MAGICS:
            return None
        lines = lines[1:]
    return "\n".join(IPYTHON_LINE.sub(r"\1pass  # ", line) if IPYTHON_LINE.match(line) else line
                     for line in lines)


def kept_statements(source: str, cell: int, answers: frozenset[str],
                    messages: list[str]) -> list[Statement]:
    """The statements of one cell the worker should run (see the module docstring)."""
    if len(source) > MAX_CELL_CHARS:
        messages.append(f"code cell {cell}: longer than {MAX_CELL_CHARS} characters, skipped")
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        messages.append(f"code cell {cell}: syntax error at line {exc.lineno}: {exc.msg}. This cell "
                        "was skipped; the rest of the notebook was graded.")
        return []
    except (RecursionError, MemoryError, ValueError) as exc:
        messages.append(f"code cell {cell}: could not be parsed ({type(exc).__name__}), skipped")
        return []
    lines = source.splitlines()
    shared_lines = _lines_with_several_statements(tree.body)
    kept = []
    for node in tree.body:
        if not _is_kept(node, answers):
            continue
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        last = node.end_lineno or node.lineno
        if shared_lines & set(range(first, last + 1)):
            text = ast.unparse(node)
        else:
            text = "\n".join(lines[first - 1:last])
        kept.append(Statement(cell, first, text))
    return kept


def _lines_with_several_statements(body: list[ast.stmt]) -> set[int]:
    seen: dict[int, int] = {}
    for node in body:
        for line in {node.lineno, node.end_lineno or node.lineno}:
            seen[line] = seen.get(line, 0) + 1
    return {line for line, count in seen.items() if count > 1}


def _is_kept(node: ast.stmt, answers: frozenset[str]) -> bool:
    if isinstance(node, KEPT_NODES):
        return True
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets, value = [node.target], node.value
    else:
        return False
    if not all(isinstance(t, ast.Name) for t in targets):
        return False
    return any(t.id in answers for t in targets) or _is_literal(value)


def _is_literal(value: ast.expr) -> bool:
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


@dataclass(frozen=True)
class Source:
    """One unit of the student's code as handed in, for the static scan (intake.scan): a file of
    the package, or a notebook's code cell (as Python)."""

    where: str
    text: str
    line_offset: int = 0  # lines dropped from the top (a cell magic such as %%time)


def read_notebook(data: bytes, name: str, answers: frozenset[str],
                  messages: list[str]) -> tuple[list[Statement], list[Source]]:
    """Every statement of the notebook the worker should run, in notebook order, and every code
    cell the student wrote (for the scan), from one reading of the notebook."""
    statements: list[Statement] = []
    cells: list[Source] = []
    for cell, source in enumerate(read_cells(data, name, messages), start=1):
        python = strip_ipython(source)
        if python is None:
            messages.append(f"code cell {cell}: a cell magic ({source.split(maxsplit=1)[0]}), skipped")
            continue
        statements += kept_statements(python, cell, answers, messages)
        if len(source) <= MAX_CELL_CHARS:  # a cell magic's line is dropped, a line magic's kept
            cells.append(Source(f"cell {cell}", python,
                                len(source.splitlines()) - len(python.splitlines())))
    if not statements:
        messages.append(f"{name}: no imports, functions or classes were found in its code cells")
    return statements, cells


def notebook_statements(data: bytes, name: str, answers: frozenset[str],
                        messages: list[str]) -> list[Statement]:
    """Every statement of the notebook the worker should run, in notebook order."""
    return read_notebook(data, name, answers, messages)[0]


# The cell number of the kit's copy of the given code, which runs before the notebook's first cell.
GIVEN_CELL = 0


def given_statements(template: bytes, name: str, given: Iterable[str]) -> list[Statement]:
    """The kit's copy of the course's given classes and functions, to run before the student's cells.

    Taken from the course's template notebook (`template`, the kit's student version): every
    top-level class or function `given` names whole (a given method alone, "Class.method", belongs
    to a class the student writes), after the template's imports whose names their code reads.
    The student's cells run next and replace whatever they define again, so a notebook grades
    whether it keeps the given cells, drops them, or names a given class differently (an earlier
    edition of the seed-004 notebook calls its container `SomeNetwork`): given code is never
    graded, and the tests may rely on it being there as the course wrote it. The statements are
    numbered one after another in cell `GIVEN_CELL`, so a traceback through them reads the kit's copy.
    """
    wanted = {entry for entry in given if "." not in entry}
    imports: list[ast.stmt] = []
    definitions: list[ast.stmt] = []
    for source in read_cells(template, name, []):
        python = strip_ipython(source)
        try:
            tree = ast.parse(python or "")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        imports += [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        definitions += [n for n in tree.body if isinstance(n, DEFINITIONS) and n.name in wanted]
    read = {n.id for d in definitions for n in ast.walk(d) if isinstance(n, ast.Name)}
    needed = [i for i in imports
              if {(a.asname or a.name).split(".")[0] for a in i.names} & read]
    statements, line = [], 1
    for node in needed + definitions:
        text = ast.unparse(node)
        statements.append(Statement(GIVEN_CELL, line, text))
        line += len(text.splitlines()) + 1
    return statements


def statements_file(statements: list[Statement]) -> bytes:
    """The file the worker reads (plain JSON: the worker never unpickles, neither do we)."""
    return json.dumps([asdict(s) for s in statements], indent=1).encode()
