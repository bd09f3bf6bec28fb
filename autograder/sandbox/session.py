"""One submission's sandbox: a fresh worker per task (forked from the grading process's warm zygote),
and what a test sees of the student's code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.runtime import wire
from autograder.sandbox import isolation as isolation_module
from autograder.sandbox.limits import Limits
from autograder.sandbox.proxy import RemoteObject, describe_call, unwrap, wrap
from autograder.sandbox.worker_process import WorkerProcess, become_subreaper, claim_zygotes


class Student:
    """The student's code as a test sees it: modules to import, probes to build, a seed to set."""

    def __init__(self, worker: WorkerProcess) -> None:
        self.worker = worker

    def module(self, name: str) -> RemoteObject:
        """Import one of the student's modules in the worker, e.g. `modules.layers`."""
        return wrap(self.worker, self.worker.request(f"import {name}", "import", module=name), name)

    def probe(self, name: str, *args: Any, **kwargs: Any) -> RemoteObject:
        """Build one of the grader's known-good modules (see runtime.probes) in the worker; proxies
        among the arguments reach the probe as the worker's own objects."""
        reply = self.worker.request(describe_call(f"probe {name}", args, kwargs), "probe",
                                    name=name, args=[unwrap(a) for a in args],
                                    kwargs={k: unwrap(v) for k, v in kwargs.items()})
        return wrap(self.worker, reply, name)

    def known_good(self, obj: Any) -> RemoteObject:
        """Offer one of the grader's known-good layers or losses (`checks.known_good`) to the
        student's code: in the worker it is an object whose methods run here, in the grader, on the
        plain data the student's code passes; only its plain attributes (a name) are copied there."""
        members: dict[str, Any] = {}
        for name in dir(obj):
            value = None if name.startswith("_") else getattr(obj, name)
            if callable(value):
                members[name] = wire.GraderFunction(f"{type(obj).__name__}.{name}", value)
            elif isinstance(value, (str, int, float, bool)):
                members[name] = value
        return self.probe("grader_object", type(obj).__name__, members)

    def seed(self, seed: int) -> None:
        """Seed numpy's and random's global generators in the worker."""
        self.worker.request("seeding the worker", "seed", seed=seed)


class Sandbox:
    """The workers of one submission: one per task, replaced when a call kills it."""

    def __init__(self, code_root: Path, limits: Limits, package: str = "") -> None:
        self.code_root, self.limits, self.package = code_root, limits, package
        self.isolation = isolation_module.detect()
        become_subreaper()
        self.zygotes = claim_zygotes(limits, self.isolation, package)
        self.zygotes.load(code_root)
        self.current: tuple[str, WorkerProcess] | None = None
        # per task, the wall time its workers spent answering requests (grading.speed)
        self.busy_seconds: dict[str, float] = {}

    def student_for(self, task: str) -> Student:
        """A Student backed by this task's worker, started afresh for a new task or after a crash."""
        if self.current and (self.current[0] != task or not self.current[1].alive):
            self._retire()
        if self.current is None:
            self.current = (task, self.zygotes.fork_worker())
        return Student(self.current[1])

    def _retire(self) -> None:
        """Close the current worker, adding its busy time to its task's."""
        if self.current:
            task, worker = self.current
            worker.close()
            self.busy_seconds[task] = self.busy_seconds.get(task, 0.0) + worker.busy_seconds
            self.current = None

    def close(self) -> None:
        """End the last task; the zygote stays warm for the next submission if it ended cleanly."""
        self._retire()
        self.zygotes.release()
