"""Task 4, hidden checks: networks of one and of five layers, a larger batch, uint8 labels (as the
seminar's MNIST labels are)."""

import numpy as np
import pytest

from autograder import N_
from autograder.interfaces.sgd_layers import check_network

HINTS = {
    "forward": N_("one activation per layer, in order, for any number of layers (also one); the "
                  "last one is the logits."),
    "predict": N_("forward(X)[-1].argmax(axis=-1), one class per row of X."),
    "backward": N_("from the last layer to the first: grad = layer.backward(layer_inputs[i], grad), "
                   "for any number of layers."),
}


@pytest.mark.task("NeuralNetwork")
@pytest.mark.extends("test_network_forward_predict_and_backward_with_known_good_layers")
@pytest.mark.parametrize("layer_count, batch, features", [(1, 4, 3), (5, 50, 10)])
def test_network_of_any_depth_with_uint8_labels(student, rng, layer_count, batch, features):
    check_network(student, rng, layer_count=layer_count, batch=batch, features=features,
                  hints=HINTS, label_dtype=np.uint8)
