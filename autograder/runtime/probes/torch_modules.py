"""Known-good code for the PyTorch-like `Module` interface (the autodiff course, seed 003), run
inside the worker.

There a module computes `compute_output(input)`, `compute_grad_input(input, grad_output)` and
`update_grad_parameters(input, grad_output)` under its base class's `forward` / `backward`, and lists
`parameters()` / `parameters_grad()` for the optimizers. A container such as `Sequential`, or an
optimizer, is graded with `affine` modules in place of the student's own layers, so that a bug in
the student's `Linear` costs the `Linear` task only.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def affine(module_class: type, scale: np.ndarray, shift: np.ndarray) -> Any:
    """y = x * scale + shift, elementwise, with both as parameters, recording its calls: a module
    built on `module_class`, the base class the course's template gives (`<package>.base.Module`,
    passed by the grader, which reads the package from the assignment's spec)."""

    class AffineProbe(module_class):
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


PROBES = (affine,)
