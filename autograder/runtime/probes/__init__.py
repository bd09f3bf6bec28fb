"""Known-good code the grader builds inside the worker: one module per interface of the students'
code (the interfaces an assignment names in its `assignment.toml`), each listing its probes in
`PROBES`, and the grader's known-good objects as the student's code sees them (`GraderObject`).

A probe is named by the object itself: the grader writes `student.probe(name_of(ScaleShift), ...)`,
and the worker finds it under that name here, so a probe that does not exist is an import error
in the grader, not a failed request. Nothing here computes what an assignment grades
(tests/test_worker_holds_no_answers.py), and none of it sits beside the private tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from autograder.runtime.probes import jacobian, sgd_layers, sgd_linear, torch_modules

INTERFACES = (jacobian, sgd_layers, sgd_linear, torch_modules)


class GraderObject:
    """A known-good layer or loss of the grader's (`testing.known_good`) as the student's code sees it:
    its methods are grader functions (`runtime.worker.GraderFunctionStub`), which compute in the
    grader; its plain attributes (a `name`) are copies."""

    def __init__(self, type_name: str, members: dict[str, Any]) -> None:
        self.__dict__.update(members)
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<grader's {self.type_name}>"


def name_of(probe: Callable[..., Any]) -> str:
    """The name the worker builds `probe` by: its own in snake case (`RecordingScaleLayer`:
    "recording_scale_layer", `minibatch_training` as it is)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", probe.__name__).lower()


def _registry() -> dict[str, Callable[..., Any]]:
    """Every interface's probes by name; two probes of one name would be built by chance."""
    probes = [GraderObject, *(probe for interface in INTERFACES for probe in interface.PROBES)]
    names = [name_of(probe) for probe in probes]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise RuntimeError(f"probes of several interfaces share the names {twice}")
    return dict(zip(names, probes, strict=True))


PROBES = _registry()


def build(name: str, *args: Any, **kwargs: Any) -> Any:
    if name not in PROBES:
        raise KeyError(f"no probe named {name!r}")
    return PROBES[name](*args, **kwargs)
