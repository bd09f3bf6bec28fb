"""Part 1: the forward pass of DenseLayer, ReLU, Softmax, FlattenLayer and MaxPooling, and the
course's own test: a Keras MaxPooling -> Flatten -> Dense softmax classifier trained on MNIST, its
weights loaded into a Network of your layers, must predict what Keras predicts."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder import N_
from autograder.testing import assert_close
from autograder.interfaces.jacobian import assert_within_course_tolerance
from autograder.interfaces.keras_parity import trained_pooling_classifier

TASK = "Forward"


@pytest.mark.task(TASK)
def test_dense_forward_is_x_at_W_plus_b(student, rng):
    nb = student.module("notebook")
    W, b, x = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 3))
    assert_close(nb.DenseLayer(3, 4, W_init=W, b_init=b).forward(x), x @ W + b,
                 N_("DenseLayer(3, 4).forward(x) for x of shape (2, 3)"), against=N_("x @ W + b"),
                 hint=N_("W has shape (input_dim, output_dim): the output is input_data @ W + b."))


@pytest.mark.task(TASK)
def test_relu_and_softmax_forward_match_torch(student, rng):
    nb = student.module("notebook")
    x = rng.standard_normal((4, 5)) * 3
    assert_close(nb.ReLU().forward(x), np.maximum(x, 0), N_("ReLU().forward(x) for x of shape (4, 5)"),
                 against="torch.relu")
    assert_close(nb.Softmax().forward(x), torch.softmax(torch.tensor(x), dim=1).numpy(),
                 N_("Softmax().forward(x) for x of shape (4, 5)"), against=N_("torch.softmax(x, dim=1)"),
                 hint=N_("softmax over each row (axis 1): exp(x - max) / sum(exp(x - max))."))


@pytest.mark.task(TASK)
def test_flatten_and_maxpooling_forward_match_torch(student, rng):
    nb = student.module("notebook")
    x = rng.standard_normal((2, 3, 6, 8))
    assert_close(nb.FlattenLayer().forward(x), x.reshape(2, -1),
                 N_("FlattenLayer().forward(x) for x of shape (2, 3, 6, 8)"),
                 against=N_("x.reshape(batch, -1)"))
    assert_close(nb.MaxPooling().forward(x), F.max_pool2d(torch.tensor(x), 2, 2).numpy(),
                 N_("MaxPooling().forward(x) for x of shape (2, 3, 6, 8)"),
                 against=N_("torch.nn.functional.max_pool2d(x, 2, 2)"),
                 hint=N_("the maximum of each 2x2 window, windows every 2 pixels; the input is "
                         "(batch, channels, height, width)."))


@pytest.mark.task(TASK)
def test_network_of_your_layers_predicts_what_keras_predicts(student):
    """The course's test: the sum of absolute differences from Keras below 0.01."""
    nb = student.module("notebook")
    keras_model = trained_pooling_classifier()
    dense = nb.DenseLayer(196, 10, W_init=keras_model.weights, b_init=keras_model.bias)
    net = nb.Network([nb.MaxPooling(), nb.FlattenLayer(), dense, nb.Softmax()])
    assert_within_course_tolerance(
        net.predict(keras_model.images), keras_model.predictions,
        f"Network([MaxPooling(), FlattenLayer(), DenseLayer(196, 10), Softmax()]).predict on "
        f"{len(keras_model.images)} MNIST images",
        against=N_("the trained Keras model (MaxPooling2D -> Flatten -> Dense softmax)"),
        hint=N_("if only this test fails, check that MaxPooling keeps the channel axis and that "
                "FlattenLayer flattens each sample in C order."))
