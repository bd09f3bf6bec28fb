"""A student's self-check inside their own notebook or Python session: `check("Linear")`.

It runs the public tests of the asked tasks against the code the student has right now: the classes
defined in the running notebook (for notebook assignments) or the package on disk, imported afresh
(for package assignments). It is grading's own pytest session and scoring (`grading.runner`,
`scoring.policy`) with one difference, the sandbox: the student's own process, where there is
nothing to protect (`sandbox.in_process`), and which the tests cannot tell from grading's. Only the
public tests run: the result says so.

    from autograder.selfcheck import check
    check("Linear")            # one task
    check()                    # every task of the assignment

Where two assignments share a task name, a notebook's first cell can fix the assignment once:
`check = checker("seminar")`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import linecache
import os
import random
import sys
import tempfile
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder import N_, config, intake
from autograder.grading import runner
from autograder.intake import scan
from autograder.intake.notebook import Source
from autograder.reports.check_table import check_html, check_rows, check_text
from autograder.results import Finding, SubmissionResult, TestRecord
from autograder.sandbox.in_process import InProcessSandbox, InProcessWorker
from autograder.scoring import policy

NOTEBOOK_MODULE = "notebook"  # what notebook assignments' tests import (see runtime.notebook_module)


class NotebookNamespace(types.ModuleType):
    """The running notebook's global names as the module `notebook`, live: what the student
    defined last is what the tests see; a given name the notebook lacks (an earlier edition names
    the course's container differently) comes from the kit's copy, as when grading."""

    def __init__(self, namespace: dict[str, Any], given: dict[str, Any] | None = None) -> None:
        super().__init__(NOTEBOOK_MODULE)
        self._namespace = namespace
        self._given = given or {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self._namespace[name] if name in self._namespace else self._given[name]
        except KeyError:
            raise AttributeError(N_(f"your notebook defines no {name!r} yet: run the cell that "
                                    "defines it, then check again")) from None


def _given_code(spec: config.AssignmentSpec) -> dict[str, Any]:
    """The kit's copy of the course's given code, run here as intake runs it first when grading."""
    given: dict[str, Any] = {}
    for statement in intake.given_prelude(spec):
        exec(compile(statement.source, f"<given: {spec.notebook}>", "exec"), given)
    return given


@dataclass(frozen=True)
class CheckReport:
    """The outcome of a self-check; a notebook shows it as a table, `print` as text."""

    result: SubmissionResult
    tasks: frozenset[str]
    lang: str = "en"  # the language the table speaks (reports.language)

    @property
    def passed(self) -> bool:
        return all(row.ok for row in check_rows(self.result, self.tasks))

    def _repr_html_(self) -> str:
        return check_html(check_rows(self.result, self.tasks, self.lang), self.lang)

    def __str__(self) -> str:
        return check_text(check_rows(self.result, self.tasks, self.lang), self.lang)

    __repr__ = __str__


def _notebook_globals() -> dict[str, Any] | None:
    """The running IPython kernel's user namespace, or None outside a notebook."""
    main = sys.modules.get("__main__")
    namespace = getattr(main, "__dict__", {})
    return namespace if "get_ipython" in namespace else None


def fresh_package(root: Path, package: str) -> None:
    """Import the package from `root`, and its files as they are on disk now."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()


@contextlib.contextmanager
def _own_random_state() -> Iterator[None]:
    """The tests seed numpy's and random's global generators: give the student theirs back."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        yield
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


def run_public_tests(spec: config.AssignmentSpec, worker: InProcessWorker,
                     tasks: frozenset[str]) -> list[TestRecord]:
    """The assignment's public tests of `tasks` (all when empty) against the in-process worker."""
    with _own_random_state():
        run = runner.run_tests(spec, InProcessSandbox(worker), [spec.test_dirs["public"]], tasks)
    return run.records


def check(*tasks: str, assignment: str | None = None, path: str | os.PathLike[str] | None = None,
          lang: str | None = None) -> CheckReport:
    """Run the public tests of `tasks` (every task when none is named) on your current code.

    In a notebook, the classes and functions you defined in it are checked; elsewhere, the
    assignment's package in `path` (default: the current folder), as it is on disk now. The table
    speaks `lang` ("ru"), by default the assignment's language.
    """
    root = Path(path or os.getcwd()).resolve()
    namespace = _notebook_globals()
    spec = config.choose(assignment, root, tasks, defined=namespace)
    modules: dict[str, types.ModuleType] = {}
    frames_root = root
    if spec.notebook:
        if namespace is None:
            raise config.ConfigError(f"{spec.name} is a notebook assignment: call check() inside "
                                     "your notebook, or run `autograder check your.ipynb`")
        modules[NOTEBOOK_MODULE] = NotebookNamespace(namespace, _given_code(spec))
        frames_root = Path(tempfile.gettempdir()) / f"ipykernel_{os.getpid()}"  # where cells live
    else:
        fresh_package(root, spec.package)
    worker = InProcessWorker(root, modules, spec.limits.call_seconds, frames_root)
    score = policy.score(policy.score_tasks(spec, run_public_tests(spec, worker, frozenset(tasks))))
    result = SubmissionResult(student="self-check", assignment=spec.name, tasks=score.tasks,
                              raw=score.raw, multiplier=score.multiplier, final=score.final,
                              isolation=InProcessSandbox.isolation.description,
                              findings=library_uses(spec, root, namespace))
    return CheckReport(result, frozenset(tasks), config.feedback_language(spec, chosen=lang or ""))


def library_uses(spec: config.AssignmentSpec, root: Path,
                 namespace: dict[str, Any] | None) -> tuple[Finding, ...]:
    """Where a task's code uses a deep-learning library. Here, in the student's process, torch is
    real and the tests pass; when graded, the worker has only inert stand-ins
    (`runtime.stand_ins`) and that task scores 0, which the self-check must say (`check_rows`)."""
    if namespace is None:
        bundle = intake.prepare_for(root, spec)
        sources = bundle.code
        bundle.cleanup()
    else:
        sources = notebook_sources(namespace)
    return tuple(f for f in scan.scan_sources(sources, scan.code_owners(spec),
                                              is_notebook=namespace is not None,
                                              hints=runner.SCAN_HINTS)
                 if f.kind == "forbidden-import" and f.task)


def notebook_sources(namespace: dict[str, Any]) -> list[Source]:
    """The cells that define the notebook's functions and classes (IPython keeps each cell's text
    under the file name its code carries), after the imports that bound its modules."""
    imports = [f"import {value.__name__} as {name}" for name, value in namespace.items()
               if isinstance(value, types.ModuleType) and not name.startswith("_")]
    cells: dict[str, None] = {}
    for value in namespace.values():
        if getattr(value, "__module__", None) != "__main__":
            continue  # imported, not written in the notebook
        members = vars(value).values() if isinstance(value, type) else [value]
        for function in members:
            if isinstance(function, types.FunctionType):
                cells.setdefault(function.__code__.co_filename)
    return [Source("imports", "\n".join(imports)),
            *(Source("notebook cell", "".join(linecache.getlines(cell))) for cell in cells)]


def checker(assignment: str) -> functools.partial[CheckReport]:
    """`check` bound to one assignment, for a notebook's setup cell: `check = checker("seminar")`."""
    config.load(assignment)  # fail now, in the setup cell, if the name is wrong
    return functools.partial(check, assignment=assignment)
