"""The worker: imports the student's code and answers the grader's requests about it.

It runs in its own process, forked for one task by the zygote (`runtime.zygote`) inside the sandbox,
with resource limits already applied. It reads requests on one pipe and answers on another, in the
plain-data format of `wire`; the student's printed output goes to a capture file, never into the
protocol.
"""

from __future__ import annotations

import importlib
import importlib.abc
import os
import random
import sys
import traceback
import types
from typing import Any

import numpy as np

from autograder import N_
from autograder.runtime import notebook_module, probes, stand_ins, timers, wire

MAX_MESSAGE_CHARS = 2000


class CallOverran(BaseException):
    """A request used up its CPU time (`cpu_seconds`). Not an Exception, so that a bare `except
    Exception` in the student's code does not swallow it; the grader stops the worker on it."""


class KitImportBlocker(importlib.abc.MetaPathFinder):
    """Refuses the kit's own modules to student code: they are the worker's, not the
    submission's, and hold no answer (see `probes`), but importing them is none either."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname.partition(".")[0] == "autograder":
            raise ImportError(N_(f"'{fullname}' is the grader's own code, not available to "
                                 "submissions while grading: write the code yourself, with numpy"))
        return None


class HandleTable:
    """The worker's objects that the grader refers to by number."""

    def __init__(self) -> None:
        self.objects: dict[int, Any] = {}

    def add(self, obj: Any) -> wire.Handle:
        handle_id = len(self.objects) + 1
        self.objects[handle_id] = obj
        return wire.Handle(handle_id, type(obj).__qualname__)

    def get(self, handle: wire.Handle) -> Any:
        if handle.id not in self.objects:
            raise wire.WireError(f"unknown handle {handle.id}")
        return self.objects[handle.id]


# The exceptions a grader function's failure raises in the worker, by the name the grader sends.
GRADER_FUNCTION_ERRORS: dict[str, type[Exception]] = {"TypeError": TypeError,
                                                       "ValueError": ValueError}


class GraderFunctionStub:
    """A grader function offered to the worker (`wire.GraderFunction`), such as the known-good loss
    a container is graded with: calling it asks the grader, which computes it on the arguments."""

    def __init__(self, worker: Worker, callback: wire.Callback) -> None:
        self.worker, self.callback = worker, callback

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.worker.call_grader(self.callback, list(args), kwargs)

    def __repr__(self) -> str:
        return f"<grader function {self.callback.name}>"


class Worker:
    """Answers requests: import, attribute access, calls, iteration, probes, seeding."""

    def __init__(self, submission_root: str, request_fd: int, response_fd: int) -> None:
        self.root = os.path.realpath(submission_root)
        self.request_fd = request_fd
        self.response_fd = response_fd
        self.handles = HandleTable()

    def serve(self) -> None:
        while True:
            try:
                tree, buffers = wire.read_message(self.request_fd)
            except wire.WireClosed:
                return
            request_id = None
            try:
                request = wire.decode(tree, buffers, self.handles.get, self.stub)
                request_id = request["id"]
                with timers.time_limit(request.get("cpu_seconds") or 0, CallOverran, timers.CALL):
                    answer = self.dispatch(request)
                response: Any = {"id": request_id, "ok": answer}
            except BaseException as exc:  # the student's exceptions, SystemExit included
                response = {"id": request_id, "error": self.describe(exc)}
            try:
                body, out_buffers = wire.encode(response, self.handles.add)
            except BaseException as exc:
                body, out_buffers = wire.encode(
                    {"id": request_id, "error": self.describe(exc)}, self.handles.add)
            wire.write_message(self.response_fd, body, out_buffers)

    def stub(self, callback: wire.Callback) -> GraderFunctionStub:
        return GraderFunctionStub(self, callback)

    def call_grader(self, callback: wire.Callback, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Call a grader function: its arguments go to the grader (plain data, or handles of this
        worker's objects, which it refuses) and its result or error comes back, while the request
        that led the student's code here is still being answered."""
        with timers.held(timers.CALL):
            body, buffers = wire.encode({"callback": callback.id, "args": args, "kwargs": kwargs},
                                        self.handles.add)
            wire.write_message(self.response_fd, body, buffers)
            tree, reply_buffers = wire.read_message(self.request_fd)
            reply = wire.decode(tree, reply_buffers, self.handles.get)
        if "raise" in reply:
            error = GRADER_FUNCTION_ERRORS.get(reply["raise"]["type"], RuntimeError)
            raise error(reply["raise"]["message"])
        return reply["return"]

    def dispatch(self, request: dict[str, Any]) -> Any:
        op = request["op"]
        if op == "import":
            return importlib.import_module(request["module"])
        if op == "probe":
            return probes.build(request["name"], *request["args"], **request["kwargs"])
        if op == "seed":
            seed(request["seed"])
            return None
        target = request["obj"]
        if op == "getattr":
            return getattr(target, request["name"])
        if op == "setattr":
            setattr(target, request["name"], request["value"])
            return None
        if op == "call":
            return target(*request["args"], **request["kwargs"])
        if op == "iter":
            return iter(target)
        if op == "next":
            try:
                return {"value": next(target)}
            except StopIteration:
                return {"stop": True}
        if op == "len":
            return len(target)
        if op == "getitem":
            return target[request["key"]]
        raise wire.WireError(f"unknown request {op!r}")

    def describe(self, exc: BaseException) -> dict[str, Any]:
        """The exception's type, message and the student's own frames, as plain strings."""
        try:
            message = str(exc)
        except BaseException:
            message = "<the exception's message could not be shown>"
        frames = [
            [os.path.relpath(frame.filename, self.root), frame.lineno or 0, frame.name,
             (frame.line or "")[:200]]
            for frame in traceback.extract_tb(exc.__traceback__)
            if os.path.realpath(frame.filename).startswith(self.root + os.sep)
        ][-8:]
        return {"type": type(exc).__name__[:100], "message": message[:MAX_MESSAGE_CHARS],
                "frames": frames}


def register_bare_package(root: str, name: str) -> None:
    """Make `name` importable without running its __init__.py.

    Each file of the package is then imported on its own, so a broken `activations.py` costs the
    tasks that live in it, not every task that imports `modules.layers` through `modules`.
    """
    package = types.ModuleType(name)
    package.__path__ = [os.path.join(root, name)]
    package.__package__ = name
    sys.modules[name] = package


def seed(value: int) -> None:
    """Seed numpy's and random's global generators."""
    np.random.seed(value)
    random.seed(value)


def prepare_imports(root: str, package: str | None) -> None:
    """Set up how the student's code is found: the notebook module, the kit refused, the
    deep-learning libraries as inert stand-ins (`stand_ins`), the submission's folder first on the
    path, a package whose __init__.py is not run."""
    notebook_module.install(root)
    for name in [name for name in sys.modules if name.partition(".")[0] == "autograder"]:
        del sys.modules[name]  # so that an import of them asks the blocker (the worker keeps its own)
    sys.meta_path[:0] = [KitImportBlocker(), stand_ins.StandInFinder(root)]
    sys.path.insert(0, root)
    if package:
        register_bare_package(root, package)
    sys.setrecursionlimit(10_000)
