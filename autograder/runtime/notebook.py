"""The student's notebook as an importable module `notebook`, built statement by statement.

Intake (in the grader) kept the notebook's definitions as separate statements in
`notebook.cells.json`. Here, in the worker, each runs on its own in the module's namespace: one that
raises is set aside and retried after the others (cells run out of order), and what still fails is
listed in the message of any missing name, so a student learns why `Dense` is not there.
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
import types
from typing import Any, NamedTuple

MODULE_NAME = "notebook"
STATEMENTS_FILE = "notebook.cells.json"


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
            statements = json.load(stream)
        failures = run_statements(module.__dict__, statements, self.root)
        module.__dict__.setdefault("__getattr__", _explain_missing(module.__dict__, failures))


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


def run_statements(namespace: dict[str, Any], statements: list[dict[str, Any]],
                   root: str) -> list[Failure]:
    """Run every statement; retry the failed ones while any succeeds; describe those left."""
    pending = list(statements)
    errors: dict[int, str] = {}
    while pending:
        failed = []
        for statement in pending:
            try:
                exec(_compile(statement, root), namespace)  # noqa: S102 - the worker's whole job
            except Exception as exc:
                failed.append(statement)
                errors[id(statement)] = (f"code cell {statement['cell']}, line {statement['line']}: "
                                         f"{type(exc).__name__}: {str(exc)[:200]}")
        if len(failed) == len(pending):
            break
        pending = failed
    return [Failure(defined_names(s["source"]), errors[id(s)],
                    s["source"].lstrip().startswith(("import ", "from "))) for s in pending]


def _explain_missing(namespace: dict[str, Any], failures: list[Failure]) -> Any:
    """The module's `__getattr__`: why a name the tests want is not there, as precisely as known:
    the statement that would have defined it and failed, else a name the student spelled
    differently, else the statements that failed (imports of packages the grader lacks aside)."""
    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        own = [f.text for f in failures if name in f.defines]
        others = [f.text for f in failures if not f.is_import]
        spelled = {n.lower(): n for n in namespace if not n.startswith("_")}
        close = [spelled[n] for n in difflib.get_close_matches(name.lower(), spelled, n=1,
                                                                cutoff=0.75)]
        if own:
            reason = f": the statement defining it failed when your notebook was loaded: {own[0]}"
        elif close:
            reason = (f"; did you mean {close[0]!r}? The tests use the names of the assignment, "
                      "exactly as written there")
        elif others:
            reason = ("; these statements of your notebook failed when it was loaded: "
                      + " | ".join(others[:5]))
        else:
            reason = ""
        raise AttributeError(f"your notebook defines no {name!r} at its top level{reason}")
    return __getattr__


def install(root: str) -> None:
    """Make `import notebook` load the submission's notebook, when intake wrote one."""
    if os.path.isfile(os.path.join(root, STATEMENTS_FILE)):
        sys.meta_path.insert(0, NotebookFinder(root))
