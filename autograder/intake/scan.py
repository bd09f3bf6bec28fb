"""A static scan of what a student wrote, per task: facts for the instructor, never deductions.

Nothing runs here: the code is parsed with `ast` in the trusted process. The scan reports

- `forbidden-import`: a library that would compute the answers (torch, keras, jax...);
- `escape`: ways out of plain Python and NumPy: processes, sockets, C calls, dynamic imports and code;
- `monkeypatch`: changes to numpy, scipy, math or the builtins, which all other code then sees;
- `grader-internals`: the grader's own modules, the interpreter's frames, object lists and module
  table, /proc, files outside the submission;

and, as a hint for slow code (see `grading.speed`), `batch-loop`: a Python loop over the samples of
a batch in a task's code.

Where a construct counts. A package is graded code throughout: everything in it is reported. A
notebook is also the student's lab book (the course's own notebooks import torch for demos,
download data, plot), so outside its tasks' code only what has no honest use anywhere is reported:
monkeypatching and reaching into the grader. Every code cell is scanned, also those intake drops.

Which task. Each task names in assignment.toml the classes, functions, methods ("Class.method") or
answer variables it grades (`code = [...]`). A construct belongs to the task of the innermost
definition around it that a task names; a module-level function that a task's code refers to by
name (a helper) counts as that task's code too. Anything else belongs to the submission (task "").
"""

from __future__ import annotations

import ast
import contextlib
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from autograder.config import AssignmentSpec
from autograder.intake.bundle import SourceBundle
from autograder.intake.notebook import Source
from autograder.results import Finding

# What each kind means, in words for the student (feedback) and the instructor (flags).
KINDS = {
    "forbidden-import": "uses a library that graded code may not use (it would compute the answer)",
    "escape": "leaves plain Python and NumPy (processes, sockets, C calls, dynamic imports or code)",
    "monkeypatch": "changes NumPy, SciPy, math or Python's built-ins for all code, not only yours",
    "grader-internals": "reaches into the grader, the interpreter's internals or files outside "
                        "your submission",
    "unscanned": "more code than the scan reads: the largest files or cells were not scanned",
}
HINTS = {
    "batch-loop": "a Python loop over the samples of a batch: one NumPy expression over the whole "
                  "batch is usually many times faster",
}
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
BUILTIN_CALLEES = frozenset({"open", "exec", "eval", "compile", "__import__", "breakpoint",
                             "setattr", "delattr", "vars"})
FILE_FUNCTIONS = frozenset({
    "builtins.open", "io.open", "os.open", "os.listdir", "os.scandir", "os.walk", "os.stat",
    "os.remove", "os.unlink", "os.rename", "glob.glob", "glob.iglob", "pathlib.Path",
    "pathlib.PurePath", "numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile",
    "numpy.save", "gzip.open", "shutil.copy", "shutil.copyfile", "shutil.rmtree",
})
# a path outside the submission: absolute, in a home folder, or up from it
OUTSIDE_PATH = re.compile(r"^(?:/[\w.]|~/|\.\.(?:/|$))")
# attributes that show an argument is an array (a batch loop is over an array's samples)
ARRAY_ATTRIBUTES = frozenset({"shape", "ndim", "dtype", "T", "reshape", "size", "astype"})
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


def scan_submission(bundle: SourceBundle, spec: AssignmentSpec) -> tuple[Finding, ...]:
    """Every finding in the code intake read from the submission (code that does not parse is
    skipped: the worker and intake say where)."""
    return scan_sources(bundle.code, code_owners(spec), is_notebook=bool(spec.notebook))


def code_owners(spec: AssignmentSpec) -> dict[str, str]:
    """Each name a task lists in `code`, mapped to that task."""
    return {name: task.name for task in spec.tasks for name in task.code}


def scan_sources(sources: list[Source], owners: Mapping[str, str], *,
                 is_notebook: bool) -> tuple[Finding, ...]:
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
                         for f in Scanner(source, namespace, is_notebook).scan(tree)]
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


class Namespace:
    """What a module's names mean: the modules its imports bind, its string constants, and which
    tasks own its top-level definitions (helpers included)."""

    def __init__(self, trees: list[ast.Module], owners: Mapping[str, str]) -> None:
        self.owners = owners
        self.modules: dict[str, str] = {}  # name -> the module (or module attribute) it is bound to
        self.top_level_modules: set[str] = set()  # of those, the names bound at the top level
        self.constants: dict[str, str] = {}  # top-level names bound to a string constant
        for tree in trees:
            top_level = {id(node) for node in tree.body}
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    self._bind(node, top_level=id(node) in top_level)
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and isinstance(node.targets[0], ast.Name):
                    self._alias(node.targets[0].id, node.value)
        self.helpers = self._helpers(trees)

    def _bind(self, node: ast.Import | ast.ImportFrom, top_level: bool) -> None:
        for alias in node.names:
            if isinstance(node, ast.Import):
                name = alias.asname or alias.name.partition(".")[0]
                bound = alias.name if alias.asname else name
            elif node.level or alias.name == "*":
                continue  # the student's own modules; a star import is reported where it is
            else:
                name, bound = alias.asname or alias.name, f"{node.module}.{alias.name}"
            self.modules[name] = bound
            if top_level:
                self.top_level_modules.add(name)

    def _alias(self, name: str, value: ast.expr) -> None:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.constants[name] = value.value
        elif (module := self.dotted(value)) is not None:  # xp = np
            self.modules[name] = module
            self.top_level_modules.add(name)

    def dotted(self, node: ast.expr) -> str | None:
        """The module path an expression stands for (`np.testing` -> "numpy.testing"), if any."""
        if isinstance(node, ast.Name):
            return "builtins" if node.id == "__builtins__" else self.modules.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Subscript) and self.dotted(node.value) == "sys.modules":
            return _constant_text(node.slice)  # sys.modules["numpy"]
        if isinstance(node, ast.Call) and node.args and self.callee(node) in (
                "builtins.__import__", "importlib.import_module", "builtins.vars"):
            return _constant_text(node.args[0]) or self.dotted(node.args[0])
        return None

    def callee(self, call: ast.Call) -> str | None:
        func = call.func
        if isinstance(func, ast.Name) and func.id in BUILTIN_CALLEES and func.id not in self.modules:
            return f"builtins.{func.id}"
        return self.dotted(func)

    def text(self, node: ast.expr) -> str | None:
        """The leading text of a path expression: a constant, a top-level constant's name, or the
        start of a concatenation, an f-string or an os.path.join."""
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.BinOp):
            return self.text(node.left)
        if isinstance(node, ast.JoinedStr) and node.values:
            return self.text(node.values[0])
        if isinstance(node, ast.Call) and node.args and self.callee(node) == "os.path.join":
            return self.text(node.args[0])
        return _constant_text(node)

    def owner(self, qualname: str) -> tuple[str, ...]:
        """The tasks that own a definition: by its own name ("Class.method"), else its class's,
        else as a helper of task code."""
        parts = qualname.split(".")
        for end in range(len(parts), 0, -1):
            if ".".join(parts[:end]) in self.owners:
                return (self.owners[".".join(parts[:end])],)
        return tuple(sorted(self.helpers.get(qualname, ())))

    def _helpers(self, trees: list[ast.Module]) -> dict[str, set[str]]:
        """Top-level functions no task names, by the tasks whose code refers to them (at any
        remove: a helper's helper too)."""
        definitions: dict[str, list[ast.AST]] = {}
        for tree in trees:
            for node in tree.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Assign):
                    for name in _defined_names(node):
                        definitions.setdefault(name, []).append(node)
        functions = {name for name, nodes in definitions.items() if name not in self.owners
                     and any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) for n in nodes)}
        helpers: dict[str, set[str]] = {}
        pending = [(task, node) for name, task in self.owners.items()
                   for node in _definitions_of(name, definitions)]
        while pending:
            task, node = pending.pop()
            for used in _names_used(node) & functions:
                if task not in helpers.setdefault(used, set()):
                    helpers[used].add(task)
                    pending += [(task, definition) for definition in definitions[used]]
        return helpers


def _definitions_of(qualname: str, definitions: dict[str, list[ast.AST]]) -> list[ast.AST]:
    """The nodes that define "Class.method" (or a top-level name)."""
    first, *rest = qualname.split(".")
    nodes = definitions.get(first, [])
    for part in rest:
        nodes = [child for node in nodes for child in getattr(node, "body", [])
                 if getattr(child, "name", None) == part]
    return nodes


def _defined_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    return [node.name]  # type: ignore[attr-defined]


def _names_used(node: ast.AST) -> set[str]:
    """The free names a definition reads (a local variable `loss` is not the function `loss`)."""
    loaded, bound = set(), set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (loaded if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
    return loaded - bound


def _constant_text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of every docstring's node (they are prose, not paths)."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and _constant_text(body[0].value) is not None:
            found.add(id(body[0].value))
    return found


@dataclass(frozen=True)
class Place:
    """Where the scanner is: the tasks owning the code, how closely it is looked at, and the
    function around it (for batch loops)."""

    tasks: tuple[str, ...]
    level: str
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    qualname: str = ""


class Scanner(ast.NodeVisitor):
    """Walks one source, reporting what its place allows (see the module docstring)."""

    def __init__(self, source: Source, namespace: Namespace, is_notebook: bool) -> None:
        self.source, self.namespace, self.is_notebook = source, namespace, is_notebook
        self.lines = source.text.splitlines()
        self.findings: list[Finding] = []
        self.place = Place(("",), GRADED)
        self.skipped: set[int] = set()  # node ids already judged (docstrings, membership tests)
        self.batches: dict[int, tuple[set[str], set[str]]] = {}  # by function id: `_batch_of`

    def scan(self, tree: ast.Module) -> list[Finding]:
        self.skipped = _docstrings(tree)
        for node in tree.body:
            self.place = self._top_level_place(node)
            self.visit(node)
        return self.findings

    def _top_level_place(self, node: ast.stmt) -> Place:
        other = Place(("",), OTHER if self.is_notebook else GRADED)
        if isinstance(node, ast.Assign):  # an answer variable a task names
            tasks = sorted({self.namespace.owners[name] for name in _defined_names(node)
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
        text = _constant_text(node)
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
                and _is_grader_internal(_constant_text(node.args[0]) or ""):
            self.report("grader-internals", node, least=OTHER)
        if callee in FILE_FUNCTIONS and node.args and OUTSIDE_PATH.match(
                self.namespace.text(node.args[0]) or ""):
            self.report("grader-internals", node)
        self.generic_visit(node)

    # -- loops over a batch --------------------------------------------------------------------------

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        if self._over_batch(node.iter):
            self.report("batch-loop", node, least=TASK)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        if any(self._batch_size(n) for n in ast.walk(node.test) if isinstance(n, ast.expr)):
            self.report("batch-loop", node, least=TASK)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if self._over_batch(node.iter):
            self.report("batch-loop", node.iter, least=TASK)
        self.generic_visit(node)

    def _batch(self) -> tuple[set[str], set[str]]:
        """The array inputs of the method around and the names it binds to their batch size."""
        function = self.place.function
        if function is None or function.name == "__init__":  # a constructor takes sizes and layers
            return set(), set()
        if id(function) not in self.batches:
            self.batches[id(function)] = _batch_of(function)
        return self.batches[id(function)]

    def _over_batch(self, iterable: ast.expr) -> bool:
        """`for x in input`, `zip(input, ...)`, `enumerate(input)`, `range(len(input))`,
        `range(input.shape[0])` or `range(n)` with `n = input.shape[0]`; not stepped ranges (over
        mini-batches)."""
        inputs, _ = self._batch()
        if isinstance(iterable, ast.Name):
            return iterable.id in inputs
        if not isinstance(iterable, ast.Call) or not isinstance(iterable.func, ast.Name):
            return False
        name, args = iterable.func.id, iterable.args
        if name in ("zip", "enumerate"):
            return any(isinstance(a, ast.Name) and a.id in inputs for a in args)
        return name == "range" and 1 <= len(args) <= 2 and self._batch_size(args[-1])

    def _batch_size(self, node: ast.expr) -> bool:
        inputs, sizes = self._batch()
        return (node.id in sizes) if isinstance(node, ast.Name) else _is_batch_size_of(node, inputs)


def _batch_of(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[set[str], set[str]]:
    """A function's array inputs (arguments it uses as arrays: `x.shape`, `x.T`, `x @ w`,
    `x[i, j]`...; a list of layers or parameters is not one) and the names it binds to their batch
    size (`n = x.shape[0]`, `n, d = x.shape`, `n = len(x)`)."""
    arguments = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
    names = {a.arg for a in arguments} - {"self", "cls"}
    inputs = set()
    for node in _walk(function):
        if isinstance(node, ast.Attribute) and node.attr in ARRAY_ATTRIBUTES:
            inputs |= _name_in(node.value, names)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            inputs |= _name_in(node.left, names) | _name_in(node.right, names)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple | ast.Slice):
            inputs |= _name_in(node.value, names)
    sizes = set()
    for node in _walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(target, ast.Name) and _is_batch_size_of(value, inputs):
                sizes.add(target.id)
            elif (isinstance(target, ast.Tuple) and target.elts
                  and isinstance(target.elts[0], ast.Name) and _is_shape_of(value, inputs)):
                sizes.add(target.elts[0].id)
    return inputs, sizes


def _name_in(node: ast.expr, names: set[str]) -> set[str]:
    return {node.id} & names if isinstance(node, ast.Name) else set()


def _is_batch_size_of(node: ast.expr, inputs: set[str]) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
        return any(isinstance(a, ast.Name) and a.id in inputs for a in node.args)
    return (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
            and node.slice.value == 0 and _is_shape_of(node.value, inputs))


def _is_shape_of(node: ast.expr, inputs: set[str]) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "shape"
            and isinstance(node.value, ast.Name) and node.value.id in inputs)


def _walk(function: ast.AST) -> Iterator[ast.AST]:
    """The statements of a function, not those of functions or classes nested in it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def _is_grader_internal(module: str) -> bool:
    return (module == "autograder" or module.startswith("autograder.")) and not any(
        module == public or module.startswith(public + ".") for public in PUBLIC_KIT_MODULES)
