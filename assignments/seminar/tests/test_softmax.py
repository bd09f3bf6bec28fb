"""Task 3: softmax_crossentropy_with_logits and grad_softmax_crossentropy_with_logits against
torch.nn.functional.cross_entropy (mean over the batch) and its autograd gradient."""

import numpy as np
import pytest

from autograder import N_
from autograder.interfaces.sgd_layers import check_softmax_crossentropy

HINTS = {
    "loss": N_("the mean over the batch of log(sum_k exp(logits_k)) - logits[y] (per object: "
               "-log softmax(logits)[y])."),
    "grad": N_("(softmax(logits) - one_hot(y_true)) / batch_size: the gradient of the mean loss."),
}


@pytest.mark.task("Softmax cross-entropy")
@pytest.mark.parametrize("batch, classes, labels", [(8, 10, np.int64), (32, 3, np.uint8)])
def test_softmax_crossentropy_and_gradient_match_torch(student, rng, batch, classes, labels):
    """Labels as integers, and as uint8, the dtype of MNIST's labels in the seminar's own loop."""
    logits = rng.standard_normal((batch, classes)) * 3
    check_softmax_crossentropy(student.module("notebook"), logits,
                               rng.integers(0, classes, batch).astype(labels),
                               case=N_(f"logits of shape {logits.shape}, {np.dtype(labels)} labels"),
                               hints=HINTS)
