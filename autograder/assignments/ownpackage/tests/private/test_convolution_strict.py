"""Bonus convolution, on other data, shapes and seeds than the public tests: parity with Keras'
Conv2D, the gradients (either form) on other shapes, the gradients of MaxPooling and
FlattenLayer on other shapes, and training on other digits."""

import pytest

from autograder import N_
from autograder.testing import assert_close
from autograder.interfaces.conv_parity import (
    check_conv2d_trains_like_torch,
    check_layer_pass,
    check_pooling_and_flatten_gradients,
    conv2d,
)
from autograder.interfaces.keras_parity import conv2d as keras_conv2d

TASK = "Convolution"


@pytest.mark.task(TASK)
@pytest.mark.extends("test_conv2d_matches_torch")
@pytest.mark.parametrize("padding, stride, channels, size", [("same", 1, (3, 5), (9, 9)),
                                                             ("same", 2, (1, 4), (8, 11)),
                                                             ("valid", 2, (4, 2), (10, 7))])
def test_conv2d_forward_matches_keras(student, rng, padding, stride, channels, size):
    c_in, c_out = channels
    kernel, bias = rng.standard_normal((3, 3, c_in, c_out)), rng.standard_normal(c_out)
    x = rng.standard_normal((3, c_in) + size)
    layer = student.module("notebook").Conv2DLayer(3, c_in, c_out, padding, stride, kernel,
                                                   bias)
    assert_close(layer.forward(x), keras_conv2d(x, kernel, bias, padding=padding, stride=stride),
                 N_(f"Conv2DLayer(3, {c_in}, {c_out}, {padding!r}, {stride}).forward(x) for x of "
                    f"shape {x.shape}"),
                 against="keras.layers.Conv2D(data_format='channels_first')",
                 hint=N_("Keras' 'same' with stride 2 pads the odd pixel at the bottom / right."))


@pytest.mark.task(TASK)
@pytest.mark.extends("test_conv2d_matches_torch")
@pytest.mark.parametrize("padding, stride, channels, size", [("same", 1, (2, 2), (4, 3)),
                                                             ("same", 2, (1, 3), (6, 5)),
                                                             ("valid", 1, (2, 1), (5, 6))])
def test_conv2d_gradients_on_other_shapes(student, rng, padding, stride, channels, size):
    c_in, c_out = channels
    kernel, bias = rng.standard_normal((3, 3, c_in, c_out)), rng.standard_normal(c_out)
    layer = student.module("notebook").Conv2DLayer(3, c_in, c_out, padding, stride, kernel, bias)
    check_layer_pass(student, layer, conv2d, rng.standard_normal((3, c_in) + size), rng, kernel,
                     bias, name=N_(f"Conv2DLayer(3, {c_in}, {c_out}, padding={padding!r}, "
                                   f"stride={stride})"),
                     against="torch.nn.functional.conv2d", hints={}, padding=padding, stride=stride)


@pytest.mark.task(TASK)
@pytest.mark.extends("test_maxpooling_and_flatten_gradients_match_torch")
@pytest.mark.parametrize("shape", [(1, 2, 8, 4), (3, 4, 4, 6)])
def test_maxpooling_and_flatten_gradients_on_other_shapes(student, rng, shape):
    check_pooling_and_flatten_gradients(student, student.module("notebook"), rng, shape)


@pytest.mark.task(TASK)
@pytest.mark.extends("test_conv2d_trains_on_digits_like_torch")
def test_conv2d_trains_on_other_digits_like_torch(student):
    check_conv2d_trains_like_torch(student, student.module("notebook"), first=3840, last=5760,
                                   kernel_seed=11, steps=60, head_seed=5)
