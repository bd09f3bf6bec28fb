"""Task 3, hidden checks: a batch of one, uint8 labels (as MNIST's), finite differences of the loss
against its gradient; and, as a finding only, logits of +-1000: the seminar gives the plain softmax
formula and its own inputs never come near overflow, so a stable form is not required."""

import numpy as np
import pytest

from autograder import N_
from autograder.testing.layer_parity import loss_number
from autograder.testing.torch_parity import gradient_check
from autograder.interfaces.sgd_layers import check_softmax_crossentropy

STABLE = (N_("subtract each row's maximum from the logits before np.exp (softmax does not change), "
             "so that exp never overflows: log-sum-exp = max + log(sum(exp(logits - max)))."))
HINTS = {
    "loss": N_("the mean over the batch of log(sum_k exp(logits_k)) - logits[y]."),
    "grad": N_("(softmax(logits) - one_hot(y_true)) / batch_size."),
}


@pytest.mark.task("Softmax cross-entropy")
@pytest.mark.robustness
def test_softmax_crossentropy_survives_logits_of_plus_minus_1000(student, rng):
    logits = rng.standard_normal((4, 5))
    logits[0, 1], logits[1, 3], logits[2, 0], logits[2, 2], logits[3, 4] = \
        1000.0, -1000.0, 999.0, 1000.0, -998.0
    check_softmax_crossentropy(student.module("notebook"), logits, np.array([1, 3, 2, 0]),
                               case=N_("logits with entries of +-1000"),
                               hints={"loss": STABLE, "grad": STABLE})


@pytest.mark.task("Softmax cross-entropy")
@pytest.mark.extends("test_softmax_crossentropy_and_gradient_match_torch")
@pytest.mark.parametrize("batch, classes", [(1, 10), (5, 2), (64, 10)])
def test_softmax_crossentropy_odd_shapes_and_uint8_labels(student, rng, batch, classes):
    logits = rng.standard_normal((batch, classes)) * 2
    check_softmax_crossentropy(student.module("notebook"), logits,
                               rng.integers(0, classes, batch).astype(np.uint8),
                               case=N_(f"logits of shape {logits.shape}, uint8 labels"), hints=HINTS)


@pytest.mark.task("Softmax cross-entropy")
@pytest.mark.extends("test_softmax_crossentropy_and_gradient_match_torch")
def test_softmax_gradient_matches_finite_differences_of_the_loss(student, rng):
    notebook = student.module("notebook")
    logits, y = rng.standard_normal((3, 4)), np.array([0, 3, 1])

    def mean_loss(values):
        return loss_number(notebook.softmax_crossentropy_with_logits(values, y),
                           "softmax_crossentropy_with_logits(logits, y_true)")

    gradient_check(mean_loss, logits, notebook.grad_softmax_crossentropy_with_logits(logits, y),
                   what=N_("grad_softmax_crossentropy_with_logits(logits, y_true) for logits of "
                           "shape (3, 4)"), hint=HINTS["grad"] + " It must be the gradient of the "
                        "mean that softmax_crossentropy_with_logits returns.")
