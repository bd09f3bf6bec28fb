"""The sandbox contract: what the grading plugin needs of a sandbox, and what a test sees of the
student's code through it.

Two sandboxes keep it: `session.Sandbox` runs the student's code in a separate, limited worker
process (grading), and `in_process.InProcessSandbox` in the student's own process (a self-check,
where there is nothing to protect). A test cannot tell them apart: both hand it a `Student` whose
requests go through the same plain-data encoding.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from autograder.runtime import wire
from autograder.sandbox.proxy import Channel, RemoteObject, describe_call, unwrap, wrap


class Student:
    """The student's code as a test sees it: modules to import, probes to build, a seed to set."""

    def __init__(self, worker: Channel) -> None:
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
        """Offer one of the grader's known-good layers or losses (`testing.known_good`) to the
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


class Described(Protocol):
    """An isolation mode, as results name it."""

    @property
    def description(self) -> str: ...


@runtime_checkable
class SandboxContract(Protocol):
    """What running tests needs of a sandbox: a `Student` per task (a fresh worker for each task,
    replaced when a call kills it), each task's worker time (`grading.speed`) and how the code was
    isolated."""

    busy_seconds: dict[str, float]

    @property
    def isolation(self) -> Described: ...

    def student_for(self, task: str) -> Student:
        """A Student for this task's tests."""

    def close(self) -> None:
        """End the last task."""
