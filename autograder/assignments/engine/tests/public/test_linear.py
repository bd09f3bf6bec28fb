"""Linear(in_channels, out_channels, learning_rate=0.1): the notebook's own shape checks, then
forward + backward against torch.nn.Linear, with the SGD step on W and b, driven as the course's
train loop drives it."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing import as_array
from autograder.interfaces.sgd_linear import check_linear_step

HINTS = {
    "forward": N_("y = x @ W + b, with W of shape (in_channels, out_channels); keep x for backward."),
    "backward": N_("the gradient w.r.t. the input is grad @ W.T, computed with W as it was BEFORE the "
                   "update; return it (the given code also stores it in self.grad)."),
    "grad_W": N_("grad_W = x.T @ grad: the sum over the batch (grad already holds the 1/batch of the "
                 "mean loss); it has the shape of W."),
    "grad_b": N_("grad_b = grad.sum(axis=0): the sum over the batch, of the shape of b, (out_channels,)."),
    "step": N_("the given update W = W - grad_W * learning_rate (and the same for b) uses your grad_W "
               "and grad_b: fix those first."),
}


@pytest.mark.task("Linear")
def test_linear_shapes_as_the_notebook_checks_them(student, rng):
    notebook = student.module("notebook")
    linear = notebook.Linear(5, 7)
    output = linear.forward(rng.random((3, 5)))
    as_array(output, N_("Linear(5, 7).forward(x) for x of shape (3, 5)"), shape=(3, 7),
             hint=N_("Forward pass shape mismatch: y = x @ W + b has one row per example."))
    grad_x = linear.backward(rng.random((3, 7)))
    as_array(grad_x, N_("Linear(5, 7).backward(grad) for grad of shape (3, 7)"), shape=(3, 5),
             hint=HINTS["backward"])
    for attr, shape in (("W", (5, 7)), ("grad_W", (5, 7)), ("b", (7,)), ("grad_b", (7,))):
        as_array(getattr(linear, attr), N_(f"Linear(5, 7).{attr} after backward"), shape=shape,
                 hint=N_("grad_W has the shape of W and grad_b the shape of b."))


@pytest.mark.task("Linear")
@pytest.mark.parametrize(("learning_rate", "dtype"), [(0.1, np.float64), (0.05, np.float32)])
def test_linear_step_matches_torch(student, rng, learning_rate, dtype):
    """Two steps as the course's train loop takes them: a forward on other data in between (the
    loop's validation pass), then forward and backward on a batch, in the data's float32 too."""
    notebook = student.module("notebook")
    linear = notebook.Linear(6, 4, learning_rate=learning_rate)
    linear.W = rng.standard_normal((6, 4))
    linear.b = rng.standard_normal(4)
    name = N_(f"Linear(6, 4, learning_rate={learning_rate})")
    for step in (1, 2):
        linear.forward(rng.standard_normal((5, 6)).astype(dtype))  # backward must use the next x
        check_linear_step(linear, rng.standard_normal((8, 6)).astype(dtype),
                          rng.standard_normal((8, 4)), learning_rate=learning_rate, hints=HINTS,
                          name=name, context=N_(f"step {step} of 2, {np.dtype(dtype).name} input, "
                                                "after a forward call on other data"))
