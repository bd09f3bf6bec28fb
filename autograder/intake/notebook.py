"""Intake of a notebook: pick the notebook, read it leniently, keep only the code the tests need.

Nothing is executed here. A notebook is a script full of side effects (data downloads, training
runs, plots, `!pip install`) that a grader must not replay. It keeps, in notebook order, the
top-level imports, `def`s, `class`es, lambdas, assignments of literal constants and assignments to
the assignment's answer names; and, because graded code reads top-level helpers (`erf =
np.vectorize(math.erf)`, `FLOAT = np.float64`, a worked step `h1 = 1 * 0.45 + 0 * -0.12`), every
assignment to a global name that kept code reads, transitively, when what it computes calls only
builtins, numpy, math, scipy and the notebook's own functions and lambdas (`select`). Never a loop,
a `with`, `if` or `try` block, a bare expression, a data load or an object built from one of the
notebook's classes (`model = NeuralNetwork(layers)` is where training starts). The statements go to
the worker as a JSON file, and it runs them one by one (see `autograder.runtime.notebook_module`), so one
broken statement costs only what depends on it; every statement left out that defines a name, and
every cell that does not parse, is listed there too (`Unrun`), so that a test asking for that name
learns why it is missing.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import symtable
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from types import MappingProxyType

import nbformat

from autograder import N_
from autograder.intake.errors import IntakeError

# Cell magics whose body is ordinary Python; every other cell magic (%%bash, %%writefile...) is
# another language or a side effect, and its cell is dropped.
TRANSPARENT_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
IPYTHON_LINE = re.compile(r"^(\s*)(?:[%!?]|\w+\s*=\s*[%!]|\S+\?\s*$)")
MAX_CELL_CHARS = 200_000
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
KEPT_NODES = (ast.Import, ast.ImportFrom, *DEFINITIONS)
ASSIGNMENTS = (ast.Assign, ast.AugAssign, ast.AnnAssign)
# What a kept computation may call besides the notebook's own functions and lambdas.
PURE_MODULES = frozenset({"numpy", "math", "scipy"})
# ... except what reads or writes files: a data load never runs.
DATA_LOADS = ("numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile", "numpy.fromregex",
              "numpy.memmap", "numpy.save", "numpy.savetxt", "numpy.savez", "numpy.savez_compressed",
              "numpy.lib", "numpy.DataSource", "scipy.io", "scipy.datasets", "scipy.misc")
UNSAFE_BUILTINS = frozenset({"open", "input", "exec", "eval", "compile", "__import__", "breakpoint",
                             "help", "exit", "quit", "globals", "locals", "vars", "setattr",
                             "delattr"})
BUILTINS = frozenset(dir(builtins))
# The names a cell that does not parse seems to define, at the start of a line of its own.
DEFINED_AT_LINE_START = re.compile(
    r"^(?:(?:async\s+)?def|class)\s+([A-Za-z_]\w*)|^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)", re.M)


@dataclass(frozen=True)
class Statement:
    """One top-level statement to run in the worker, with where it came from."""

    cell: int
    line: int
    source: str
    # computed (not an import, a definition or a lambda): run within the time budget
    timed: bool = False


@dataclass(frozen=True)
class Unrun:
    """A top-level statement, or a whole cell, the worker does not run, with the names it defines:
    `why` completes "<name> ..." in the message of a test that asks for one of them."""

    cell: int
    line: int
    defines: tuple[str, ...]
    why: str


def choose_notebook(files: dict[PurePosixPath, bytes], expected: str, messages: list[str],
                    handed_out: Mapping[str, bytes] = MappingProxyType({}),
                    ) -> tuple[PurePosixPath, bytes]:
    """The notebook to grade: the one named as expected or as one of its translations
    (`notebook.ru.ipynb` beside `notebook.ipynb`), else the only one, else the first. A student of
    the Russian edition may hand in both as they were handed out, one of them filled in: of the
    notebooks so named, one whose code cells are still those of its version handed out
    (`handed_out`, by name) is passed over, and of the others the one named as expected wins (the
    feedback says which was graded when the student wrote in several)."""
    notebooks = sorted((p for p in files if p.suffix == ".ipynb" and
                        ".ipynb_checkpoints" not in p.parts), key=lambda p: (len(p.parts), str(p)))
    if not notebooks:
        others = ", ".join(sorted(str(p) for p in files)[:5]) or "nothing"
        raise IntakeError(N_(f"no Jupyter notebook (.ipynb) was found in the submission "
                             f"(found: {others}); hand in {expected}"))
    editions = [p for p in notebooks if is_edition(p.name, expected)]
    written = [p for p in editions if not _as_handed_out(files[p], handed_out.get(p.name))]
    candidates = sorted(written or editions, key=lambda p: p.name != expected)
    chosen = (candidates or notebooks)[0]
    if not editions and len(notebooks) > 1:
        names = ", ".join(map(str, notebooks))
        messages.append(N_(f"no notebook named {expected}; graded {chosen} (of {names})"))
    elif len(written) > 1:
        names = ", ".join(map(str, candidates))
        messages.append(N_(f"several notebooks named {chosen.name}; graded {chosen}")
                        if candidates[1].name == chosen.name
                        else N_(f"graded {chosen} (of {names})"))
    elif chosen.name != expected and any(p.name == expected for p in editions):
        messages.append(N_(f"{expected} is the notebook as handed out; graded {chosen}, "
                           "the one you wrote in"))
    return chosen, files[chosen]


def is_edition(name: str, expected: str) -> bool:
    """Whether `name` is the expected notebook or a translation of it (`notebook.ru.ipynb`)."""
    return name == expected or re.fullmatch(
        re.escape(expected.removesuffix(".ipynb")) + r"\.[a-z]{2}\.ipynb", name) is not None


def _as_handed_out(data: bytes, handed_out: bytes | None) -> bool:
    """Whether a notebook's code cells are those of its version handed out, untouched."""
    try:
        return handed_out is not None and read_cells(data, "", []) == read_cells(handed_out, "", [])
    except IntakeError:
        return False


def read_cells(data: bytes, name: str, messages: list[str]) -> list[str]:
    """The source of every code cell, from a notebook of format 3 or 4, valid or not quite."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        messages.append(N_(f"{name}: bytes that are not UTF-8 at offset {exc.start}; "
                           "they were replaced by '\ufffd'"))
        text = data.decode("utf-8", errors="replace")
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise IntakeError(N_(f"{name} is not a notebook: it is not valid JSON ({exc}). Save it "
                             "from Jupyter (File > Save) and hand it in again.")) from None
    if not isinstance(raw, dict) or not ({"cells", "worksheets"} & raw.keys()):
        raise IntakeError(N_(f"{name} is JSON but not a Jupyter notebook (no 'cells')."))
    try:
        notebook = nbformat.reads(text, as_version=4)
        cells = [cell for cell in notebook.cells if cell.get("cell_type") == "code"]
        sources = [cell.get("source", "") for cell in cells]
    except Exception as exc:  # nbformat raises many kinds on damaged files; read them by hand
        messages.append(N_(f"{name}: not a valid notebook ({type(exc).__name__}); "
                           "its code cells were read as they are"))
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


@dataclass(frozen=True)
class _TopLevel:
    """A top-level statement of a cell, with the global names it binds and reads."""

    cell: int
    node: ast.stmt
    source: str
    binds: frozenset[str]
    reads: frozenset[str]

    def as_statement(self) -> Statement:
        node = self.node
        computed = isinstance(node, ASSIGNMENTS) and not (
            node.value is None or isinstance(node.value, ast.Lambda) or _is_literal(node.value))
        return Statement(self.cell, _first_line(node), self.source, timed=computed)

    def unrun(self, reason: str) -> Unrun:
        """Left out: because of what it is (`reason`), or, with no reason, because nothing kept
        reads it."""
        cell = self.cell
        if not reason:
            why = N_(f"is defined in code cell {cell} by a statement the grader does not run: it "
                     "runs a top-level computation only when a function, class or answer of the "
                     "notebook reads its result.\n  Hint: compute it inside the function or class "
                     "that needs it, or define it as a function.")
        else:
            why = N_(f"is defined in code cell {cell} by a statement the grader does not run "
                     f"({reason}). The grader runs a notebook's imports, functions, classes and the "
                     "assignments they read, never its loops, data loads, plots or the objects it "
                     "builds from its classes.\n  Hint: define it at the top level of a cell, from "
                     "numbers, numpy, math, scipy or your own functions.")
        return Unrun(self.cell, _first_line(self.node), tuple(sorted(self.binds)), why)


def parse_cell(source: str, cell: int, messages: list[str]) -> list[_TopLevel] | Unrun:
    """The top-level statements of one cell (as Python), or, when it does not parse, what the
    cell seems to define and why it is skipped."""
    if len(source) > MAX_CELL_CHARS:
        messages.append(N_(f"code cell {cell}: longer than {MAX_CELL_CHARS} characters, skipped"))
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        messages.append(N_(f"code cell {cell}: syntax error at line {exc.lineno}: {exc.msg}. This cell "
                           "was skipped; the rest of the notebook was graded."))
        names = {a or b for a, b in DEFINED_AT_LINE_START.findall(source)}
        return Unrun(cell, exc.lineno or 1, tuple(sorted(names)),
                     N_(f"is defined in code cell {cell}, which has a syntax error at line "
                        f"{exc.lineno}: {exc.msg}. The grader skipped that cell.\n  Hint: fix the "
                        "error (running the cell shows it), run the cell again and hand the "
                        "notebook in again."))
    except (RecursionError, MemoryError, ValueError) as exc:
        messages.append(N_(f"code cell {cell}: could not be parsed ({type(exc).__name__}), skipped"))
        return []
    lines = source.splitlines()
    shared_lines = _lines_with_several_statements(tree.body)
    statements = []
    for node in tree.body:
        first, last = _first_line(node), node.end_lineno or node.lineno
        if shared_lines & set(range(first, last + 1)):
            text = ast.unparse(node)
        else:
            text = "\n".join(lines[first - 1:last])
        binds, reads = _global_names(text)
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            reads |= {node.target.id}  # `x += 1` reads x, which symtable does not say
        statements.append(_TopLevel(cell, node, text, binds, reads))
    return statements


def kept_statements(source: str, cell: int, answers: frozenset[str],
                    messages: list[str]) -> list[Statement]:
    """The statements of one cell the worker should run, the cell read as a whole notebook."""
    parsed = parse_cell(source, cell, messages)
    if isinstance(parsed, Unrun):
        return []
    return [s for s in select(parsed, answers) if isinstance(s, Statement)]


def _first_line(node: ast.stmt) -> int:
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def _lines_with_several_statements(body: list[ast.stmt]) -> set[int]:
    seen: dict[int, int] = {}
    for node in body:
        for line in {node.lineno, node.end_lineno or node.lineno}:
            seen[line] = seen.get(line, 0) + 1
    return {line for line, count in seen.items() if count > 1}


def _global_names(source: str) -> tuple[frozenset[str], frozenset[str]]:
    """The global names a top-level statement binds and those it reads, in the bodies of its
    functions, classes, lambdas and comprehensions too (Python's own scoping, by `symtable`)."""
    try:
        table = symtable.symtable(source, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset(), frozenset()
    binds = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    reads = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    scopes = list(table.get_children())
    while scopes:
        scope = scopes.pop()
        scopes += scope.get_children()
        for symbol in scope.get_symbols():
            if symbol.is_global() and symbol.is_referenced():
                reads.add(symbol.get_name())
            if symbol.is_declared_global() and symbol.is_assigned():
                binds.add(symbol.get_name())
    return frozenset(binds), frozenset(reads)


def select(statements: list[_TopLevel], answers: frozenset[str]) -> list[Statement | Unrun]:
    """What of the notebook's top-level statements runs, in notebook order (the module docstring
    says which), and, for each statement left out that defines names, why."""
    notebook = _Notebook(statements, answers)
    always = {i for i, s in enumerate(statements) if notebook.always(s)}
    refused = {i: reason for i, s in enumerate(statements)
               if i not in always and (reason := notebook.refusal(s))}
    computed = set(range(len(statements))) - always - set(refused)
    binders: dict[str, list[int]] = {}
    for i, statement in enumerate(statements):
        for name in statement.binds:
            binders.setdefault(name, []).append(i)
    while True:  # a computation that reads what a statement left out defines is left out too
        more = {i: f"it reads {name}, which a statement the grader does not run defines"
                for i in computed
                if (name := _unrun_read(i, statements[i].reads, binders, refused))}
        if not more:
            break
        refused.update(more)
        computed -= set(more)
    kept, needed = set(always), {n for i in always for n in statements[i].reads} | answers
    grown = True
    while grown:  # what kept code reads, transitively
        grown = False
        for i in sorted(computed - kept):
            if statements[i].binds & needed:
                kept.add(i)
                needed |= statements[i].reads
                grown = True
    selected: list[Statement | Unrun] = []
    for i, statement in enumerate(statements):
        if i in kept:
            selected.append(statement.as_statement())
        elif statement.binds:
            selected.append(statement.unrun(refused.get(i, "")))
    return selected


def _unrun_read(index: int, reads: frozenset[str], binders: dict[str, list[int]],
                refused: dict[int, str]) -> str:
    """A name statement `index` reads whose value comes from a statement left out: the last one
    binding it before `index` in notebook order (`X_train = X_train.reshape(...)` after a data
    load), or, when none comes before (cells run out of order), every one binding it."""
    for name in sorted(reads):
        others = [i for i in binders.get(name, ()) if i != index]
        before = [i for i in others if i < index]
        if (before and before[-1] in refused) or (others and not before
                                                  and all(i in refused for i in others)):
            return name
    return ""


class _Notebook:
    """What `select` needs to know of the whole notebook: its imports, functions and classes."""

    def __init__(self, statements: list[_TopLevel], answers: frozenset[str]) -> None:
        self.answers = answers
        self.modules: dict[str, str] = {}  # name -> the module or module member it was imported as
        self.functions: dict[str, _TopLevel] = {}
        self.classes: set[str] = set()
        self.assigned: set[str] = set()
        for statement in statements:
            node = statement.node
            if isinstance(node, ast.Import):
                self.modules.update({a.asname or a.name.partition(".")[0]:
                                     a.name if a.asname else a.name.partition(".")[0]
                                     for a in node.names})
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self.modules.update({a.asname or a.name: f"{node.module}.{a.name}"
                                     for a in node.names})
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = statement
            elif isinstance(node, ast.ClassDef):
                self.classes.add(node.name)
            else:  # what calling it computes is judged where it is bound (`select`)
                self.assigned |= statement.binds

    def always(self, statement: _TopLevel) -> bool:
        """Imports, definitions, lambdas, literal constants and answers run whoever reads them."""
        node = statement.node
        if isinstance(node, KEPT_NODES):
            return True
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            return False
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not all(isinstance(t, ast.Name) for t in targets):
            return False
        return (any(t.id in self.answers for t in targets)  # type: ignore[attr-defined]
                or isinstance(node.value, ast.Lambda) or _is_literal(node.value))

    def refusal(self, statement: _TopLevel) -> str:
        """Why a statement that is no import, definition, lambda, literal or answer never runs,
        or "" for a computation the worker runs when kept code reads what it binds."""
        node = statement.node
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            return N_("a loop")
        if isinstance(node, (ast.With, ast.AsyncWith)):
            return N_("a `with` block")
        if not isinstance(node, ASSIGNMENTS):
            return _kind(node)
        if node.value is None or not all(_names_only(t) for t in _targets(node)):
            return N_("an assignment to something other than a name")
        for call in _calls(node.value):
            reason = self.call_refusal(call.func, set())
            if reason:
                return reason
        return ""

    def call_refusal(self, func: ast.expr, visiting: set[str]) -> str:
        """Why calling `func` at the top level is not run, or "" (a call on a computed value, such
        as `np.arange(3).reshape(...)`, is judged by what computed it)."""
        dotted = _dotted(func)
        if dotted is None:
            return ""
        root, _, rest = dotted.partition(".")
        if root in self.classes:
            return N_(f"a call to {dotted}, which builds an object of a class of the notebook")
        if root in self.modules:
            qualified = ".".join(filter(None, (self.modules[root], rest)))
            if qualified.partition(".")[0] not in PURE_MODULES:
                return N_(f"a call to {dotted}")
            if any(qualified == d or qualified.startswith(d + ".") for d in DATA_LOADS):
                return N_(f"a data load: {dotted}")
            return ""
        if root in self.functions:
            inner = "" if root in visiting else self.function_refusal(self.functions[root],
                                                                       visiting | {root})
            return N_(f"a call to {root}, which makes {inner}") if inner else ""
        if root in self.assigned:
            return ""
        if root in BUILTINS and root not in UNSAFE_BUILTINS:
            return ""
        return N_(f"a call to {dotted}")

    def function_refusal(self, function: _TopLevel, visiting: set[str]) -> str:
        """Why calling one of the notebook's functions is not run: what it calls of the global
        names it reads (a data load, another library, one of the notebook's classes)."""
        for call in ast.walk(function.node):
            if isinstance(call, ast.Call):
                dotted = _dotted(call.func)
                if dotted and dotted.partition(".")[0] in function.reads:
                    reason = self.call_refusal(call.func, visiting)
                    if reason:
                        return reason
        return ""


def _kind(node: ast.stmt) -> str:
    kinds = {ast.Expr: N_("a bare expression"), ast.If: N_("an `if` block"), ast.Try: N_("a `try` block"),
             ast.Match: N_("a `match` block"), ast.Delete: N_("a `del`")}
    statement = type(node).__name__.lower()
    return next((text for kind, text in kinds.items() if isinstance(node, kind)),
                N_(f"a top-level `{statement}`"))


def _targets(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return node.targets
    return [node.target]  # type: ignore[attr-defined]


def _names_only(target: ast.expr) -> bool:
    """A name, or names to unpack into (`W, b = ...`)."""
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, ast.Starred):
        return _names_only(target.value)
    return isinstance(target, (ast.Tuple, ast.List)) and all(map(_names_only, target.elts))


def _calls(value: ast.expr) -> Iterator[ast.Call]:
    """The calls evaluating `value` makes (a lambda's body runs only when it is called)."""
    stack: list[ast.AST] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            yield node
        if isinstance(node, ast.Lambda):
            stack += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
        else:
            stack += ast.iter_child_nodes(node)


def _dotted(func: ast.expr) -> str | None:
    """`np.random.normal` for a call of a name or of attributes of a name, else None."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    return ".".join([func.id, *reversed(parts)])


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
                  messages: list[str]) -> tuple[list[Statement | Unrun], list[Source]]:
    """Every statement of the notebook the worker should run, in notebook order, with what it
    does not run and why (`select`), and every code cell the student wrote (for the scan), from
    one reading of the notebook."""
    statements: list[_TopLevel] = []
    unparsed: list[Unrun] = []
    cells: list[Source] = []
    for cell, source in enumerate(read_cells(data, name, messages), start=1):
        python = strip_ipython(source)
        if python is None:
            magic = source.split(maxsplit=1)[0]
            messages.append(N_(f"code cell {cell}: a cell magic ({magic}), skipped"))
            continue
        parsed = parse_cell(python, cell, messages)
        if isinstance(parsed, Unrun):
            unparsed.append(parsed)
        else:
            statements += parsed
        if len(source) <= MAX_CELL_CHARS:  # a cell magic's line is dropped, a line magic's kept
            cells.append(Source(f"cell {cell}", python,
                                len(source.splitlines()) - len(python.splitlines())))
    selected = select(statements, answers)
    if not any(isinstance(s, Statement) for s in selected):
        messages.append(N_(f"{name}: no imports, functions or classes were found in its code cells"))
    return [*selected, *unparsed], cells


def notebook_statements(data: bytes, name: str, answers: frozenset[str],
                        messages: list[str]) -> list[Statement]:
    """Every statement of the notebook the worker should run, in notebook order."""
    return [s for s in read_notebook(data, name, answers, messages)[0] if isinstance(s, Statement)]


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


def statements_file(statements: Iterable[Statement | Unrun]) -> bytes:
    """The file the worker reads (plain JSON: the worker never unpickles, neither do we): the
    statements to run, and those it does not run (no "source"), for its explanations."""
    return json.dumps([asdict(s) for s in statements], indent=1).encode()
