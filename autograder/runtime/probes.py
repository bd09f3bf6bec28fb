"""Known-good modules the grader builds inside the worker on top of the student's base classes.

A container such as `Sequential` is graded with these probes as children, so that a bug in the
student's own `Linear` costs the `Linear` task only, not `Sequential` as well.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from autograder.runtime import jacobian_probes, layer_probes


def affine_probe(scale: np.ndarray, shift: np.ndarray) -> Any:
    """y = x * scale + shift, elementwise, with both as parameters: a Module of the autodiff course."""
    base = importlib.import_module("modules.base")

    class AffineProbe(base.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = np.array(scale, dtype=np.float64)
            self.shift = np.array(shift, dtype=np.float64)
            self.grad_scale = np.zeros_like(self.scale)
            self.grad_shift = np.zeros_like(self.shift)
            self.calls: list[str] = []

        def compute_output(self, input: np.ndarray) -> np.ndarray:
            self.calls.append("forward")
            return input * self.scale + self.shift

        def compute_grad_input(self, input: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
            self.calls.append("backward")
            return grad_output * self.scale

        def update_grad_parameters(self, input: np.ndarray, grad_output: np.ndarray) -> None:
            self.grad_scale += (grad_output * input).sum(axis=0)
            self.grad_shift += grad_output.sum(axis=0)

        def zero_grad(self) -> None:
            self.grad_scale.fill(0)
            self.grad_shift.fill(0)

        def parameters(self) -> list[np.ndarray]:
            return [self.scale, self.shift]

        def parameters_grad(self) -> list[np.ndarray]:
            return [self.grad_scale, self.grad_shift]

    return AffineProbe()


class GraderObject:
    """A known-good layer or loss of the grader's (`checks.known_good`) as the student's code sees it:
    its methods are grader functions (`runtime.worker.GraderFunctionStub`), which compute in the
    grader; its plain attributes (a `name`) are copies."""

    def __init__(self, type_name: str, members: dict[str, Any]) -> None:
        self.__dict__.update(members)
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<grader's {self.type_name}>"


PROBES = {"affine": affine_probe, "grader_object": GraderObject, **layer_probes.PROBES,
          **jacobian_probes.PROBES}


def build(name: str, *args: Any, **kwargs: Any) -> Any:
    if name not in PROBES:
        raise KeyError(f"no probe named {name!r}")
    return PROBES[name](*args, **kwargs)
