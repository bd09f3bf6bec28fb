"""Task 4: NeuralNetwork with the grader's known-good layers (y = x * scale + shift, recording
their calls) and the grader's softmax cross-entropy, so that only the container is graded."""

import numpy as np
import pytest

from autograder import N_
from autograder.interfaces.sgd_layers import check_network

HINTS = {
    "forward": N_("apply the layers in order, each to the previous one's output, and append every "
                  "output: one activation per layer, the input X not included."),
    "predict": N_("the index of the largest logit of each row: forward(X)[-1].argmax(axis=-1)."),
    "backward": N_("call layer.backward(layer_inputs[i], grad) for i from the last layer to the "
                   "first, passing each call's return value on as the next grad."),
}


@pytest.mark.task("NeuralNetwork")
@pytest.mark.parametrize("labels", [np.int64, np.uint8])
def test_network_forward_predict_and_backward_with_known_good_layers(student, rng, labels):
    """Labels as integers, and as uint8, the dtype of MNIST's labels in the seminar's own loop."""
    check_network(student, rng, layer_count=3, batch=6, features=5, hints=HINTS,
                  label_dtype=labels)
