"""Task 2: Dense against torch.nn.Linear: the forward pass, the gradient w.r.t. the input, and the
SGD step backward takes on W and b. The grader reads W and b through forward (forward(0) = b,
forward(I) - b = W), so the attribute names are yours to choose."""

import pytest

from autograder import N_
from autograder.interfaces.sgd_layers import check_dense_step

HINTS = {
    "forward": N_("f(x) = x @ W + b with W of shape [input_units, output_units]."),
    "backward": N_("the gradient w.r.t. the input is grad_output @ W.T, computed with W from "
                   "before the update."),
    "step": N_("one SGD step: W -= learning_rate * input.T @ grad_output and b -= learning_rate * "
               "grad_output.sum(axis=0) (sums over the batch: grad_output is already the gradient "
               "of the mean loss)."),
}


@pytest.mark.task("Dense")
@pytest.mark.parametrize("batch, input_units, output_units, learning_rate",
                         [(8, 5, 3, None), (32, 20, 10, 0.5)])
def test_dense_matches_torch_and_takes_one_sgd_step(student, rng, batch, input_units,
                                                     output_units, learning_rate):
    """learning_rate None: the signature's default, 0.1, as the seminar's network uses it."""
    options = {} if learning_rate is None else {"learning_rate": learning_rate}
    layer = student.module("notebook").Dense(input_units, output_units, **options)
    arguments = ", ".join([str(input_units), str(output_units)]
                          + [f"learning_rate={learning_rate}"] * bool(options))
    check_dense_step(layer, rng.standard_normal((batch, input_units)),
                     rng.standard_normal((batch, output_units)),
                     learning_rate=0.1 if learning_rate is None else learning_rate,
                     name=N_(f"Dense({arguments})"), hints=HINTS)
