"""The in-process sandbox: the sandbox contract kept in the student's own process, for a self-check.

There is nothing to protect there, yet the tests must not tell the difference from grading: the
stand-in worker answers with the sandboxed worker's own dispatch (`runtime.worker`) and passes every
value through the same plain-data encoding, so arrays are copies both ways, exactly as when grading;
a call that runs too long fails with the grader's own timeouts, counted as grading counts them.
"""

from __future__ import annotations

import contextlib
import functools
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadpoolctl import ThreadpoolController

from autograder.failures import StudentError, WorkerTimeout
from autograder.runtime import timers, wire
from autograder.runtime.worker import Worker
from autograder.sandbox.contract import Student
from autograder.sandbox.proxy import OutputLog


class CpuTimePassed(BaseException):
    """Raised into the student's code when a call used up its CPU time (not an Exception, so a
    bare `except Exception` in their code does not swallow it)."""


class WallTimePassed(BaseException):
    """Raised into the student's code when a call outlived the wall-clock backstop."""


@functools.cache
def thread_pools() -> ThreadpoolController:
    """The process's BLAS and OpenMP pools, found once (a scan per call costs 0.3 ms)."""
    return ThreadpoolController()


@contextlib.contextmanager
def deadline(seconds: float, what: str) -> Iterator[None]:
    """Stop a call with the grader's timeout failures, after `seconds` of CPU time or WALL_FACTOR
    times that on the clock (runtime.timers; main thread only: signals). BLAS runs one thread
    meanwhile, as in the sandboxed worker, so the CPU time counted is what grading counts."""
    try:
        with thread_pools().limit(limits=1), \
                timers.time_limit(seconds * timers.WALL_FACTOR, WallTimePassed, timers.WALL), \
                timers.time_limit(seconds, CpuTimePassed, timers.CALL):
            yield
    except CpuTimePassed:
        raise WorkerTimeout.cpu(what, seconds) from None
    except WallTimePassed:
        raise WorkerTimeout.wall(what, seconds * timers.WALL_FACTOR) from None


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
