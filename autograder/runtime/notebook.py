"""The student's notebook as an importable module `notebook`, built statement by statement.

Intake (in the grader) kept the notebook's definitions as separate statements in
`notebook.cells.json`. Here, in the worker, each runs on its own in the module's namespace: one that
raises is set aside and retried after the others (cells run out of order), and what still fails is
listed in the message of any missing name, so a student learns why `Dense` is not there.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import json
import linecache
import os
import sys
import types
from typing import Any

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
        module.__dict__.setdefault("__getattr__", _explain_missing(failures))


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


def run_statements(namespace: dict[str, Any], statements: list[dict[str, Any]],
                   root: str) -> list[str]:
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
    return [errors[id(s)] for s in pending]


def _explain_missing(failures: list[str]) -> Any:
    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        reason = ("; these statements of your notebook failed when it was loaded: "
                  + " | ".join(failures[:5])) if failures else ""
        raise AttributeError(f"your notebook defines no {name!r} at its top level{reason}")
    return __getattr__


def install(root: str) -> None:
    """Make `import notebook` load the submission's notebook, when intake wrote one."""
    if os.path.isfile(os.path.join(root, STATEMENTS_FILE)):
        sys.meta_path.insert(0, NotebookFinder(root))
