"""Course parity, lecture (seed 002): the lecture's own checks, run on every sample, agree with the
kit's verdicts (see course_parity for the rule).

The lecture is a PyTorch demo; its checks are the values it prints and the torch cells it runs
beside each formula, here turned on the sample's NumPy code:
- losses: `nn.MSELoss()` and `nn.L1Loss()` on input [0.5, -0.25, 0.75] and target [1, 0.25,
  0.25], `nn.CrossEntropyLoss()` on `torch.rand(3, 5)` and random class ids, `nn.BCELoss()` on
  `torch.rand(3)` and random 0/1 targets: the loss values, as printed (4 decimals);
- activations: `nn.Sigmoid()` and `nn.Tanh()` on `torch.randn(5) * 5`, `nn.ReLU()` and
  `nn.LeakyReLU(0.01)` on `torch.randn(5)`: the forward values, as printed;
- the forward pass of the XOR network (section 4.2.1) with its weights w1..w6 and no biases:
  H1 = 0.45, H2 = 0.78, H1_out = 0.61, H2_out = 0.69, O1_in = -0.672, O1_out = 0.33, both for
  XORNet and for the worked answer `xor_forward` (within the lecture's own rounding, 0.015);
- the linear regression of section 5.3.4: MSE = 7.5 and dMSE/dw = -15 (`linreg`).
The lecture checks no gradient of a loss or an activation, nothing of GELU and ELU (formulas
only), PReLU or RReLU (one sentence each), no XOR training, and shows the values of the
graph-backprop example (`graph_backprop`) only in pictures: those parts map to no course check.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from course_parity import (
    course_verdicts,
    declared_miss_holds,
    parity_violations,
    sample_namespace,
)

from autograder import config
from autograder.authoring.samples import load_samples

SPEC = config.load("lecture")
PRINTED = 1e-4  # torch prints 4 decimals
LECTURE_ROUNDING = 0.015  # the lecture's worked values come from two-decimal intermediates
XOR_LECTURE = {"H1": 0.45, "H2": 0.78, "H1_out": 0.61, "H2_out": 0.69, "O1_in": -0.672,
               "O1_out": 0.33}


def close(got: Any, expected: Any, tolerance: float, what: str) -> None:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape or not np.all(np.abs(got - expected) <= tolerance):
        raise AssertionError(f"{what}: {got} against the lecture's {expected}")


def demo_losses(notebook: dict[str, Any]) -> None:
    torch.manual_seed(0)
    prediction, target = np.array([0.5, -0.25, 0.75]), np.array([1, 0.25, 0.25])
    for name, loss in (("MSE", torch.nn.MSELoss()), ("MAE", torch.nn.L1Loss())):
        close(notebook[name](prediction, target),
              loss(torch.tensor(prediction), torch.tensor(target)), PRINTED, name)
    logits, classes = torch.rand(3, 5, dtype=torch.float64), torch.empty(3, dtype=torch.long)
    classes.random_(5)
    close(notebook["CrossEntropy"](logits.numpy(), classes.numpy()),
          torch.nn.CrossEntropyLoss()(logits, classes), PRINTED, "CrossEntropy")
    probabilities = torch.rand(3, dtype=torch.float64)
    targets = torch.empty(3, dtype=torch.float64).random_(2)
    close(notebook["BCE"](probabilities.numpy(), targets.numpy()),
          torch.nn.BCELoss()(probabilities, targets), PRINTED, "BCE")


def demo_activations(names: tuple[str, ...]) -> Any:
    """The lecture's demo of these activations: torch's forward on its demo input."""
    modules = {"Sigmoid": (torch.nn.Sigmoid(), 5.0), "Tanh": (torch.nn.Tanh(), 5.0),
               "ReLU": (torch.nn.ReLU(), 1.0), "LeakyReLU": (torch.nn.LeakyReLU(0.01), 1.0)}

    def demo(notebook: dict[str, Any]) -> None:
        torch.manual_seed(0)
        for name in names:
            module, scale = modules[name]
            x = torch.randn(5, dtype=torch.float64) * scale
            layer = notebook[name](0.01) if name == "LeakyReLU" else notebook[name]()
            close(layer.forward(x.numpy()), module(x), PRINTED, f"{name}.forward")
    return demo


def xor_network_forward(notebook: dict[str, Any]) -> None:
    net = notebook["XORNet"](hidden_units=2, learning_rate=1.0)
    net.W1, net.b1 = np.array([[0.45, 0.78], [-0.12, 0.13]]), np.zeros(2)
    net.W2, net.b2 = np.array([[1.5], [-2.3]]), np.zeros(1)
    close(net.forward(np.array([[1.0, 0.0]])), [XOR_LECTURE["O1_out"]], LECTURE_ROUNDING,
          "XORNet.forward([[1, 0]])")


def worked_values(notebook: dict[str, Any]) -> None:
    for key, value in XOR_LECTURE.items():
        close(notebook["xor_forward"][key], value, LECTURE_ROUNDING, f"xor_forward[{key!r}]")
    close(notebook["linreg"]["MSE"], 7.5, 0.01, "linreg['MSE']")
    close(notebook["linreg"]["dMSE/dw"], -15.0, 0.01, "linreg['dMSE/dw']")


COURSE_CHECKS = {
    "loss demos": demo_losses,
    "sigmoid and tanh demos": demo_activations(("Sigmoid", "Tanh")),
    "relu and leaky relu demos": demo_activations(("ReLU", "LeakyReLU")),
    "the XOR network's forward pass": xor_network_forward,
    "the printed worked values": worked_values,
}
CHECKS_OF_TASK = {
    "Losses": ("loss demos",),
    "Sigmoid and Tanh": ("sigmoid and tanh demos",),
    "ReLU and LeakyReLU": ("relu and leaky relu demos",),
    "GELU and ELU": (),
    "PReLU": (),
    "RReLU": (),
    "XOR network": ("the XOR network's forward pass",),
    "Worked examples": ("the printed worked values",),
}


def test_every_task_maps_to_the_lectures_checks_or_says_it_has_none() -> None:
    assert set(CHECKS_OF_TASK) == {task.name for task in SPEC.tasks}
    assert {name for names in CHECKS_OF_TASK.values() for name in names} == set(COURSE_CHECKS)


@pytest.mark.parametrize("sample", [s.name for s in load_samples(SPEC)])
def test_a_task_the_lectures_checks_pass_earns_its_points_unless_a_declared_miss(
        graded_samples, sample) -> None:
    graded = graded_samples["lecture"]
    verdicts = course_verdicts(COURSE_CHECKS, sample_namespace(SPEC, graded.folder / sample))
    assert not parity_violations(graded, sample, CHECKS_OF_TASK, verdicts), verdicts


def test_the_reference_passes_the_lectures_own_checks(graded_samples) -> None:
    notebook = sample_namespace(SPEC, graded_samples["lecture"].folder / "reference")
    assert course_verdicts(COURSE_CHECKS, notebook) == dict.fromkeys(COURSE_CHECKS, "")


@pytest.mark.parametrize("sample", [s.name for s in load_samples(SPEC) if s.course_misses])
def test_a_declared_bug_the_course_misses_still_passes_its_checks_and_fails_its_public_test(
        graded_samples, sample) -> None:
    graded = graded_samples["lecture"]
    verdicts = course_verdicts(COURSE_CHECKS, sample_namespace(SPEC, graded.folder / sample))
    assert declared_miss_holds(graded, sample, CHECKS_OF_TASK, verdicts), verdicts
