"""The in-process sandbox: the sandbox contract kept in the student's own process, for a self-check.

There is nothing to protect there, yet the tests must not tell the difference from grading: the
stand-in worker answers with the sandboxed worker's own dispatch (`runtime.worker`) and passes every
value through the same plain-data encoding, so arrays are copies both ways, exactly as when grading;
a call that runs too long fails with the grader's own timeout.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder import N_
from autograder.failures import StudentError, WorkerTimeout
from autograder.runtime import wire
from autograder.runtime.notebook_module import time_limit
from autograder.runtime.worker import Worker
from autograder.sandbox.contract import Student
from autograder.sandbox.proxy import OutputLog


class DeadlinePassed(BaseException):
    """Raised into the student's code when a call runs too long (not an Exception, so a bare
    `except Exception` in their code does not swallow it)."""


@contextlib.contextmanager
def deadline(seconds: float, what: str) -> Iterator[None]:
    """Stop a call after `seconds` with the grader's timeout failure (main thread only: signals)."""
    try:
        with time_limit(seconds, DeadlinePassed):
            yield
    except DeadlinePassed:
        raise WorkerTimeout(N_(f"{what} did not finish within {seconds:g} s (an infinite loop, or "
                               "very slow code?)")) from None


class InProcessWorker:
    """Answers the proxies' requests in this process, as the sandboxed worker would."""

    def __init__(self, root: Path, modules: dict[str, types.ModuleType], call_seconds: float,
                 frames_root: Path | None = None) -> None:
        self.worker = Worker(str(frames_root or root), -1, -1)
        self.modules = modules
        self.call_seconds = call_seconds
        self.offered = wire.OfferedFunctions()
        self.outputs = OutputLog()  # as the sandboxed worker keeps it: self-check records carry them

    def request(self, what: str, op: str, timeout: float | None = None, **fields: Any) -> Any:
        """Decode the request as the worker would, run it, and encode the answer as it would; a
        grader function arrives as itself (this process is the grader's)."""
        tree, buffers = wire.encode({"op": op, **fields}, self.offered.offer)
        request = wire.decode(tree, buffers, self.worker.handles.get,
                              lambda callback: self.offered.get(callback.id))
        try:
            with deadline(timeout or self.call_seconds, what):
                answer = self._dispatch(request)
                tree, buffers = wire.encode(answer, self.worker.handles.add)
        except (WorkerTimeout, KeyboardInterrupt):
            raise
        except BaseException as exc:  # the student's exceptions, SystemExit included
            error = self.worker.describe(exc)
            raise StudentError(what, error["type"], error["message"], error["frames"]) from None
        return wire.decode(tree, buffers, lambda handle: handle)

    def _dispatch(self, request: dict[str, Any]) -> Any:
        if request["op"] == "import" and request["module"] in self.modules:
            return self.modules[request["module"]]
        return self.worker.dispatch(request)


@dataclass(frozen=True)
class InProcessIsolation:
    description: str = "none: a self-check in the student's own process"


class InProcessSandbox:
    """The sandbox contract in-process: every task's `Student` talks to the one in-process worker;
    no worker time is measured (nothing is timed against the reference in a self-check)."""

    isolation = InProcessIsolation()

    def __init__(self, worker: InProcessWorker) -> None:
        self.worker = worker
        self.busy_seconds: dict[str, float] = {}

    def student_for(self, task: str) -> Student:
        return Student(self.worker)

    def close(self) -> None:
        """Nothing to stop: no process was started."""
