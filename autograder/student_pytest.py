"""Plain `pytest` in a student's folder runs the assignment's public tests on the student's code.

Registered as a pytest entry point (`pytest11` in pyproject.toml), so a student who installed the
kit runs the shipped tests the way students and course authors already know:

    cd my-homework        # the student version: modules/ or notebook.ipynb, and tests/
    pytest                # every public test
    pytest --task Linear  # one task

The tests get the grader's own `student` and `rng` fixtures and markers (`grading.plugin`), backed
by the in-process sandbox of the self-check, and a failure reads as the grader's message does. The
plugin stays inert unless the run's rootdir holds an assignment's public tests (a `tests/` folder
with every public test file of one assignment, beside its package or a notebook), so it never
changes the kit's own test runs or anyone else's; the kit's own pytest sessions turn it off by name.
Loaded by every pytest session where the kit is installed, it imports only the assignments' specs
until it finds a student's folder: the grading machinery is imported then.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from autograder.config import AssignmentSpec, available, load

PLUGIN_NAME = "autograder-public-tests"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--task", action="append", default=[], metavar="NAME",
                     help="autograder: run only this task's public tests (repeatable)")


def student_assignment(root: Path) -> AssignmentSpec | None:
    """The assignment whose student version `root` holds: every one of its public test files in
    `root/tests`, beside its package or a notebook; None for any other folder."""
    tests = root / "tests"
    if not tests.is_dir():
        return None
    present = {path.name for path in tests.glob("test_*.py")}
    for name in available():
        spec = load(name)
        public = {path.name for path in spec.test_dirs["public"].glob("test_*.py")}
        code_here = (root / spec.package).is_dir() if spec.package else any(root.glob("*.ipynb"))
        if public and public <= present and code_here:
            return spec
    return None


def pytest_configure(config: pytest.Config) -> None:
    root = config.rootpath
    spec = student_assignment(root)
    if spec is not None:
        config.pluginmanager.register(grading_plugin(config, root, spec), PLUGIN_NAME)


def grading_plugin(config: pytest.Config, root: Path, spec: AssignmentSpec) -> object:
    """The grader's plugin on the student's code in this process: the package on disk, or the
    notebook as the worker builds its module `notebook` from what intake kept (the course's given
    code first)."""
    from autograder import intake
    from autograder.grading.plugin import GradingPlugin
    from autograder.runtime.notebook_module import NotebookFinder
    from autograder.sandbox.in_process import InProcessSandbox, InProcessWorker
    from autograder.selfcheck import NOTEBOOK_MODULE, fresh_package

    modules, frames_root = {}, root
    if spec.notebook:
        bundle = intake.prepare_for(root, spec)
        config.add_cleanup(bundle.cleanup)
        module = types.ModuleType(NOTEBOOK_MODULE)
        NotebookFinder(str(bundle.root)).exec_module(module)
        modules[NOTEBOOK_MODULE], frames_root = module, bundle.root
    else:
        fresh_package(root, spec.package)
    worker = InProcessWorker(root, modules, spec.limits.call_seconds, frames_root)
    return GradingPlugin(InProcessSandbox(worker), [task.name for task in spec.tasks],
                         root / "tests", frozenset(config.getoption("task")),
                         spec.robustness_deducts)
