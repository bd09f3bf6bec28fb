"""A static scan of what a student wrote, per task: facts for the instructor, never deductions.

Nothing runs here: the code is parsed with `ast` in the trusted process. The scan reports

- `forbidden-import`: a library that would compute the answers (torch, keras, jax...);
- `escape`: ways out of plain Python and NumPy: processes, sockets, C calls, dynamic imports and code;
- `monkeypatch`: changes to numpy, scipy, math or the builtins, which all other code then sees;
- `grader-internals`: the grader's own modules, the interpreter's frames, object lists and module
  table, /proc, files outside the submission;

and whatever the hints it is given report: rules for slow code, told of every node it walks and
reporting through it (`Hint`; grading's is `grading.batch_loops`, beside the speed check).

Where a construct counts. A package is graded code throughout: everything in it is reported. A
notebook is also the student's lab book (the course's own notebooks import torch for demos,
download data, plot), so outside its tasks' code only what has no honest use anywhere is reported:
monkeypatching and reaching into the grader. Every code cell is scanned, also those intake drops.

Which task. Each task names in assignment.toml the classes, functions, methods ("Class.method") or
answer variables it grades (`code = [...]`). A construct belongs to the task of the innermost
definition around it that a task names; a module-level function that a task's code refers to by
name (a helper) counts as that task's code too (`intake.namespace`). Anything else belongs to the
submission (task "").
"""

from __future__ import annotations

import ast
import contextlib
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from autograder.config import AssignmentSpec
from autograder.intake.bundle import SourceBundle
from autograder.intake.namespace import Namespace, constant_text, defined_names
from autograder.intake.notebook import Source
from autograder.results import Finding

ANSWER_LIBRARIES = frozenset({
    "torch", "torchvision", "torchaudio", "tensorflow", "keras", "jax", "jaxlib", "flax", "autograd",
    "theano", "mxnet", "paddle", "chainer", "lightning", "pytorch_lightning", "cupy",
})
ESCAPE_MODULES = frozenset({
    "ctypes", "_ctypes", "cffi", "subprocess", "_posixsubprocess", "socket", "_socket",
    "multiprocessing", "importlib", "pty", "resource", "signal", "mmap", "posix",
})
ESCAPE_CALLS = frozenset({
    "os.system", "os.popen", "os.fork", "os.forkpty", "os.kill", "os.killpg", "os._exit",
    "os.setsid", "os.setuid", "os.setgid", "builtins.exec", "builtins.eval", "builtins.compile",
    "builtins.__import__", "builtins.breakpoint",
})
ESCAPE_CALL_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")
PUBLIC_KIT_MODULES = ("autograder.datasets", "autograder.selfcheck")  # meant for notebooks
INTERPRETER_INTERNALS = frozenset({
    "sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile", "sys.addaudithook",
    "sys.meta_path", "sys.path_hooks", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
    "inspect.stack", "inspect.currentframe", "inspect.getouterframes", "inspect.getinnerframes",
    "inspect.trace", "threading.settrace", "threading.setprofile", "traceback.walk_stack",
})
FRAME_ATTRIBUTES = frozenset({
    "f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame", "cr_frame", "ag_frame",
    "__globals__", "__subclasses__",
})
PROTECTED_MODULES = frozenset({"numpy", "scipy", "math", "builtins"})
MUTATORS = frozenset({"update", "pop", "clear", "setdefault", "popitem", "__setitem__",
                      "__delitem__", "__setattr__", "__delattr__"})
FILE_FUNCTIONS = frozenset({
    "builtins.open", "io.open", "os.open", "os.listdir", "os.scandir", "os.walk", "os.stat",
    "os.remove", "os.unlink", "os.rename", "glob.glob", "glob.iglob", "pathlib.Path",
    "pathlib.PurePath", "numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile",
    "numpy.save", "gzip.open", "shutil.copy", "shutil.copyfile", "shutil.rmtree",
})
# a path outside the submission: absolute, in a home folder, or up from it
OUTSIDE_PATH = re.compile(r"^(?:/[\w.]|~/|\.\.(?:/|$))")
CONSTRUCT_CHARS = 120
# The scan reads this much code at most, smallest files or cells first (the references are
# ~30,000 characters; a 1 MB file of small functions takes a few seconds to walk).
MAX_SCAN_CHARS = 1_000_000
# Python parses expressions nested some 3,000 deep (a long chain of `+`); walking one takes a few
# frames a level, far beyond the default limit of 1,000 (Python-to-Python calls use no C stack).
SCAN_RECURSION_LIMIT = 20_000

# Where a construct sits, from most to least scrutinised: a task's code, other code that is
# graded (a package's), other code the student wrote (a notebook's lab-book cells and helpers).
TASK, GRADED, OTHER = "task", "graded", "other"


class Hint(Protocol):
    """A rule for slow code, told of every node the scanner walks before the node's children; it
    reports through the scanner (`Scanner.report`), which files it under the place's tasks."""

    def check(self, node: ast.AST) -> None: ...


# What a caller hands the scan: makes one source's hint, given the scanner walking it.
HintRule = Callable[["Scanner"], Hint]


def scan_submission(bundle: SourceBundle, spec: AssignmentSpec, *,
                    hints: Sequence[HintRule] = ()) -> tuple[Finding, ...]:
    """Every finding in the code intake read from the submission (code that does not parse is
    skipped: the worker and intake say where), and what `hints` report."""
    return scan_sources(bundle.code, code_owners(spec), is_notebook=bool(spec.notebook), hints=hints)


def code_owners(spec: AssignmentSpec) -> dict[str, str]:
    """Each name a task lists in `code`, mapped to that task."""
    return {name: task.name for task in spec.tasks for name in task.code}


def scan_sources(sources: list[Source], owners: Mapping[str, str], *, is_notebook: bool,
                 hints: Sequence[HintRule] = ()) -> tuple[Finding, ...]:
    """Findings in `sources`: a notebook's cells share one namespace, a package's files do not."""
    findings: dict[tuple[str, str, int], Finding] = {}
    scanned, left_out = _within_budget(sources)
    if left_out:
        findings[("", left_out[0].where, 1)] = Finding(
            "unscanned", "", left_out[0].where, 1,
            f"{len(left_out)} file(s) or cell(s), {sum(len(s.text) for s in left_out)} characters")
    with _recursion_limit(SCAN_RECURSION_LIMIT):
        trees = []
        for source in scanned:
            try:
                trees.append((source, ast.parse(source.text)))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
        for group in [trees] if is_notebook else [[pair] for pair in trees]:
            try:
                namespace = Namespace([tree for _, tree in group], owners)
                found = [f for source, tree in group
                         for f in Scanner(source, namespace, is_notebook, hints).scan(tree)]
            except RecursionError:  # deeper than Python can compile: it never runs either
                continue
            for finding in found:
                findings.setdefault((finding.task, finding.where, finding.line), finding)
    return tuple(findings.values())


def _within_budget(sources: list[Source]) -> tuple[list[Source], list[Source]]:
    """The sources the scan reads (in their order) and those beyond MAX_SCAN_CHARS (largest)."""
    budget, read = MAX_SCAN_CHARS, set()
    for index, source in sorted(enumerate(sources), key=lambda pair: len(pair[1].text)):
        if len(source.text) > budget:
            break
        budget -= len(source.text)
        read.add(index)
    return ([s for i, s in enumerate(sources) if i in read],
            [s for i, s in enumerate(sources) if i not in read])


@contextlib.contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    """Room to walk the deepest code Python parses; the grading process has no other thread."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of every docstring's node (they are prose, not paths)."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and constant_text(body[0].value) is not None:
            found.add(id(body[0].value))
    return found


@dataclass(frozen=True)
class Place:
    """Where the scanner is: the tasks owning the code, how closely it is looked at, and the
    function around it (for hints: a batch loop is over its arguments)."""

    tasks: tuple[str, ...]
    level: str
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    qualname: str = ""


class Scanner(ast.NodeVisitor):
    """Walks one source, reporting what its place allows (see the module docstring) and what its
    hints report."""

    def __init__(self, source: Source, namespace: Namespace, is_notebook: bool,
                 hints: Sequence[HintRule] = ()) -> None:
        self.source, self.namespace, self.is_notebook = source, namespace, is_notebook
        self.lines = source.text.splitlines()
        self.findings: list[Finding] = []
        self.place = Place(("",), GRADED)
        self.skipped: set[int] = set()  # node ids already judged (docstrings, membership tests)
        self.hints = [make(self) for make in hints]

    def scan(self, tree: ast.Module) -> list[Finding]:
        self.skipped = _docstrings(tree)
        for node in tree.body:
            self.place = self._top_level_place(node)
            self.visit(node)
        return self.findings

    def visit(self, node: ast.AST) -> None:
        """Tell the hints of `node`, then judge it (its children after it)."""
        for hint in self.hints:
            hint.check(node)
        super().visit(node)

    def _top_level_place(self, node: ast.stmt) -> Place:
        other = Place(("",), OTHER if self.is_notebook else GRADED)
        if isinstance(node, ast.Assign):  # an answer variable a task names
            tasks = sorted({self.namespace.owners[name] for name in defined_names(node)
                            if name in self.namespace.owners})
            return Place(tuple(tasks), TASK) if tasks else other
        return other

    # -- places ------------------------------------------------------------------------------------

    def _enter(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        outer = self.place
        qualname = f"{outer.qualname}.{node.name}" if outer.qualname else node.name
        tasks = self.namespace.owner(qualname)
        function = node if not isinstance(node, ast.ClassDef) else outer.function
        self.place = (Place(tasks, TASK, function, qualname) if tasks
                      else Place(outer.tasks, outer.level, function, qualname))
        self.generic_visit(node)
        self.place = outer

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _enter

    # -- reporting ---------------------------------------------------------------------------------

    def report(self, kind: str, node: ast.AST, *, least: str = GRADED,
               tasks: tuple[str, ...] = ()) -> None:
        """Report `kind` at `node` if the current place is looked at at least as closely as `least`
        (TASK: only in a task's code; GRADED: in graded code; OTHER: anywhere), under the place's
        tasks, or under `tasks` when given (what the node defines belongs to them)."""
        order = (TASK, GRADED, OTHER)
        if not tasks and order.index(self.place.level) > order.index(least):
            return
        line = getattr(node, "lineno", 1)
        text = self.lines[line - 1].strip() if line <= len(self.lines) else ""
        if len(text) > CONSTRUCT_CHARS:
            text = text[:CONSTRUCT_CHARS - 3] + "..."
        for task in tasks or self.place.tasks:
            self.findings.append(Finding(kind, task, self.source.where,
                                         line + self.source.line_offset, text))

    def _library_kind(self, module: str) -> str | None:
        root = module.partition(".")[0]
        return ("forbidden-import" if root in ANSWER_LIBRARIES
                else "escape" if root in ESCAPE_MODULES else None)

    # -- imports -----------------------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._imported(node, alias.name, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.level and node.module:  # a relative import is of the student's own modules
            for alias in node.names:
                self._imported(node, node.module, f"{node.module}.{alias.name}",
                               alias.asname or alias.name)

    def _imported(self, node: ast.stmt, module: str, name: str, bound: str = "") -> None:
        """`import module` or `from module import name` (a top-level import of a library in a
        notebook is reported where task code uses the name, see `visit_Name`). An import of the
        grader's own modules that binds a name a task grades is that task's."""
        if _is_grader_internal(name):
            self.report("grader-internals", node, least=OTHER,
                        tasks=self.namespace.owner(bound) if bound else ())
        kind = self._library_kind(module)
        if kind:
            self.report(kind, node)

    # -- names and attributes ----------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__":
            self.report("grader-internals", node, least=OTHER)
        elif isinstance(node.ctx, ast.Load) and node.id in self.namespace.top_level_modules:
            module = self.namespace.modules[node.id]
            kind = self._library_kind(module)
            if kind:
                self.report(kind, node)
            self._internal_reference(module, node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in FRAME_ATTRIBUTES:
            self.report("grader-internals", node, least=OTHER)
        dotted = self.namespace.dotted(node)
        if dotted:
            self._internal_reference(dotted, node)
        self.generic_visit(node)

    def _internal_reference(self, dotted: str, node: ast.expr) -> None:
        if dotted in INTERPRETER_INTERNALS:
            self.report("grader-internals", node, least=OTHER)
        elif _is_grader_internal(dotted):  # the import itself is reported wherever it is
            self.report("grader-internals", node)
        elif dotted == "sys.modules" and id(node) not in self.skipped:
            self.report("grader-internals", node)  # reading it: in graded code only

    def visit_Compare(self, node: ast.Compare) -> None:
        """`"google.colab" in sys.modules` is an honest question, not a reach into the grader."""
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn) and self.namespace.dotted(right) == "sys.modules":
                self.skipped.add(id(right))
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """Only the start of an f-string can be a path (`f"{done}/total"` is not one)."""
        self.skipped.update(id(value) for value in node.values[1:])
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        """Nor can the end of a concatenation (`str(done) + "/total"`)."""
        self.skipped.add(id(node.right))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        text = constant_text(node)
        if text is not None and id(node) not in self.skipped and OUTSIDE_PATH.match(text):
            self.report("grader-internals", node)

    # -- changes to shared modules -----------------------------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._changed(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign | ast.AnnAssign) -> None:
        self._changed(node.target)
        self.generic_visit(node)

    visit_AnnAssign = visit_AugAssign

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._changed(target)
        self.generic_visit(node)

    def _changed(self, target: ast.expr) -> None:
        """An assignment to, or deletion of, an attribute or item of a shared module."""
        for element in target.elts if isinstance(target, ast.Tuple | ast.List) else [target]:
            if isinstance(element, ast.Attribute | ast.Subscript):
                self._changes_module(self.namespace.dotted(element.value), element)
                if isinstance(element, ast.Attribute):
                    self._changes_module(self.namespace.dotted(element), element)

    def _changes_module(self, module: str | None, node: ast.AST) -> None:
        if module is None:
            return
        if module.partition(".")[0] in PROTECTED_MODULES:
            self.report("monkeypatch", node, least=OTHER)
        elif module == "sys.modules":
            self.report("grader-internals", node, least=OTHER)

    # -- calls ---------------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        callee = self.namespace.callee(node) or ""
        if callee in ("builtins.setattr", "builtins.delattr") and node.args:
            self._changes_module(self.namespace.dotted(node.args[0]), node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            self._changes_module(self.namespace.dotted(node.func.value), node)  # np.__dict__.update
        if callee in ESCAPE_CALLS or callee.startswith(ESCAPE_CALL_PREFIXES):
            self.report("escape", node)
        if callee in ("builtins.__import__", "importlib.import_module") and node.args \
                and _is_grader_internal(constant_text(node.args[0]) or ""):
            self.report("grader-internals", node, least=OTHER)
        if callee in FILE_FUNCTIONS and node.args and OUTSIDE_PATH.match(
                self.namespace.text(node.args[0]) or ""):
            self.report("grader-internals", node)
        self.generic_visit(node)

def _is_grader_internal(module: str) -> bool:
    return (module == "autograder" or module.startswith("autograder.")) and not any(
        module == public or module.startswith(public + ".") for public in PUBLIC_KIT_MODULES)
