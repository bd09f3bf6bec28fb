"""The student's notebook as an importable module `notebook`, built statement by statement.

Intake (in the grader) kept the notebook's definitions and the top-level computations they read as
separate statements in `notebook.cells.json`. Here, in the worker, each runs on its own in the
module's namespace: one that raises is set aside and retried after the others (cells run out of
order); a computation gets `STATEMENT_SECONDS` of CPU time, and all of them `NOTEBOOK_SECONDS`
together (`timers`: a busy machine stops no more of them), so one that overruns costs only the names
it defines. What still fails, and what intake left out (a loop,
a data load, a cell with a syntax error), explains any missing name, so a student learns why
`Dense` is not there.
"""

from __future__ import annotations

import ast
import difflib
import importlib.abc
import importlib.machinery
import json
import linecache
import os
import sys
import time
import types
from typing import Any, NamedTuple

from autograder import N_
from autograder.runtime import timers

MODULE_NAME = "notebook"
STATEMENTS_FILE = "notebook.cells.json"
# The time a top-level computation may take, and all of them together (issue 12: helpers such as
# `erf = np.vectorize(math.erf)` take microseconds; a training run hidden in one does not finish).
STATEMENT_SECONDS = 2.0
NOTEBOOK_SECONDS = 10.0


class NotebookFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and loads `notebook` from the statements file in the submission's folder."""

    def __init__(self, root: str) -> None:
        self.path = os.path.join(root, STATEMENTS_FILE)
        self.root = root

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != MODULE_NAME:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, origin=self.path)

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        with open(self.path, encoding="utf-8") as stream:
            entries = json.load(stream)
        failures = run_statements(module.__dict__, entries, self.root)
        unrun = [entry for entry in entries if "source" not in entry]
        module.__dict__.setdefault("__getattr__", _explain_missing(module.__dict__, failures, unrun))


def _compile(statement: dict[str, Any], root: str) -> types.CodeType:
    """Compiled with the notebook's own cell and line numbers, so tracebacks point at the cell."""
    filename = os.path.join(root, f"notebook cell {statement['cell']}")
    tree = ast.parse(statement["source"], filename)
    ast.increment_lineno(tree, statement["line"] - 1)
    # One cache entry per cell, which every statement of the cell fills in at its own lines
    cached = linecache.cache.get(filename)
    lines = list(cached[2]) if cached else []
    own = statement["source"].splitlines(keepends=True)
    first = statement["line"] - 1
    lines += [""] * max(0, first + len(own) - len(lines))
    lines[first:first + len(own)] = own
    linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)
    return compile(tree, filename, "exec")


class Failure(NamedTuple):
    """A statement still failing after the retries: what it would have defined, and why not."""

    defines: frozenset[str]
    text: str
    is_import: bool


def defined_names(source: str) -> frozenset[str]:
    """The top-level names a statement binds (a class, a function, an import, an assignment)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        else:
            names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                      and isinstance(n.ctx, ast.Store)}
    return frozenset(names)


class Overran(BaseException):
    """A top-level computation ran out of time (not an Exception: a bare `except Exception` in
    the student's code must not swallow it)."""


class _Budget:
    """What is left of NOTEBOOK_SECONDS for the notebook's top-level computations."""

    def __init__(self) -> None:
        self.left = NOTEBOOK_SECONDS

    def run(self, code: types.CodeType, namespace: dict[str, Any], timed: bool) -> str:
        """Run `code`; "" when it finished in time, else why it was stopped (its exceptions
        propagate)."""
        if not timed:
            exec(code, namespace)  # noqa: S102 - the worker's whole job
            return ""
        seconds = min(STATEMENT_SECONDS, self.left)
        if seconds <= 0:
            return N_(f"not run: the notebook's top-level computations used up their "
                      f"{NOTEBOOK_SECONDS:g} s")
        start = time.process_time()
        try:
            with timers.time_limit(seconds, Overran, timers.STATEMENT):
                exec(code, namespace)  # noqa: S102 - the worker's whole job
        except Overran:
            self.left -= seconds  # all of it, whatever the clocks' grain says
            return N_(f"stopped after {seconds:.2g} s of CPU time (the grader gives a top-level "
                      f"computation {STATEMENT_SECONDS:g} s, and all of them {NOTEBOOK_SECONDS:g} s): "
                      "compute it inside the function or class that needs it")
        except BaseException:
            self.left -= time.process_time() - start
            raise
        self.left -= time.process_time() - start
        return ""


def run_statements(namespace: dict[str, Any], entries: list[dict[str, Any]],
                   root: str) -> list[Failure]:
    """Run every statement (the entries with a "source"); retry the failed ones while any
    succeeds, except those stopped for time; describe those left."""
    pending = [entry for entry in entries if "source" in entry]
    errors: dict[int, str] = {}
    stopped: list[dict[str, Any]] = []
    budget = _Budget()
    while pending:
        failed = []
        for statement in pending:
            cell, line = statement["cell"], statement["line"]
            where = N_(f"code cell {cell}, line {line}")
            try:
                overrun = budget.run(_compile(statement, root), namespace,
                                     bool(statement.get("timed")))
            except Exception as exc:
                failed.append(statement)
                error, text = type(exc).__name__, str(exc)[:200]
                errors[id(statement)] = N_(f"{where}: {error}: {text}")
                continue
            if overrun:
                stopped.append(statement)
                errors[id(statement)] = N_(f"{where}: {overrun}")
        if len(failed) == len(pending):
            break
        pending = failed
    return [Failure(defined_names(s["source"]), errors[id(s)],
                    s["source"].lstrip().startswith(("import ", "from ")))
            for s in [*pending, *stopped]]


def _explain_missing(namespace: dict[str, Any], failures: list[Failure],
                     unrun: list[dict[str, Any]]) -> Any:
    """The module's `__getattr__`: why a name the tests want is not there, as precisely as known:
    the statement that would have defined it and failed, else the statement or cell that defines
    it and that intake left out (its `why`), else a name the student spelled differently, else the
    statements that failed (imports of packages the grader lacks aside)."""
    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        left_out = [entry["why"] for entry in unrun if name in entry.get("defines", ())]
        if left_out and not any(name in f.defines for f in failures):
            why = left_out[-1]
            raise AttributeError(N_(f"{name} {why}"))
        own = [f.text for f in failures if name in f.defines]
        others = [f.text for f in failures if not f.is_import]
        spelled = {n.lower(): n for n in namespace if not n.startswith("_")}
        close = [spelled[n] for n in difflib.get_close_matches(name.lower(), spelled, n=1,
                                                                cutoff=0.75)]
        if own:
            failure = own[0]
            raise AttributeError(N_(f"your notebook defines no {name!r} at its top level: the "
                                    f"statement defining it failed when your notebook was loaded: "
                                    f"{failure}"))
        if close:
            spelled_so = close[0]
            raise AttributeError(N_(f"your notebook defines no {name!r} at its top level; did you "
                                    f"mean {spelled_so!r}? The tests use the names of the "
                                    "assignment, exactly as written there"))
        if others:
            failed = " | ".join(others[:5])
            raise AttributeError(N_(f"your notebook defines no {name!r} at its top level; these "
                                    f"statements of your notebook failed when it was loaded: {failed}"))
        raise AttributeError(N_(f"your notebook defines no {name!r} at its top level"))
    return __getattr__


def install(root: str) -> None:
    """Make `import notebook` load the submission's notebook, when intake wrote one."""
    if os.path.isfile(os.path.join(root, STATEMENTS_FILE)):
        sys.meta_path.insert(0, NotebookFinder(root))
