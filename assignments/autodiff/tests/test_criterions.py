"""modules.criterions against torch.nn: MSELoss and CrossEntropyLoss (mean over the batch), as in
the course's test_criterions. MSELoss's docstrings promise inputs and targets "of size
(batch_size, *)", so it also gets a 3-D input: the mean runs over every entry, like torch's."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing import as_array, assert_close
from autograder.testing.torch_parity import check_float64, loss_and_grad, tolerance_for

INPUT_SHAPES = [(64, 16), (128, 32), (256, 64)]
ANY_TRAILING = [(8, 4, 5)]  # MSELoss: (batch_size, *)
HINTS = {
    "MSELoss": {"forward": N_("the mean of (input - target) ** 2 over ALL entries (divide by "
                              "input.size, which is B * N for 2-D inputs), for inputs of shape "
                              "(batch_size, *)."),
                "backward": N_("dL/df = 2 * (input - target) / input.size.")},
    "CrossEntropyLoss": {
        "forward": N_("-mean over the batch of log_softmax(input)[i, target[i]]; use LogSoftmax "
                      "rather than log(softmax(...))."),
        "backward": N_("dL/df = (softmax(input) - one_hot(target)) / batch_size. CrossEntropyLoss "
                       "builds on your LogSoftmax: if LogSoftmax fails its own tests, fix it first."),
    },
}


@pytest.mark.task("Criterions")
@pytest.mark.parametrize("name", list(HINTS))
def test_criterions(student, rng, name):
    criterions = student.module("modules.criterions")
    criterion = getattr(criterions, name)()
    for input_shape in INPUT_SHAPES + (ANY_TRAILING if name == "MSELoss" else []):
        x = rng.standard_normal(input_shape)
        if name == "MSELoss":
            target = rng.standard_normal(input_shape)
            described = N_(f"input and target of shape {input_shape}")
        else:
            target = rng.integers(input_shape[1], size=input_shape[0])
            described = N_(f"logits of shape {input_shape} and integer labels of shape {target.shape}")
        loss, grad = loss_and_grad(name, x, target)
        value = as_array(criterion(x, target), N_(f"{name}(input, target) for {described}"),
                         shape=(), hint=N_("return the loss as a number (a float or a 0-d array)."))
        assert_close(value, np.float64(loss), N_(f"{name}(input, target) for {described}"),
                     against=N_(f"torch.nn.{name}"), tolerance=tolerance_for(value),
                     hint=HINTS[name]["forward"])
        grad_input = criterion.backward(x, target)
        grad_input = assert_close(grad_input, grad,
                                  N_(f"{name}.backward(input, target) for {described}"),
                                  against=N_(f"torch.nn.{name} (gradient w.r.t. the input)"),
                                  tolerance=tolerance_for(grad_input),
                                  hint=HINTS[name]["backward"])
        check_float64(grad_input, f"{name}.backward(input, target) for a float64 input")
