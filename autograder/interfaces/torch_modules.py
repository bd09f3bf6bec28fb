"""The PyTorch-like `Module` interface (the autodiff course, seed 003): the worker's known-good
affine modules (`autograder.runtime.probes.torch_modules`), built on the student's own base class,
for the tests that grade a container or an optimizer apart from the student's layers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograder.runtime.probes import name_of
from autograder.runtime.probes.torch_modules import affine


def affine_modules(student: Any, package: str,
                   parameters: Iterable[tuple[np.ndarray, np.ndarray]]) -> list[Any]:
    """One known-good module y = x * scale + shift per (scale, shift), in the worker, each a
    subclass of the `Module` the course's template gives in `<package>.base` (`package`: the
    assignment's spec says it)."""
    module_class = student.module(f"{package}.base").Module
    return [student.probe(name_of(affine), module_class, scale, shift)
            for scale, shift in parameters]
