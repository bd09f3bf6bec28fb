"""Task 1: ReLU.forward and ReLU.backward against torch.nn.ReLU (inputs kept away from 0)."""

import pytest
import torch

from autograder import N_
from autograder.testing.layer_parity import away_from, check_layer_pass

HINTS = {"forward": N_("ReLU(z) = max(0, z), elementwise: np.maximum(input, 0)."),
         "backward": N_("d ReLU / d z is 1 where z > 0 and 0 elsewhere: "
                        "grad_output * (input > 0).")}


@pytest.mark.task("ReLU")
def test_relu_matches_torch(student, rng):
    notebook = student.module("notebook")
    for shape in [(8, 5), (32, 40)]:
        check_layer_pass(notebook.ReLU(), torch.nn.ReLU(), away_from(rng, shape),
                         rng.standard_normal(shape), name="ReLU()", against="torch.nn.ReLU",
                         hints=HINTS)
